//! The ceiling for `make bench`: the same reactor shape as arovm (one thread, mio, httparse,
//! keep-alive, partial writes, a short read ends a read pass, no re-registering unless write
//! interest changes, output written once per loop turn) with no VM in between. It answers
//! `GET /hello` with the bytes arovm sends, and upgrades `/ws` (every message broadcast to every
//! `/ws` client, the frame encoded once) and `/echo` (echoed). What arovm loses against this is
//! the cost of the VM. Usage: `arovm-ceiling PORT`.

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::collections::HashMap;
use std::io::{Cursor, ErrorKind, Read, Write};
use tungstenite::handshake::derive_accept_key;
use tungstenite::protocol::frame::FrameHeader;

const BODY: &str = "{\"message\":\"Hello World\"}";

/// What a connection speaks.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Http,
    /// WebSocket on `/ws`: messages are broadcast.
    Broadcast,
    /// WebSocket on `/echo`: messages are echoed.
    Echo,
}

struct Conn {
    stream: TcpStream,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    want_write: bool,
    mode: Mode,
    closed: bool,
}

fn response() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nServer: arovm\r\nConnection: keep-alive\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
}

/// One unmasked final server frame.
fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(payload.len() + 10);
    f.push(0x80 | opcode);
    match payload.len() {
        n if n < 126 => f.push(n as u8),
        n if n <= u16::MAX as usize => {
            f.push(126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(payload);
    f
}

/// Handles buffered HTTP input: hello responses, or the upgrade.
fn http_input(c: &mut Conn, hello: &[u8]) {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        let Ok(httparse::Status::Complete(n)) = req.parse(&c.inbuf) else {
            return;
        };
        let key = req
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("sec-websocket-key"))
            .map(|h| derive_accept_key(h.value));
        let path = req.path.unwrap_or("/").to_string();
        c.inbuf.drain(..n);
        match key {
            Some(accept) => {
                c.out.extend_from_slice(format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n").as_bytes());
                c.mode = if path == "/echo" {
                    Mode::Echo
                } else {
                    Mode::Broadcast
                };
                return;
            }
            None => c.out.extend_from_slice(hello),
        }
    }
}

/// Pops complete client frames; returns the data messages (text/binary: opcode, payload).
/// Answers pings and closes on the connection itself.
fn ws_input(c: &mut Conn) -> Vec<(u8, Vec<u8>)> {
    let mut messages = Vec::new();
    loop {
        let mut cursor = Cursor::new(&c.inbuf[..]);
        let Ok(Some((header, len))) = FrameHeader::parse(&mut cursor) else {
            return messages;
        };
        let at = cursor.position() as usize;
        let end = at + len as usize;
        if c.inbuf.len() < end {
            return messages;
        }
        let mut payload = c.inbuf[at..end].to_vec();
        if let Some(mask) = header.mask {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= mask[i % 4];
            }
        }
        c.inbuf.drain(..end);
        let opcode: u8 = header.opcode.into();
        match opcode {
            1 | 2 => messages.push((opcode, payload)),
            8 => {
                c.out
                    .extend_from_slice(&frame(8, &payload[..payload.len().min(2)]));
                c.closed = true;
                return messages;
            }
            9 => c.out.extend_from_slice(&frame(10, &payload)),
            _ => {}
        }
    }
}

/// Writes what a connection has queued; false when the socket failed.
fn flush(poll: &Poll, token: Token, c: &mut Conn) -> bool {
    while !c.out.is_empty() {
        match c.stream.write(&c.out) {
            Ok(n) => {
                c.out.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(_) => return false,
        }
    }
    let want = !c.out.is_empty();
    if want != c.want_write {
        c.want_write = want;
        let interest = if want {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        let _ = poll.registry().reregister(&mut c.stream, token, interest);
    }
    true
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8081);
    let mut poll = Poll::new()?;
    let mut listener = TcpListener::bind(([127, 0, 0, 1], port).into())?;
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)?;
    println!("ceiling listening on port {port}");
    let hello = response();
    let mut conns: HashMap<usize, Conn> = HashMap::new();
    let mut next = 1usize;
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
    let mut dirty: Vec<usize> = Vec::new();
    loop {
        poll.poll(&mut events, None)?;
        for ev in events.iter() {
            if ev.token() == Token(0) {
                while let Ok((mut s, _)) = listener.accept() {
                    let _ = s.set_nodelay(true);
                    poll.registry()
                        .register(&mut s, Token(next), Interest::READABLE)?;
                    conns.insert(
                        next,
                        Conn {
                            stream: s,
                            inbuf: Vec::new(),
                            out: Vec::new(),
                            want_write: false,
                            mode: Mode::Http,
                            closed: false,
                        },
                    );
                    next += 1;
                }
                continue;
            }
            let id = ev.token().0;
            let Some(c) = conns.get_mut(&id) else {
                continue;
            };
            loop {
                match c.stream.read(&mut buf) {
                    Ok(0) => {
                        c.closed = true;
                        break;
                    }
                    Ok(n) => {
                        c.inbuf.extend_from_slice(&buf[..n]);
                        if n < buf.len() && !ev.is_read_closed() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        c.closed = true;
                        break;
                    }
                }
            }
            if c.mode == Mode::Http {
                http_input(c, &hello);
            }
            let mode = c.mode;
            let messages = if mode == Mode::Http {
                Vec::new()
            } else {
                ws_input(c)
            };
            for (opcode, payload) in messages {
                let f = frame(opcode, &payload);
                if mode == Mode::Echo {
                    if let Some(c) = conns.get_mut(&id) {
                        c.out.extend_from_slice(&f);
                    }
                    continue;
                }
                // Broadcast: one encoding, appended to every /ws connection.
                for (&other, o) in conns.iter_mut() {
                    if o.mode == Mode::Broadcast && !o.closed {
                        o.out.extend_from_slice(&f);
                        dirty.push(other);
                    }
                }
            }
            dirty.push(id);
        }
        // Output is written once per loop turn: frames a connection got in this turn leave together.
        dirty.sort_unstable();
        dirty.dedup();
        for id in dirty.drain(..) {
            let Some(c) = conns.get_mut(&id) else {
                continue;
            };
            let ok = flush(&poll, Token(id), c);
            if !ok || (c.closed && c.out.is_empty()) {
                if let Some(mut c) = conns.remove(&id) {
                    let _ = poll.registry().deregister(&mut c.stream);
                }
            }
        }
    }
}
