//! Issue 13 regressions on real sockets: hostile HTTP input gets a clear 4xx and, where needed,
//! a closed connection, never a crash, a stall or unbounded growth; the server keeps serving.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn echo_app(name: &str) -> std::path::PathBuf {
    let main = format!(
        "{START}(hello: Test Server) {{\n    Return an <OK: status> with {{ hello: \"world\" }}.\n}}\n(echo: Test Server) {{\n    Extract the <b> from the <request: body>.\n    Return an <OK: status> with {{ got: <b> }}.\n}}\n"
    );
    let yaml = format!(
        "{}  /echo:\n    post:\n      operationId: echo\n      responses:\n        '200':\n          description: ok\n",
        contract(&[("/hello", "hello")])
    );
    app(name, &[("main.aro", &main), ("openapi.yaml", &yaml)])
}

/// Sends `bytes` on a fresh connection and reads until the server closes it (or `wait` ends):
/// (everything read, whether the server closed the connection).
fn raw(server: &Server, bytes: &[u8], wait: Duration) -> (String, bool) {
    let mut s = server.connect();
    s.set_read_timeout(Some(wait)).unwrap();
    s.write_all(bytes).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let closed = loop {
        match s.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break true,
            Err(_) => break false,
        }
    };
    (String::from_utf8_lossy(&buf).into_owned(), closed)
}

fn status_of(text: &str) -> u16 {
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn assert_still_serving(server: &Server) {
    assert_eq!(server.get("/hello").0, 200, "the server still answers");
}

#[test]
fn issue_13_chunk_size_overflow_is_refused_and_the_server_lives() {
    let server = start(&echo_app("chunk-overflow"), &[]);
    for body in [
        "1\r\na\r\nffffffffffffffff\r\nabc\r\n0\r\n\r\n",
        "2\r\nab\r\nfffffffffffffffe\r\nabc\r\n0\r\n\r\n",
    ] {
        let req =
            format!("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{body}");
        let (text, closed) = raw(&server, req.as_bytes(), Duration::from_secs(5));
        assert!(
            matches!(status_of(&text), 400 | 413),
            "status of {body:?}: {text}"
        );
        assert!(closed, "the connection is closed after a framing error");
        assert_still_serving(&server);
    }
}

#[test]
fn issue_13_a_panic_costs_one_connection_not_the_process() {
    let server = start(&echo_app("panic"), &[("AROVM_TEST_PANIC", "1")]);
    let (_, closed) = raw(
        &server,
        b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Arovm-Test-Panic: reactor\r\n\r\n",
        Duration::from_secs(5),
    );
    assert!(closed, "a panic in the reactor closes that connection");
    assert_still_serving(&server);
    let (text, _) = raw(
        &server,
        b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Arovm-Test-Panic: driver\r\n\r\n",
        Duration::from_secs(5),
    );
    assert_eq!(
        status_of(&text),
        500,
        "a panic in the driver is a 500: {text}"
    );
    assert_still_serving(&server);
}

#[test]
fn issue_13_request_smuggling_shapes_are_refused() {
    let server = start(&echo_app("smuggling"), &[]);
    let cases: &[(&[u8], u16, bool)] = &[
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdefGET /hello HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
            true,
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            501,
            true,
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            501,
            true,
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            400,
            true,
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nabcde",
            400,
            true,
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n+3\r\nabc\r\n0\r\n\r\n",
            400,
            true,
        ),
        (b"GET /hello HTTP/1.1\r\n\r\n", 400, true),
        (b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, true),
        (b"GET /he llo HTTP/1.1\r\nHost: x\r\n\r\n", 400, true),
        (b"GET /hello HTTP/1.0\r\n\r\n", 200, true),
        (
            b"GET http://example.com/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            200,
            true,
        ),
    ];
    for (req, want, want_closed) in cases {
        let started = Instant::now();
        let (text, closed) = raw(&server, req, Duration::from_secs(5));
        assert_eq!(
            status_of(&text),
            *want,
            "{:?} → {text}",
            String::from_utf8_lossy(req)
        );
        assert_eq!(
            closed,
            *want_closed,
            "connection fate of {:?}",
            String::from_utf8_lossy(req)
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "answered at once"
        );
        assert_eq!(
            text.matches("HTTP/1.1 ").count(),
            1,
            "nothing after the refused request was parsed as a second request: {text}"
        );
    }
    assert_still_serving(&server);
}

#[test]
fn issue_13_bare_lf_chunked_body_is_answered_at_once() {
    let server = start(&echo_app("bare-lf"), &[]);
    let started = Instant::now();
    let (text, closed) = raw(
        &server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n",
        Duration::from_secs(5),
    );
    assert_eq!(status_of(&text), 400, "{text}");
    assert!(closed);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn issue_13_a_partial_pipelined_head_is_bounded_by_the_head_timeout() {
    let server = start(
        &echo_app("partial-pipelined"),
        &[("AROVM_HEAD_TIMEOUT_MS", "300")],
    );
    let started = Instant::now();
    let (text, closed) = raw(
        &server,
        b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /hello HTTP/1.1\r\nHo",
        Duration::from_secs(10),
    );
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.contains("HTTP/1.1 408"),
        "the stalled second head gets 408: {text}"
    );
    assert!(closed);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn issue_13_a_trickling_body_is_bounded_by_the_body_timeout() {
    let server = start(
        &echo_app("body-timeout"),
        &[
            ("AROVM_BODY_TIMEOUT_MS", "400"),
            ("AROVM_HEAD_TIMEOUT_MS", "10000"),
        ],
    );
    let mut s = server.connect();
    s.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    assert_eq!(status_of(&text), 408, "{text}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn chunked_body_in_single_byte_reads_is_decoded() {
    let server = start(&echo_app("trickle"), &[]);
    let mut s = server.connect();
    s.set_nodelay(true).unwrap();
    let req = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    for b in req.iter() {
        s.write_all(&[*b]).unwrap();
        if *b == b'\n' {
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    let (status, body) = read_response(&mut s);
    assert_eq!(status, 200);
    assert!(body.contains("hello world"), "{body}");
}

#[test]
fn issue_13_pipelining_past_the_input_cap_answers_every_request() {
    let server = start(&echo_app("pipeline-cap"), &[]);
    let n = 50_000;
    let mut s = server.connect();
    let mut reader = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        let one = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
        let mut batch = Vec::new();
        for _ in 0..1000 {
            batch.extend_from_slice(one);
        }
        for _ in 0..n / 1000 {
            s.write_all(&batch).unwrap();
        }
    });
    let mut seen = 0;
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while seen < n && Instant::now() < deadline {
        let k = reader.read(&mut buf).unwrap();
        assert!(k > 0, "closed after {seen} responses");
        carry.extend_from_slice(&buf[..k]);
        let text = String::from_utf8_lossy(&carry);
        seen += text.matches("HTTP/1.1 200").count();
        // Keep what follows the last status line's start (a status line split across reads).
        let last = text.rfind("HTTP/1.1 200").map_or(0, |i| i + 1);
        carry = carry[last.min(carry.len())..].to_vec();
    }
    writer.join().unwrap();
    assert_eq!(seen, n, "every pipelined request is answered");
}

/// The server's resident memory in KiB.
fn rss_kib(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn issue_13_a_pipelining_client_that_never_reads_is_bounded() {
    let server = start(&echo_app("never-reads"), &[]);
    let before = rss_kib(&server);
    let s = server.connect();
    s.set_nonblocking(true).unwrap();
    let mut s = s;
    let one = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 2000).collect();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut sent = 0usize;
    while Instant::now() < deadline && sent < 100 << 20 {
        match s.write(&batch) {
            Ok(n) => sent += n,
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    std::thread::sleep(Duration::from_millis(300));
    let grown = rss_kib(&server).saturating_sub(before);
    assert!(
        grown < 64 * 1024,
        "RSS grew by {grown} KiB after {sent} bytes of never-read requests"
    );
    assert_still_serving(&server);
    drop(s);
    let _ = TcpStream::connect(("127.0.0.1", server.port));
}

#[test]
fn issue_13_a_malicious_upstream_fails_the_request_statement_not_the_process() {
    let upstream = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let up = upstream.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Some(Ok(mut s)) = upstream.incoming().next() {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nffffffffffffffff\r\nabc\r\n0\r\n\r\n");
        }
    });
    let main = format!(
        "{START}(viaUpstream: Test Server) {{\n    Request the <r> from \"http://127.0.0.1:{up}/x\".\n    Return an <OK: status> with <r>.\n}}\n(hello: Test Server) {{\n    Return an <OK: status> with {{ hello: \"world\" }}.\n}}\n"
    );
    let dir = app(
        "malicious-upstream",
        &[
            ("main.aro", &main),
            (
                "openapi.yaml",
                &contract(&[("/up", "viaUpstream"), ("/hello", "hello")]),
            ),
        ],
    );
    let server = start(&dir, &[]);
    let (status, body) = server.get("/up");
    assert_eq!(status, 500, "{body}");
    assert_still_serving(&server);
}
