//! Where a client's byte stream stands between WebSocket frames, read from frame headers alone:
//! a session hands its tungstenite context back while no frame and no fragmented message is in
//! progress (an idle connection then holds no context and no read buffer).

/// Tracks frame and message boundaries of one inbound stream (RFC 6455 §5.2 headers only;
/// validating them stays tungstenite's job).
#[derive(Debug, Default, Clone)]
pub struct FrameBoundary {
    /// Header bytes of the frame being read (at most 14).
    head: [u8; 14],
    head_len: u8,
    /// Payload bytes of the current frame still to come.
    payload_left: u64,
    /// A data frame without FIN was seen: the message's continuation is due.
    in_message: bool,
    /// Largest frame payload seen since [`FrameBoundary::take_largest`] (tungstenite's read
    /// buffer grows to it).
    largest: u64,
}

impl FrameBoundary {
    /// Accounts for `data`, the next bytes of the stream.
    pub fn advance(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.payload_left > 0 {
                let n = self.payload_left.min(data.len() as u64);
                data = &data[n as usize..];
                self.payload_left -= n;
                continue;
            }
            self.head[self.head_len as usize] = data[0];
            self.head_len += 1;
            data = &data[1..];
            if let Some(len) = self.header_done() {
                self.head_len = 0;
                self.payload_left = len;
                self.largest = self.largest.max(len);
            }
        }
    }

    /// The payload length once the header in `head` is complete.
    fn header_done(&mut self) -> Option<u64> {
        let n = self.head_len as usize;
        if n < 2 {
            return None;
        }
        let h = &self.head;
        let len7 = h[1] & 0x7f;
        let ext = match len7 {
            126 => 2,
            127 => 8,
            _ => 0,
        };
        let mask = if h[1] & 0x80 != 0 { 4 } else { 0 };
        if n < 2 + ext + mask {
            return None;
        }
        let len = match ext {
            0 => u64::from(len7),
            2 => u64::from(u16::from_be_bytes([h[2], h[3]])),
            _ => u64::from_be_bytes([h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]]),
        };
        let opcode = h[0] & 0x0f;
        if opcode < 8 {
            // Data and continuation frames: the message ends with the frame that has FIN.
            self.in_message = h[0] & 0x80 == 0;
        }
        Some(len)
    }

    /// No frame is partly read and no fragmented message is open.
    pub fn at_rest(&self) -> bool {
        self.head_len == 0 && self.payload_left == 0 && !self.in_message
    }

    /// The largest frame payload seen since the last call, and starts counting again.
    pub fn take_largest(&mut self) -> u64 {
        std::mem::take(&mut self.largest)
    }
}

#[cfg(test)]
mod tests {
    use super::FrameBoundary;

    fn frame(fin: bool, opcode: u8, len: usize) -> Vec<u8> {
        let mut f = vec![if fin { 0x80 } else { 0 } | opcode];
        match len {
            0..=125 => f.push(0x80 | len as u8),
            126..=65535 => {
                f.push(0x80 | 126);
                f.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                f.push(0x80 | 127);
                f.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        f.extend_from_slice(&[1, 2, 3, 4]);
        f.extend(std::iter::repeat_n(b'x', len));
        f
    }

    #[test]
    fn rests_only_between_complete_messages() {
        let mut b = FrameBoundary::default();
        assert!(b.at_rest());
        let text = frame(true, 1, 5);
        b.advance(&text[..3]);
        assert!(!b.at_rest(), "inside a header");
        b.advance(&text[3..8]);
        assert!(!b.at_rest(), "inside a payload");
        b.advance(&text[8..]);
        assert!(b.at_rest());
        b.advance(&frame(false, 1, 200));
        assert!(!b.at_rest(), "a fragmented message is open");
        b.advance(&frame(true, 9, 0));
        assert!(
            !b.at_rest(),
            "a ping between fragments does not end the message"
        );
        b.advance(&frame(true, 0, 70_000));
        assert!(b.at_rest());
        assert_eq!(b.take_largest(), 70_000);
        assert_eq!(b.take_largest(), 0);
    }
}
