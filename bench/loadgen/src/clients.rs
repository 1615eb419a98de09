//! Load connections: connecting, handshakes, reading (frames out of the buffer), writing and settling before a run.

use crate::frames::{masked_text, upgrade};
use crate::stats::number;
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

/// One load connection: its socket and what it has read so far.
pub(crate) struct Client {
    /// The non-blocking socket, registered with the run's `Poll`.
    pub(crate) s: TcpStream,
    /// Bytes read and not yet consumed.
    pub(crate) buf: Vec<u8>,
    /// The handshake answer has been read (raw TCP clients start upgraded).
    pub(crate) upgraded: bool,
}

/// Opens `n` loopback connections to `port`, registered for read and write with tokens
/// `base..base + n`.
pub(crate) fn connect_all(poll: &Poll, port: u16, n: usize, base: usize) -> Vec<Client> {
    let addr = ([127, 0, 0, 1], port).into();
    (0..n)
        .map(|i| {
            let mut s = TcpStream::connect(addr).expect("connect");
            poll.registry()
                .register(
                    &mut s,
                    Token(base + i),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .expect("register");
            Client {
                s,
                buf: Vec::new(),
                upgraded: false,
            }
        })
        .collect()
}

/// Drives the handshakes until every client is upgraded (bounded by 60 s).
pub(crate) fn handshake_all(poll: &mut Poll, clients: &mut [Client], path: &str) {
    let req = upgrade(path);
    let mut sent = vec![false; clients.len()];
    let mut events = Events::with_capacity(4096);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut done = 0;
    while done < clients.len() && Instant::now() < deadline {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .expect("poll");
        for ev in events.iter() {
            let i = ev.token().0;
            let Some(c) = clients.get_mut(i) else {
                continue;
            };
            if ev.is_writable() && !sent[i] && c.s.write_all(&req).is_ok() {
                sent[i] = true;
            }
            if ev.is_readable() && !c.upgraded {
                read_into(c);
                frames(c);
                if c.upgraded {
                    done += 1;
                }
            }
        }
    }
    for c in clients.iter_mut() {
        let _ = poll
            .registry()
            .reregister(&mut c.s, Token(usize::MAX), Interest::READABLE);
    }
}

thread_local! {
    /// The read buffer, zeroed once (not at every read).
    pub(crate) static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 65536]);
}

/// Appends what the socket has to the client's buffer. A short read ends the pass (mio is
/// edge-triggered: more data later brings a new event), which saves the `EAGAIN` read.
pub(crate) fn read_into(c: &mut Client) {
    SCRATCH.with_borrow_mut(|buf| loop {
        match c.s.read(buf) {
            Ok(0) => return,
            Ok(n) => {
                c.buf.extend_from_slice(&buf[..n]);
                if n < buf.len() {
                    return;
                }
            }
            Err(_) => return,
        }
    })
}

/// Registers every client for reads only, with its index as the token.
pub(crate) fn reregister(poll: &Poll, clients: &mut [Client]) {
    for (i, c) in clients.iter_mut().enumerate() {
        let _ = poll
            .registry()
            .reregister(&mut c.s, Token(i), Interest::READABLE);
    }
}

/// Writes all bytes on a non-blocking socket (bounded retries while it is not writable yet).
pub(crate) fn send_all(s: &mut TcpStream, mut buf: &[u8]) {
    for _ in 0..10_000 {
        match s.write(buf) {
            Ok(n) if n == buf.len() => return,
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::NotConnected => {
                std::thread::sleep(Duration::from_millis(1))
            }
            Err(e) => panic!("send: {e}"),
        }
    }
}

/// Sends probe messages (`{"probe":K}`, no `seq`) from client `from` until one reaches every
/// client, at most 10 s; true when one did. A server may add a connection to its broadcast set a
/// moment after it answered the handshake (hyper hands the upgraded connection to a new task):
/// a measured message sent before that would never reach every client. Each connection's
/// frames arrive in order, so once every client has probe K no earlier probe is on its way.
pub(crate) fn settle(poll: &mut Poll, clients: &mut [Client], from: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = Events::with_capacity(4096);
    let mut got = vec![false; clients.len()];
    let mut probe = 0u64;
    while Instant::now() < deadline {
        let msg = format!("{{\"probe\":{probe}}}");
        send_all(&mut clients[from].s, &masked_text(msg.as_bytes()));
        got.iter_mut().for_each(|g| *g = false);
        let mut n = 0;
        let wait = Instant::now() + Duration::from_millis(200);
        while n < clients.len() && Instant::now() < wait {
            poll_read(
                poll,
                &mut events,
                clients,
                Duration::from_millis(20),
                |i, c| {
                    each_frame(c, |p| {
                        if number(p, b"\"probe\":") == Some(probe) && !got[i] {
                            got[i] = true;
                            n += 1;
                        }
                    });
                },
            );
        }
        if n == clients.len() {
            return true;
        }
        probe += 1;
    }
    false
}

/// Waits up to `timeout` for readiness, then appends what each ready client has to its buffer
/// and calls `f` with the client's index and the client.
pub(crate) fn poll_read(
    poll: &mut Poll,
    events: &mut Events,
    clients: &mut [Client],
    timeout: Duration,
    mut f: impl FnMut(usize, &mut Client),
) {
    poll.poll(events, Some(timeout)).expect("poll");
    for ev in events.iter() {
        let i = ev.token().0;
        let Some(c) = clients.get_mut(i) else {
            continue;
        };
        read_into(c);
        f(i, c);
    }
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
