//! WebSocket wire format: the upgrade request, masked client frames and frame parsing.

use crate::clients::Client;

/// The HTTP/1.1 upgrade request for a WebSocket on `path` (a fixed key).
pub(crate) fn upgrade(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").into_bytes()
}

/// One masked text frame (fixed mask key) carrying `payload` (under 64 KiB).
pub(crate) fn masked_text(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x81u8];
    if payload.len() < 126 {
        f.push(0x80 | payload.len() as u8);
    } else {
        f.push(0x80 | 126);
        f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    let key = [1u8, 2, 3, 4];
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

/// Calls `f` with the payload of every complete text or binary frame in the buffer (after the
/// handshake head), removes them from the buffer and returns how many there were. No copies.
pub(crate) fn each_frame(c: &mut Client, mut f: impl FnMut(&[u8])) -> usize {
    if !c.upgraded {
        match c.buf.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(i) => {
                c.buf.drain(..i + 4);
                c.upgraded = true;
            }
            None => return 0,
        }
    }
    let (mut done, mut n) = (0, 0);
    loop {
        let b = &c.buf[done..];
        if b.len() < 2 {
            break;
        }
        let (len, at) = match b[1] & 0x7f {
            126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
            127 if b.len() >= 10 => {
                let mut l = [0u8; 8];
                l.copy_from_slice(&b[2..10]);
                (u64::from_be_bytes(l) as usize, 10)
            }
            126 | 127 => break,
            l => (l as usize, 2),
        };
        if b.len() < at + len {
            break;
        }
        if matches!(b[0] & 0x0f, 1 | 2) {
            f(&b[at..at + len]);
            n += 1;
        }
        done += at + len;
    }
    c.buf.drain(..done);
    n
}

/// Pops the complete text or binary frames from the buffer; returns how many there were.
pub(crate) fn frames(c: &mut Client) -> usize {
    each_frame(c, |_| {})
}
