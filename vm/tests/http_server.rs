//! The HTTP server against real sockets on 127.0.0.1: concurrency (a slow upstream does not stall
//! other requests), timeouts, limits, bad input, and graceful shutdown.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// A fake upstream that answers after `delay`, once per connection.
fn slow_upstream(delay: Duration) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().take(4) {
            let Ok(mut s) = s else { continue };
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                std::thread::sleep(delay);
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"slow\":true}");
            });
        }
    });
    port
}

#[test]
fn slow_upstream_does_not_stall_other_requests() {
    let up = slow_upstream(Duration::from_millis(1500));
    let main = format!(
        "{START}(viaUpstream: Test Server) {{\n    Request the <r> from \"http://127.0.0.1:{up}/x\".\n    Extract the <b> from the <r: body>.\n    Return an <OK: status> with <b>.\n}}\n(fast: Test Server) {{\n    Return an <OK: status> with {{ fast: true }}.\n}}\n"
    );
    let dir = app(
        "slow-upstream",
        &[
            ("main.aro", &main),
            (
                "openapi.yaml",
                &contract(&[("/slow", "viaUpstream"), ("/fast", "fast")]),
            ),
        ],
    );
    let server = start(&dir, &[]);
    let (tx, rx) = mpsc::channel();
    let port = server.port;
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        let r = get(port, "/slow");
        tx2.send(("slow", r)).unwrap();
    });
    std::thread::sleep(Duration::from_millis(200));
    let r = server.get("/fast");
    tx.send(("fast", r)).unwrap();
    let first = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    let second = rx.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(first.0, "fast", "the fast request finished first");
    assert_eq!(first.1, (200, "{\"fast\":true}".to_string()));
    assert_eq!(second.1, (200, "{\"slow\":true}".to_string()));
}

#[test]
fn incomplete_head_times_out_with_408_and_others_are_served() {
    let main = format!(
        "{START}(ping: Test Server) {{\n    Return an <OK: status> with {{ pong: 1 }}.\n}}\n"
    );
    let dir = app(
        "head-timeout",
        &[
            ("main.aro", &main),
            ("openapi.yaml", &contract(&[("/ping", "ping")])),
        ],
    );
    let server = start(&dir, &[("AROVM_HEAD_TIMEOUT_MS", "300")]);
    let mut slow = server.connect();
    slow.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    assert_eq!(server.get("/ping").0, 200, "others are served meanwhile");
    let (status, body) = read_response(&mut slow);
    assert_eq!(status, 408);
    assert!(body.contains("request timeout"));
}

/// The listener queues up to 1,024 pending connects (`LISTEN_BACKLOG`; mio and std use 128, which
/// a burst of a thousand connects overflows). `ss` reports a listening socket's backlog as its
/// Send-Q; the kernel caps it at `net.core.somaxconn`.
#[test]
fn listener_backlog_is_1024() {
    let main = format!(
        "{START}(ping: Test Server) {{\n    Return an <OK: status> with {{ pong: 1 }}.\n}}\n"
    );
    let dir = app(
        "backlog",
        &[
            ("main.aro", &main),
            ("openapi.yaml", &contract(&[("/ping", "ping")])),
        ],
    );
    let server = start(&dir, &[]);
    let out = std::process::Command::new("ss")
        .args(["-ltnH", &format!("sport = :{}", server.port)])
        .output()
        .expect("ss (iproute2) runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let send_q: u32 = text
        .split_whitespace()
        .nth(2)
        .and_then(|q| q.parse().ok())
        .unwrap_or_else(|| panic!("no listening socket in `ss` output: {text}"));
    let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(4096);
    assert_eq!(send_q, 1024.min(somaxconn), "{text}");
}

#[test]
fn connection_limit_accepts_and_closes_extra_connections() {
    let main = format!(
        "{START}(ping: Test Server) {{\n    Return an <OK: status> with {{ pong: 1 }}.\n}}\n"
    );
    let dir = app(
        "conn-limit",
        &[
            ("main.aro", &main),
            ("openapi.yaml", &contract(&[("/ping", "ping")])),
        ],
    );
    let server = start(&dir, &[("AROVM_MAX_CONNECTIONS", "2")]);
    let _a = server.connect();
    let _b = server.connect();
    std::thread::sleep(Duration::from_millis(100));
    let mut c = server.connect();
    let mut buf = [0u8; 16];
    assert_eq!(
        c.read(&mut buf).unwrap_or(0),
        0,
        "the third connection is closed at once"
    );
    drop(_a);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        server.get("/ping").0,
        200,
        "a slot frees when a client leaves"
    );
}

#[test]
fn client_closing_mid_response_and_garbage_do_not_hurt_the_server() {
    let big = "x".repeat(200_000);
    let main = format!("{START}(big: Test Server) {{\n    Return an <OK: status> with {{ data: \"{big}\" }}.\n}}\n(ping: Test Server) {{\n    Return an <OK: status> with {{ pong: 1 }}.\n}}\n");
    let dir = app(
        "mid-close",
        &[
            ("main.aro", &main),
            (
                "openapi.yaml",
                &contract(&[("/big", "big"), ("/ping", "ping")]),
            ),
        ],
    );
    let server = start(&dir, &[]);
    for _ in 0..20 {
        let mut s = server.connect();
        s.write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut buf = [0u8; 100];
        let _ = s.read(&mut buf);
        drop(s);
    }
    let mut g = server.connect();
    g.write_all(&[0xff, 0x00, 0x13, b'\r', b'\n', b'\r', b'\n'])
        .unwrap();
    assert_eq!(read_response(&mut g).0, 400);
    assert_eq!(server.get("/ping"), (200, "{\"pong\":1}".to_string()));
}

#[test]
fn sigterm_runs_application_end_and_exits_zero() {
    let main = format!("{START}(ping: Test Server) {{\n    Return an <OK: status> with {{ pong: 1 }}.\n}}\n(Application-End: Success) {{\n    Log \"bye\" to the <console>.\n    Stop the <http-server> with <application>.\n    Return an <OK: status> for the <shutdown>.\n}}\n");
    let dir = app(
        "sigterm",
        &[
            ("main.aro", &main),
            ("openapi.yaml", &contract(&[("/ping", "ping")])),
        ],
    );
    let server = start(&dir, &[]);
    assert_eq!(server.get("/ping").0, 200);
    let (code, lines) = server.terminate();
    assert_eq!(code, 0);
    assert!(
        lines.iter().any(|l| l == "[Application-End] bye"),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l == "[OK] startup"), "{lines:?}");
}

#[test]
fn a_connection_that_never_sends_is_closed_after_the_head_timeout() {
    let main = format!(
        "{START}(ping: Test Server) {{\n    Return an <OK: status> with {{ pong: 1 }}.\n}}\n"
    );
    let dir = app(
        "silent-conn",
        &[
            ("main.aro", &main),
            ("openapi.yaml", &contract(&[("/ping", "ping")])),
        ],
    );
    let server = start(&dir, &[("AROVM_HEAD_TIMEOUT_MS", "300")]);
    let mut silent = server.connect();
    let mut buf = [0u8; 16];
    assert_eq!(
        silent.read(&mut buf).unwrap_or(0),
        0,
        "closed by the server"
    );
    assert_eq!(server.get("/ping").0, 200);
}

#[test]
fn a_request_followed_by_a_half_close_is_answered_and_the_connection_closed() {
    // The read loop stops at a short read; the hang-up must still be seen (the request and the
    // FIN often arrive in one readiness event).
    // A busy handler (about 0.2 s of loop) holds the event loop so that the request and the FIN
    // are both waiting when it polls again.
    let busy = "    Create the <d> with [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].\n    for each <a> in <d> {\n    for each <b> in <d> {\n    for each <c> in <d> {\n    for each <e> in <d> {\n    for each <f> in <d> {\n    for each <g> in <d> {\n        Compute the <x> from <g> + 1.\n    }\n    }\n    }\n    }\n    }\n    }\n";
    let main = format!("{START}(ping: Test Server) {{\n    Return an <OK: status> with {{ pong: 1 }}.\n}}\n(busy: Test Server) {{\n{busy}    Return an <OK: status> with {{ done: 1 }}.\n}}\n");
    let dir = app(
        "half-close",
        &[
            ("main.aro", &main),
            (
                "openapi.yaml",
                &contract(&[("/ping", "ping"), ("/busy", "busy")]),
            ),
        ],
    );
    let server = start(&dir, &[]);
    for _ in 0..3 {
        // Accepted and registered while the loop is idle ...
        let mut s = server.connect();
        std::thread::sleep(Duration::from_millis(50));
        // ... then the loop is kept busy while the request and the FIN arrive.
        let mut hold = server.connect();
        hold.write_all(b"GET /busy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        std::thread::sleep(Duration::from_millis(60));
        s.write_all(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\nGET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut all = Vec::new();
        s.read_to_end(&mut all)
            .expect("the server closes after answering");
        let text = String::from_utf8_lossy(&all);
        assert_eq!(text.matches("{\"pong\":1}").count(), 2, "{text}");
        assert_eq!(read_response(&mut hold).0, 200);
    }
}

/// A `Request` result is `{body, headers, status}`; another key is looked up in the body, as
/// the reference does for compatibility (`<r: slow>` is `<r: body.slow>`).
#[test]
fn a_request_result_passes_other_keys_to_its_body() {
    let up = slow_upstream(Duration::from_millis(1));
    let main = format!(
        "{START}(viaUpstream: Test Server) {{\n    Request the <r> from \"http://127.0.0.1:{up}/x\".\n    Extract the <s> from the <r: slow>.\n    Extract the <code> from the <r: status>.\n    Return an <OK: status> with {{ slow: <s>, code: <code> }}.\n}}\n"
    );
    let dir = app(
        "request-fall-through",
        &[
            ("main.aro", &main),
            ("openapi.yaml", &contract(&[("/via", "viaUpstream")])),
        ],
    );
    let server = start(&dir, &[]);
    assert_eq!(
        server.get("/via"),
        (200, "{\"code\":200,\"slow\":true}".to_string())
    );
}
