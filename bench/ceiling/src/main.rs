//! The ceiling for `make bench`: the same reactor shape as arovm (one thread, mio, httparse,
//! keep-alive, partial writes, a short read ends a read pass, no re-registering unless write
//! interest changes) answering every request with the bytes arovm sends for the hello
//! route, with no VM in between. What arovm loses against this is the cost of the VM.
//! Usage: `arovm-ceiling PORT`.

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};

const BODY: &str = "{\"message\":\"Hello World\"}";

struct Conn {
    stream: TcpStream,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    want_write: bool,
}

fn response() -> Vec<u8> {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nServer: arovm\r\nConnection: keep-alive\r\n\r\n{BODY}",
        BODY.len()
    )
    .into_bytes()
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
    let resp = response();
    let mut conns: HashMap<usize, Conn> = HashMap::new();
    let mut next = 1usize;
    let mut events = Events::with_capacity(1024);
    let mut buf = vec![0u8; 64 * 1024];
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
            let mut closed = false;
            loop {
                match c.stream.read(&mut buf) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(n) => {
                        c.inbuf.extend_from_slice(&buf[..n]);
                        // Same shape as arovm: a short read drained the socket (edge-triggered).
                        if n < buf.len() && !ev.is_read_closed() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
            loop {
                let mut headers = [httparse::EMPTY_HEADER; 32];
                let mut req = httparse::Request::new(&mut headers);
                match req.parse(&c.inbuf) {
                    Ok(httparse::Status::Complete(n)) => {
                        c.inbuf.drain(..n);
                        c.out.extend_from_slice(&resp);
                    }
                    _ => break,
                }
            }
            while !c.out.is_empty() {
                match c.stream.write(&c.out) {
                    Ok(n) => {
                        c.out.drain(..n);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
            // Re-register only when write interest changes (arovm's rule too).
            let want = !c.out.is_empty();
            if want != c.want_write {
                c.want_write = want;
                let interest = if want {
                    Interest::READABLE | Interest::WRITABLE
                } else {
                    Interest::READABLE
                };
                let _ = poll
                    .registry()
                    .reregister(&mut c.stream, ev.token(), interest);
            }
            if closed {
                conns.remove(&id);
            }
        }
    }
}
