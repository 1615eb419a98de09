//! WebSockets against real sockets with tungstenite as the client: the handshake and its errors,
//! echo, broadcast from HTTP, RFC 6455 close codes, and Disconnect exactly once on every path.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::{connect, Message};

const APP: &str = r#"(Application-Start: WS Test) {
    Start the <http-server> with { websocket: "/ws", maxMessageSize: 1000, maxQueue: 200000 }.
    Keepalive the <application> for the <events>.
    Return an <OK: status> for the <startup>.
}
(On Connect: WebSocket Event Handler) {
    Extract the <id> from the <event: id>.
    Log "connect ${<id>}" to the <console>.
    Return an <OK: status> for the <connection>.
}
(On Message: WebSocket Event Handler) {
    Extract the <text> from the <event: message>.
    Log "message ${<text>}" to the <console>.
    Send the <text> to the <connection> when <text> is not "close me".
    Close the <websocket-connection> when <text> is "close me".
    Return an <OK: status> for the <text>.
}
(On Disconnect: WebSocket Event Handler) {
    Extract the <id> from the <event: connectionId>.
    Extract the <code> from the <event: code>.
    Log "disconnect ${<id>} ${<code>}" to the <console>.
    Return an <OK: status> for the <connection>.
}
(shout: WS Test) {
    Extract the <text> from the <request: body.text>.
    Broadcast { shout: <text> } to the <websocket>.
    Return an <OK: status> with { sent: true }.
}
"#;

const CONTRACT: &str = "openapi: 3.0.3\ninfo:\n  title: T\n  version: '1'\npaths:\n  /shout:\n    post:\n      operationId: shout\n      responses:\n        '200':\n          description: ok\n";

fn server(name: &str) -> Server {
    let dir = app(name, &[("main.aro", APP), ("openapi.yaml", CONTRACT)]);
    start(&dir, &[])
}

fn ws(server: &Server) -> tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>> {
    let (s, resp) = connect(format!("ws://127.0.0.1:{}/ws", server.port)).expect("handshake");
    assert_eq!(resp.status().as_u16(), 101);
    s
}

fn lines_matching(lines: &[String], prefix: &str) -> usize {
    lines.iter().filter(|l| l.contains(prefix)).count()
}

#[test]
fn echo_and_clean_close_echoes_the_code() {
    let server = server("ws-echo");
    let mut c = ws(&server);
    c.send(Message::text("hello")).unwrap();
    assert_eq!(c.read().unwrap(), Message::text("hello"));
    c.close(Some(CloseFrame {
        code: CloseCode::Away,
        reason: "bye".into(),
    }))
    .unwrap();
    loop {
        match c.read() {
            Ok(Message::Close(Some(f))) => {
                assert_eq!(f.code, CloseCode::Away, "the server echoes the close code");
            }
            Ok(_) => continue,
            Err(_) => break,
        }
    }
    std::thread::sleep(Duration::from_millis(200));
    let (_, lines) = server.terminate();
    assert_eq!(lines_matching(&lines, "] disconnect "), 1, "{lines:?}");
    assert!(lines.iter().any(|l| l.ends_with(" 1001")), "{lines:?}");
}

#[test]
fn a_json_message_forwarded_unchanged_goes_out_as_the_bytes_that_came_in() {
    let server = server("ws-forward");
    let mut c = ws(&server);
    // Extract parses the text into an object (the handler could read its fields); sending
    // that object on unchanged sends the client's own bytes: spacing, key order and `/`
    // unescaped, where a re-serialization would give `{"a":"x\/y","b":[1,2]}`.
    let text = "{ \"b\": [1, 2],  \"a\": \"x/y\" }";
    c.send(Message::text(text)).unwrap();
    assert_eq!(c.read().unwrap(), Message::text(text));
}

#[test]
fn broadcast_from_http_reaches_every_client_once_serialized() {
    let server = server("ws-broadcast");
    let mut clients: Vec<_> = (0..5).map(|_| ws(&server)).collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut s = server.connect();
    let body = r#"{"text":"hi"}"#;
    write!(s, "POST /shout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let (status, _) = read_response(&mut s);
    assert_eq!(status, 200);
    for c in clients.iter_mut() {
        assert_eq!(c.read().unwrap(), Message::text(r#"{"shout":"hi"}"#));
    }
}

#[test]
fn handshake_errors() {
    let server = server("ws-handshake");
    let mut s = server.connect();
    s.write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 426"), "{text}");
    assert!(text.contains("Sec-WebSocket-Version: 13"));
    let mut s = server.connect();
    s.write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut s).0, 400, "missing key");
    assert_eq!(
        server.get("/ws").0,
        404,
        "a plain GET is routed like any request"
    );
}

#[test]
fn cross_site_browser_upgrades_are_refused_and_same_site_ones_accepted() {
    let server = server("ws-origin");
    let host = format!("127.0.0.1:{}", server.port);
    let upgrade = |origin: Option<&str>| {
        let mut s = server.connect();
        let origin = origin.map_or(String::new(), |o| format!("Origin: {o}\r\n"));
        let req = format!("GET /ws HTTP/1.1\r\nHost: {host}\r\n{origin}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
        s.write_all(req.as_bytes()).unwrap();
        // The status line is enough (a 101 keeps the connection open).
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let text = String::from_utf8_lossy(&head).to_string();
        text.split_whitespace()
            .nth(1)
            .and_then(|c| c.parse::<u16>().ok())
            .unwrap_or(0)
    };
    assert_eq!(upgrade(Some("http://evil.example")), 403, "another site");
    assert_eq!(upgrade(Some("null")), 403, "a sandboxed page");
    assert_eq!(
        upgrade(Some(&format!("http://{host}"))),
        101,
        "the page's own host"
    );
    assert_eq!(upgrade(None), 101, "no Origin: not a browser");
}

/// A raw client frame (masked unless `masked` is false).
fn frame(opcode: u8, fin: bool, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut f = vec![(if fin { 0x80 } else { 0 }) | opcode];
    let mask_bit = if masked { 0x80 } else { 0 };
    f.push(mask_bit | payload.len() as u8);
    let key = [1u8, 2, 3, 4];
    if masked {
        f.extend_from_slice(&key);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        f.extend_from_slice(payload);
    }
    f
}

fn raw_ws(server: &Server) -> TcpStream {
    let mut s = server.connect();
    s.write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
    s
}

/// Reads until the server's Close frame; returns its code.
fn close_code(s: &mut TcpStream) -> u16 {
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let mut i = 0;
    while i + 2 <= buf.len() {
        let op = buf[i] & 0x0f;
        let len = (buf[i + 1] & 0x7f) as usize;
        if op == 8 && len >= 2 {
            return u16::from_be_bytes([buf[i + 2], buf[i + 3]]);
        }
        i += 2 + len;
    }
    0
}

#[test]
fn protocol_violations_get_their_close_codes_and_one_disconnect_each() {
    let server = server("ws-violations");
    let mut unmasked = raw_ws(&server);
    unmasked.write_all(&frame(1, true, b"hi", false)).unwrap();
    assert_eq!(close_code(&mut unmasked), 1002, "unmasked client frame");
    let mut bad_utf8 = raw_ws(&server);
    bad_utf8
        .write_all(&frame(1, true, &[0xc3, 0x28], true))
        .unwrap();
    assert_eq!(close_code(&mut bad_utf8), 1007, "invalid UTF-8");
    let mut big = raw_ws(&server);
    let mut f = vec![0x81, 0x80 | 126];
    f.extend_from_slice(&2000u16.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend(std::iter::repeat_n(b'a', 2000));
    big.write_all(&f).unwrap();
    assert_eq!(close_code(&mut big), 1009, "message over maxMessageSize");
    let mut rsv = raw_ws(&server);
    rsv.write_all(&frame(0x40 | 1, true, b"x", true)).unwrap();
    assert_eq!(close_code(&mut rsv), 1002, "reserved bit");
    let mut dropped = raw_ws(&server);
    dropped
        .write_all(&frame(1, true, b"partial", true)[..4])
        .unwrap();
    drop(dropped);
    let mut closed_by_server = ws(&server);
    closed_by_server.send(Message::text("close me")).unwrap();
    let mut got_close = false;
    while let Ok(m) = closed_by_server.read() {
        if let Message::Close(Some(f)) = m {
            assert_eq!(f.code, CloseCode::Normal);
            got_close = true;
        }
    }
    assert!(got_close, "the server closed with 1000");
    std::thread::sleep(Duration::from_millis(300));
    let (_, lines) = server.terminate();
    assert_eq!(lines_matching(&lines, "] connect "), 6, "{lines:?}");
    assert_eq!(
        lines_matching(&lines, "] disconnect "),
        6,
        "exactly once per connection: {lines:?}"
    );
    for code in [" 1002", " 1007", " 1009", " 1006", " 1000"] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains("] disconnect ") && l.ends_with(code)),
            "{code}: {lines:?}"
        );
    }
}

#[test]
fn ping_is_answered_and_fragments_are_reassembled() {
    let server = server("ws-ping");
    let mut s = raw_ws(&server);
    s.write_all(&frame(9, true, b"p1", true)).unwrap();
    s.write_all(&frame(1, false, b"hel", true)).unwrap();
    s.write_all(&frame(0, true, b"lo", true)).unwrap();
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    while got.len() < 4 + 7 {
        let n = s.read(&mut buf).unwrap();
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(
        &got[..4],
        &[0x8a, 2, b'p', b'1'],
        "pong with the ping's payload"
    );
    assert_eq!(
        &got[4..11],
        &[0x81, 5, b'h', b'e', b'l', b'l', b'o'],
        "reassembled echo"
    );
}

#[test]
fn a_client_that_never_reads_is_closed_with_1008_and_others_keep_receiving() {
    let server = server("ws-slow");
    let slow = raw_ws(&server); // never reads
    let mut fast = ws(&server);
    std::thread::sleep(Duration::from_millis(100));
    let text = "x".repeat(30_000);
    for _ in 0..400 {
        let mut s = server.connect();
        let body = format!("{{\"text\":\"{text}\"}}");
        write!(s, "POST /shout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        assert_eq!(read_response(&mut s).0, 200);
        assert!(matches!(fast.read().unwrap(), Message::Text(_)));
    }
    drop(slow);
    std::thread::sleep(Duration::from_millis(300));
    let (_, lines) = server.terminate();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("] disconnect ") && l.ends_with(" 1008")),
        "{lines:?}"
    );
}

#[test]
fn a_burst_larger_than_the_queue_bound_reaches_a_reading_client_in_order() {
    // Frames sent in one loop turn are written together at its end; a burst past maxQueue is
    // written out first and only then judged, so a client that reads is not a slow consumer.
    let app_text = r#"(Application-Start: WS Burst) {
    Start the <http-server> with { websocket: "/ws", maxQueue: 200000 }.
    Keepalive the <application> for the <events>.
    Return an <OK: status> for the <startup>.
}
(On Message: WebSocket Event Handler) {
    Create the <chunk> with "CHUNK".
    for <i> from 1 to 100 {
        Send "${<i>}:${<chunk>}" to the <connection>.
    }
    Return an <OK: status> for the <chunk>.
}
"#
    .replace("CHUNK", &"y".repeat(4000));
    let dir = app("ws-burst", &[("main.aro", &app_text)]);
    let server = start(&dir, &[]);
    let mut c = ws(&server);
    c.send(Message::text("go")).unwrap();
    for i in 1..=100 {
        match c.read().expect("every frame of the burst") {
            Message::Text(t) => assert!(t.starts_with(&format!("{i}:yyy")), "frame {i}"),
            other => panic!("frame {i}: {other:?}"),
        }
    }
}
