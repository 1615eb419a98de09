//! WebSocket wire format a client writes: the upgrade request and masked frames.

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
