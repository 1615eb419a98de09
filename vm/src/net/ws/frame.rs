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
    let (head, n) = header(op, payload.len());
    let mut out = Vec::with_capacity(n + payload.len());
    out.extend_from_slice(&head[..n]);
    out.extend_from_slice(payload);
    out
}

/// The same frame as [`encode`] in shared memory, written with one allocation (a broadcast
/// queues these bytes on every connection).
pub fn encode_shared(op: Opcode, payload: &[u8]) -> std::rc::Rc<[u8]> {
    let (head, n) = header(op, payload.len());
    head[..n].iter().chain(payload).copied().collect()
}

/// A server frame's header (FIN set, unmasked) and its length.
fn header(op: Opcode, len: usize) -> ([u8; 10], usize) {
    let mut h = [0u8; 10];
    h[0] = 0x80 | op as u8;
    if len < 126 {
        h[1] = len as u8;
        (h, 2)
    } else if len <= u16::MAX as usize {
        h[1] = 126;
        h[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        (h, 4)
    } else {
        h[1] = 127;
        h[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        (h, 10)
    }
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
        for len in [0, 1, 125, 126, 65_535, 65_536] {
            let payload = vec![7u8; len];
            assert_eq!(
                &*encode_shared(Opcode::Binary, &payload),
                &encode(Opcode::Binary, &payload)[..]
            );
        }
        assert_eq!(close(1000, "bye")[..4], [0x88, 5, 0x03, 0xe8]);
    }
}
