//! WebSocket cases: `ws.script` is played line by line against the app (started like an HTTP
//! case) with a small raw-frame client, so malformed frames can be sent on purpose.
//!
//! ```text
//! open: A /ws                      handshake as client A (expects 101)
//! handshake: B /ws 426 Sec-WebSocket-Version: 8    raw upgrade with a header override;
//!                                  expects that status (`-Name` drops a header)
//! send: A hello                    masked text frame
//! send-binary: A 68656c6c6f        masked binary frame (hex payload)
//! send-raw: A 8102....             bytes sent as they are (hex)
//! send-fragments: A hel|lo         a text message in several frames (split at |)
//! ping: A abc                      masked ping (the reply pong is checked by expect-pong)
//! close: A 1000 bye                masked close frame
//! expect: A hello                  next data message is this text
//! expect-json: A {"k":"__ANY__"}   next data message is this JSON
//! expect-binary: A 68656c6c6f      next data message is this binary (hex)
//! expect-pong: A abc               next frame is a pong with this payload
//! expect-close: A 1002             next frame is a close with this code (pongs/pings skipped)
//! expect-closed: A                 the server closed the TCP connection
//! expect-nothing: A 300            no data message arrives within 300 ms
//! post: /path {"json": 1}          HTTP POST (Content-Type: application/json), expects 2xx
//! tcp-open: T                      plain TCP client T to the app's socket server
//! tcp-send: T text\n               bytes (\n \r \t escapes) on T
//! tcp-expect: T text\n             the next bytes T reads are exactly these
//! tcp-close: T                     T closes its connection
//! sleep: 100                       milliseconds
//! ```
//! After the script the app gets SIGTERM; its stdout must equal `expected.stdout` if present.

use crate::http::{finish_app, start_app};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// A frame from the server.
struct Frame {
    op: u8,
    payload: Vec<u8>,
}

struct Client {
    s: TcpStream,
    buf: Vec<u8>,
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len() / 2)
        .filter_map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
        .collect()
}

fn masked(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![(if fin { 0x80 } else { 0 }) | op];
    let len = payload.len();
    if len < 126 {
        f.push(0x80 | len as u8);
    } else if len <= 0xffff {
        f.push(0x80 | 126);
        f.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        f.push(0x80 | 127);
        f.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let key = [0x37u8, 0xfa, 0x21, 0x3d];
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

fn handshake(
    port: u16,
    path: &str,
    overrides: &[(&str, &str)],
    drop: &[&str],
) -> Result<(TcpStream, u16, Vec<u8>), String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut headers = vec![
        ("Host", "127.0.0.1"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Version", "13"),
        ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    for (k, v) in overrides {
        match headers.iter_mut().find(|(h, _)| h.eq_ignore_ascii_case(k)) {
            Some(h) => h.1 = v,
            None => headers.push((k, v)),
        }
    }
    headers.retain(|(h, _)| !drop.iter().any(|d| d.eq_ignore_ascii_case(h)));
    let mut req = format!("GET {path} HTTP/1.1\r\n");
    for (k, v) in &headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => head.push(b[0]),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&head).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((s, status, head))
}

impl Client {
    /// The next frame, or None on EOF/timeout.
    fn frame(&mut self, timeout: Duration) -> Option<Frame> {
        let deadline = Instant::now() + timeout;
        loop {
            if self.buf.len() >= 2 {
                let op = self.buf[0] & 0x0f;
                let mut len = (self.buf[1] & 0x7f) as usize;
                let mut at = 2;
                if len == 126 && self.buf.len() >= 4 {
                    len = u16::from_be_bytes([self.buf[2], self.buf[3]]) as usize;
                    at = 4;
                } else if len == 127 && self.buf.len() >= 10 {
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&self.buf[2..10]);
                    len = u64::from_be_bytes(b) as usize;
                    at = 10;
                }
                let need_ext = (self.buf[1] & 0x7f) >= 126 && at == 2;
                if !need_ext && self.buf.len() >= at + len {
                    let payload = self.buf[at..at + len].to_vec();
                    self.buf.drain(..at + len);
                    return Some(Frame { op, payload });
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.s.set_read_timeout(Some(left)).ok();
            let mut tmp = [0u8; 65536];
            match self.s.read(&mut tmp) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&tmp[..n]),
            }
        }
    }

    /// The next data message (text or binary), reassembling fragments and skipping pings/pongs.
    fn message(&mut self, timeout: Duration) -> Option<(u8, Vec<u8>)> {
        let mut op = None;
        let mut data = Vec::new();
        loop {
            let f = self.frame(timeout)?;
            match f.op {
                9 | 10 => continue,
                8 => return Some((8, f.payload)),
                0 => data.extend_from_slice(&f.payload),
                o => {
                    op = Some(o);
                    data.extend_from_slice(&f.payload);
                }
            }
            // The FIN bit was consumed in `frame`; fragments are rare from the server: treat each
            // data frame as complete unless it is a continuation sequence start without payload.
            if let Some(o) = op {
                return Some((o, data));
            }
        }
    }

    fn closed(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.s.set_read_timeout(Some(left)).ok();
            let mut tmp = [0u8; 4096];
            match self.s.read(&mut tmp) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
                Err(_) => return false,
            }
        }
    }
}

fn json_eq(expected: &str, got: &str) -> bool {
    // Reuse the HTTP runner's JSON matcher through a tiny shim.
    crate::http::json_text_matches(expected, got)
}

fn post(port: u16, path: &str, body: &str) -> Result<u16, String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    Ok(text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0))
}

/// Runs one WebSocket case.
pub(crate) fn run(arovm: &Path, arob: &Path, case: &Path, script: &str) -> Vec<String> {
    let app = match start_app(arovm, arob, case) {
        Ok(a) => a,
        Err(e) => return vec![e],
    };
    let port = app.port;
    let socket_port = app.socket_port;
    let mut tcp: HashMap<String, TcpStream> = HashMap::new();
    let mut clients: HashMap<String, Client> = HashMap::new();
    let mut problems = Vec::new();
    let wait = Duration::from_secs(5);
    for (n, line) in script.lines().enumerate() {
        let line = line.trim_end();
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((cmd, rest)) = line.split_once(':') else {
            continue;
        };
        let rest = rest.trim_start();
        let (who, arg) = rest.split_once(' ').unwrap_or((rest, ""));
        let at = format!("line {}", n + 1);
        let mut fail = |m: String| problems.push(format!("{at}: {m}"));
        match cmd.trim() {
            "open" => match handshake(port, arg.trim(), &[], &[]) {
                Ok((s, 101, _)) => {
                    clients.insert(who.to_string(), Client { s, buf: Vec::new() });
                }
                Ok((_, st, h)) => fail(format!(
                    "open {who}: status {st}: {}",
                    String::from_utf8_lossy(&h)
                )),
                Err(e) => fail(e),
            },
            "handshake" => {
                let mut parts = arg.splitn(3, ' ');
                let path = parts.next().unwrap_or("/ws");
                let want: u16 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                let hdr = parts.next().unwrap_or("");
                let (over, drop): (Vec<(&str, &str)>, Vec<&str>) =
                    if let Some(d) = hdr.strip_prefix('-') {
                        (Vec::new(), vec![d.trim()])
                    } else if let Some((k, v)) = hdr.split_once(':') {
                        (vec![(k.trim(), v.trim())], Vec::new())
                    } else {
                        (Vec::new(), Vec::new())
                    };
                match handshake(port, path, &over, &drop) {
                    Ok((_, st, h)) if st != want => fail(format!(
                        "handshake: expected {want}, got {st}: {}",
                        String::from_utf8_lossy(&h)
                    )),
                    Ok(_) => {}
                    Err(e) => fail(e),
                }
            }
            "post" => {
                let (path, body) = who_split(rest);
                match post(port, path, body) {
                    Ok(st) if (200..300).contains(&st) => {}
                    Ok(st) => fail(format!("post {path}: status {st}")),
                    Err(e) => fail(e),
                }
            }
            "sleep" => std::thread::sleep(Duration::from_millis(who.parse().unwrap_or(0))),
            "tcp-open" => match socket_port.map(|p| TcpStream::connect(("127.0.0.1", p))) {
                Some(Ok(s)) => {
                    tcp.insert(who.to_string(), s);
                }
                Some(Err(e)) => fail(format!("tcp-open {who}: {e}")),
                None => fail("the app started no socket server".into()),
            },
            "tcp-send" | "tcp-expect" | "tcp-close" => {
                let Some(s) = tcp.get_mut(who) else {
                    fail(format!("no TCP client {who}"));
                    continue;
                };
                let bytes = unescape(arg);
                match cmd.trim() {
                    "tcp-send" => {
                        let _ = s.write_all(bytes.as_bytes());
                    }
                    "tcp-close" => {
                        tcp.remove(who);
                    }
                    _ => {
                        let want = bytes.as_bytes();
                        let mut got = Vec::new();
                        let deadline = Instant::now() + wait;
                        while got.len() < want.len() && Instant::now() < deadline {
                            s.set_read_timeout(Some(Duration::from_millis(200))).ok();
                            let mut b = [0u8; 4096];
                            let room = (want.len() - got.len()).min(b.len());
                            match s.read(&mut b[..room]) {
                                Ok(0) => break,
                                Ok(n) => got.extend_from_slice(&b[..n]),
                                Err(_) => continue,
                            }
                        }
                        if got != want {
                            fail(format!(
                                "tcp-expect {who}: got {:?}",
                                String::from_utf8_lossy(&got)
                            ));
                        }
                    }
                }
            }
            c => {
                let Some(cl) = clients.get_mut(who) else {
                    fail(format!("no client {who}"));
                    continue;
                };
                match c {
                    "send" => {
                        let _ = cl.s.write_all(&masked(true, 1, arg.as_bytes()));
                    }
                    "send-binary" => {
                        let _ = cl.s.write_all(&masked(true, 2, &hex(arg)));
                    }
                    "send-raw" => {
                        let _ = cl.s.write_all(&hex(arg));
                    }
                    "send-fragments" => {
                        let parts: Vec<&str> = arg.split('|').collect();
                        for (i, p) in parts.iter().enumerate() {
                            let op = if i == 0 { 1 } else { 0 };
                            let _ =
                                cl.s.write_all(&masked(i + 1 == parts.len(), op, p.as_bytes()));
                        }
                    }
                    "ping" => {
                        let _ = cl.s.write_all(&masked(true, 9, arg.as_bytes()));
                    }
                    "close" => {
                        let (code, reason) = arg.split_once(' ').unwrap_or((arg, ""));
                        let mut p = code
                            .trim()
                            .parse::<u16>()
                            .unwrap_or(1000)
                            .to_be_bytes()
                            .to_vec();
                        p.extend_from_slice(reason.as_bytes());
                        let _ = cl.s.write_all(&masked(true, 8, &p));
                    }
                    "expect" | "expect-json" | "expect-binary" => match cl.message(wait) {
                        Some((1, d)) if c == "expect" && d == arg.as_bytes() => {}
                        Some((1, d))
                            if c == "expect-json" && json_eq(arg, &String::from_utf8_lossy(&d)) => {
                        }
                        Some((2, d)) if c == "expect-binary" && d == hex(arg) => {}
                        Some((op, d)) => fail(format!(
                            "{c} {who}: got opcode {op} {:?}",
                            String::from_utf8_lossy(&d)
                        )),
                        None => fail(format!("{c} {who}: nothing arrived")),
                    },
                    "expect-pong" => loop {
                        match cl.frame(wait) {
                            Some(f) if f.op == 10 => {
                                if f.payload != arg.as_bytes() {
                                    fail(format!(
                                        "pong payload {:?}",
                                        String::from_utf8_lossy(&f.payload)
                                    ));
                                }
                                break;
                            }
                            Some(f) if f.op == 9 => continue,
                            Some(f) => {
                                fail(format!("expected a pong, got opcode {}", f.op));
                                break;
                            }
                            None => {
                                fail("no pong".into());
                                break;
                            }
                        }
                    },
                    "expect-close" => match cl.message(wait) {
                        Some((8, p))
                            if p.len() >= 2
                                && u16::from_be_bytes([p[0], p[1]]).to_string() == arg.trim() => {}
                        Some((8, p)) => fail(format!("close payload {p:?}, expected code {arg}")),
                        Some((op, d)) => fail(format!(
                            "expected close, got opcode {op} {:?}",
                            String::from_utf8_lossy(&d)
                        )),
                        None => fail(format!("expect-close {who}: no close frame")),
                    },
                    "expect-closed" => {
                        if !cl.closed(wait) {
                            fail(format!("{who} still open"));
                        }
                    }
                    "expect-nothing" => {
                        let ms = arg.trim().parse().unwrap_or(300);
                        if let Some((op, d)) = cl.message(Duration::from_millis(ms)) {
                            fail(format!(
                                "expected nothing, got opcode {op} {:?}",
                                String::from_utf8_lossy(&d)
                            ));
                        }
                    }
                    other => fail(format!("unknown command {other}")),
                }
            }
        }
    }
    drop(clients);
    drop(tcp);
    std::thread::sleep(Duration::from_millis(200));
    problems.extend(finish_app(app, case));
    problems
}

fn unescape(s: &str) -> String {
    s.replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\\t", "\t")
}

/// `"/path {json}"` → (path, json).
fn who_split(rest: &str) -> (&str, &str) {
    rest.split_once(' ').unwrap_or((rest, ""))
}
