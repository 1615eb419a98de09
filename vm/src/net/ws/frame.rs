//! Server frames encoded by hand, once, so a broadcast shares the same bytes with every
//! connection (server frames are never masked).

/// Frame opcodes used by the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opcode {
    /// 0x1
    Text = 1,
    /// 0x2
    Binary = 2,
    /// 0x8
    Close = 8,
    /// 0x9
    Ping = 9,
}

/// One complete, unmasked, final frame.
pub fn encode(op: Opcode, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut out = Vec::with_capacity(len + 10);
    out.push(0x80 | op as u8);
    if len < 126 {
        out.push(len as u8);
    } else if len <= u16::MAX as usize {
        out.push(126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
    out
}

/// A Close frame with a status code and reason (reason cut to fit 123 bytes).
pub fn close(code: u16, reason: &str) -> Vec<u8> {
    let mut payload = code.to_be_bytes().to_vec();
    let mut r = reason;
    while r.len() > 123 {
        let mut end = 123;
        while !r.is_char_boundary(end) {
            end -= 1;
        }
        r = &r[..end];
    }
    payload.extend_from_slice(r.as_bytes());
    encode(Opcode::Close, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths() {
        assert_eq!(encode(Opcode::Text, b"hi"), vec![0x81, 2, b'h', b'i']);
        assert_eq!(encode(Opcode::Binary, &[0; 200])[..4], [0x82, 126, 0, 200]);
        assert_eq!(encode(Opcode::Text, &vec![0; 70_000])[..2], [0x81, 127]);
        assert_eq!(close(1000, "bye")[..4], [0x88, 5, 0x03, 0xe8]);
    }
}
