//! Operability over real sockets, the log side: access lines per request and per closed
//! WebSocket/TCP connection, text escaping and JSON lines that no request data can forge,
//! failing handlers logged under the request id of their 500, runtime errors on stderr, trusted
//! proxies naming the client.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::CloseFrame;
use tungstenite::Message;

const APP: &str = r#"(Application-Start: Ops Test) {
    Start the <http-server> with { websocket: "/ws" }.
    Start the <socket-server> with { port: 9000 }.
    Keepalive the <application> for the <events>.
    Return an <OK: status> for the <startup>.
}
(hello: Ops Test) {
    Return an <OK: status> with { hello: "world" }.
}
(boom: Ops Test) {
    Create the <profile> with { name: "x" }.
    Extract the <age> from the <profile: age>.
    Return an <OK: status> with { age: <age> }.
}
(note: Ops Test) {
    Extract the <q> from the <queryParameters: q>.
    Extract the <headers> from the <request: headers>.
    Extract the <n> from the <headers: X-Note>.
    Log <q> to the <console>.
    Log <n> to the <console>.
    Return an <OK: status> with { logged: true }.
}
(whoami: Ops Test) {
    Extract the <addr> from the <request: remoteAddress>.
    Return an <OK: status> with { addr: <addr> }.
}
(On Connect: WebSocket Event Handler) {
    Extract the <id> from the <event: id>.
    Log "ws-open ${<id>}" to the <console>.
    Return an <OK: status> for the <connection>.
}
(On Message: WebSocket Event Handler) {
    Extract the <text> from the <event: message>.
    Send the <text> to the <connection> when <text> is not "quiet".
    Return an <OK: status> for the <text>.
}
(Client Connected: Socket Event Handler) {
    Extract the <client> from the <connection: id>.
    Log "tcp-open ${<client>}" to the <console>.
    Return an <OK: status> for the <connection>.
}
(Data Received: Socket Event Handler) {
    Extract the <client> from the <packet: connection>.
    Send "ok\n" to the <client>.
    Send "ok\n" to the <client>.
    Return an <OK: status> for the <packet>.
}
"#;

/// The fields of a request's access line, in order.
const REQUEST_FIELDS: [&str; 7] = [
    "remote",
    "method",
    "path",
    "status",
    "bytes",
    "duration_ms",
    "request_id",
];

/// The line of the statement that fails in `boom` (1-based, as `at=main.aro:LINE` names it).
fn failing_line() -> usize {
    1 + APP
        .lines()
        .position(|l| l.contains("Extract the <age>"))
        .unwrap()
}

fn ops_app(name: &str) -> std::path::PathBuf {
    let yaml = contract(&[
        ("/hello", "hello"),
        ("/boom", "boom"),
        ("/note", "note"),
        ("/whoami", "whoami"),
    ]);
    app(name, &[("main.aro", APP), ("openapi.yaml", &yaml)])
}

/// Starts the app; its socket server takes a free port too.
fn ops(name: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut env = env.to_vec();
    env.push(("ARO_SOCKET_PORT", "0"));
    start_with(&ops_app(name), args, &env)
}

/// `GET path` with extra header lines and `Connection: close`.
fn get_with(port: u16, path: &str, headers: &str) -> Reply {
    let raw = format!("GET {path} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
    exchange(port, raw.as_bytes())
}

/// Waits for the text-mode access line of the request with id `id`.
fn access_line(server: &Server, id: &str) -> LogLine {
    let l = server.wait_stderr(|l| {
        parse_log_line(l).is_some_and(|p| p.msg == "request" && p.opt("request_id") == Some(id))
    });
    parse_log_line(&l).unwrap()
}

fn is_timestamp(ts: &str) -> bool {
    let b = ts.as_bytes();
    ts.len() == 24
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'.',
            23 => c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

fn is_generated_id(id: &str) -> bool {
    id.len() == 20
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Waits for a stdout line starting with `prefix`; returns the rest.
fn stdout_after(server: &Server, prefix: &str) -> String {
    for _ in 0..100 {
        if let Ok(l) = server.lines.recv_timeout(Duration::from_millis(100)) {
            if let Some(rest) = l.strip_prefix(prefix) {
                return rest.to_string();
            }
        }
    }
    panic!("no stdout line starting with {prefix:?}");
}

#[test]
fn access_line_per_request_names_status_bytes_and_request_id() {
    let server = ops("ops-access", &[], &[]);
    let ok = get_with(server.port, "/hello?x=1", "");
    assert_eq!(ok.status, 200);
    let id = ok.header("x-request-id").expect("X-Request-ID").to_string();
    assert!(is_generated_id(&id), "{id}");
    let l = access_line(&server, &id);
    assert_eq!(l.level, "info");
    assert!(is_timestamp(&l.ts), "{l:?}");
    assert_eq!(l.keys(), REQUEST_FIELDS);
    assert_eq!(l.get("remote"), "127.0.0.1");
    assert_eq!(l.get("method"), "GET");
    assert_eq!(l.get("path"), "/hello", "the query is not logged");
    assert_eq!(l.get("status"), "200");
    assert_eq!(l.get("bytes"), ok.wire_len.to_string(), "bytes on the wire");
    let ms = l.get("duration_ms");
    assert_eq!(ms.split_once('.').map(|(_, f)| f.len()), Some(3), "{ms}");
    assert!(ms.parse::<f64>().unwrap() < 5000.0);
    // Every response has its own id, an unmatched one too.
    let missing = get_with(server.port, "/nope", "");
    assert_eq!(missing.status, 404);
    let id2 = missing.header("x-request-id").unwrap().to_string();
    assert_ne!(id2, id);
    let l = access_line(&server, &id2);
    assert_eq!((l.get("path"), l.get("status")), ("/nope", "404"));
    assert_eq!(l.get("bytes"), missing.wire_len.to_string());
}

#[test]
fn access_line_values_cannot_forge_fields_or_lines() {
    let server = ops("ops-forge", &[], &[]);
    let forged = "2026-01-01T00:00:00.000Z info request remote=6.6.6.6";
    for target in [
        "/x%0a2026-01-01T00:00:00.000Z%20info%20request%20remote=6.6.6.6",
        "/a\"b=c\\d\"status=999",
    ] {
        let r = get_with(server.port, target, "");
        assert_eq!(r.status, 404, "{target}");
        let l = access_line(&server, r.header("x-request-id").unwrap());
        assert_eq!(l.keys(), REQUEST_FIELDS, "{l:?}");
        assert_eq!(l.get("path"), target, "the path round-trips exactly");
        assert_eq!((l.get("status"), l.get("remote")), ("404", "127.0.0.1"));
    }
    // A Log of request data: terminal controls are escaped, the text stays readable.
    let r = get_with(
        server.port,
        "/note?q=a%1b%5b2Jb%0dc%07",
        "X-Note: say \"hi\" [hello] x=1\r\n",
    );
    assert_eq!(r.status, 200);
    assert_eq!(stdout_after(&server, "[note] "), "a\\u{1b}[2Jb\\rc\\u{7}");
    assert_eq!(stdout_after(&server, "[note] "), "say \"hi\" [hello] x=1");
    let (_, out, err) = server.terminate_all();
    for l in out.iter().chain(&err) {
        assert!(
            !l.contains('\u{1b}') && !l.contains('\r'),
            "raw control: {l:?}"
        );
        assert!(!l.starts_with(forged), "forged line {l:?}");
    }
}

#[test]
fn json_mode_writes_every_line_as_one_object_whatever_the_request_holds() {
    let server = ops("ops-json", &["--log-format", "json"], &[]);
    let note = get_with(
        server.port,
        "/note?q=line1%0a%7B%22level%22:%22fatal%22%7D%1b",
        "X-Note: say \"hi\" \\ {\"msg\":\"forged\"}\r\n",
    );
    assert_eq!(note.status, 200);
    let note_id = note.header("x-request-id").unwrap().to_string();
    let boom = get_with(server.port, "/boom", "");
    assert_eq!(boom.status, 500);
    let boom_id = boom.header("x-request-id").unwrap().to_string();
    let odd = get_with(server.port, "/x\"y%0a", "");
    assert_eq!(odd.status, 404);
    let odd_id = odd.header("x-request-id").unwrap().to_string();
    let (code, out, err) = server.terminate_all();
    assert_eq!(code, 0);
    let parse = |l: &String| -> serde_json::Value {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}"));
        assert!(v["ts"].as_str().is_some_and(is_timestamp), "{l}");
        assert!(v["level"].is_string() && v["msg"].is_string(), "{l}");
        v
    };
    let err: Vec<serde_json::Value> = err.iter().map(parse).collect();
    let request = |id: &str| {
        err.iter()
            .find(|v| v["msg"] == "request" && v["request_id"] == id)
            .unwrap_or_else(|| panic!("no access line for {id}: {err:?}"))
    };
    let r = request(&note_id);
    assert_eq!(
        (&r["level"], &r["method"], &r["path"], &r["remote"]),
        (
            &"info".into(),
            &"GET".into(),
            &"/note".into(),
            &"127.0.0.1".into()
        )
    );
    assert_eq!(r["status"], 200, "numbers stay numbers");
    assert_eq!(r["bytes"], note.wire_len);
    assert!(r["duration_ms"].is_f64() || r["duration_ms"].is_u64());
    assert_eq!(request(&odd_id)["path"], "/x\"y%0a");
    assert_eq!(request(&boom_id)["status"], 500);
    let failed = err
        .iter()
        .find(|v| v["msg"] == "handler failed")
        .expect("failure line");
    assert_eq!(failed["level"], "error");
    assert_eq!(failed["request_id"], boom_id.as_str());
    assert_eq!(failed["at"], format!("main.aro:{}", failing_line()));
    assert_eq!(failed["feature_set"], "boom");
    // The app's Log lines: JSON on stdout, the text exact, tied to their request.
    // Every stdout line is JSON too (the start-up line included); the app's own carry a feature set.
    assert!(out.iter().all(|l| l.starts_with('{')), "{out:?}");
    let logs: Vec<serde_json::Value> = out
        .iter()
        .map(parse)
        .filter(|v| v.get("feature_set").is_some())
        .collect();
    let msgs: Vec<&str> = logs.iter().filter_map(|v| v["msg"].as_str()).collect();
    assert_eq!(
        msgs,
        [
            "line1\n{\"level\":\"fatal\"}\u{1b}",
            "say \"hi\" \\ {\"msg\":\"forged\"}"
        ]
    );
    for v in &logs {
        assert_eq!(v["level"], "info");
        assert_eq!(v["feature_set"], "note");
        assert_eq!(v["activity"], "Ops Test");
        assert_eq!(v["request_id"], note_id.as_str());
    }
    let plain: Vec<&String> = out.iter().filter(|l| !l.starts_with('{')).collect();
    assert!(
        plain.iter().all(
            |l| l.starts_with("Socket Server started on port ") || l.as_str() == "[OK] startup"
        ),
        "only the start/response lines stay plain: {plain:?}"
    );
}

#[test]
fn failing_handler_logs_feature_set_line_and_request_id_matching_the_500() {
    let server = ops("ops-failure", &[], &[]);
    let r = get_with(server.port, "/boom", "");
    assert_eq!(r.status, 500);
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let id = body["requestId"].as_str().expect("requestId").to_string();
    assert_eq!(body["error"], "Internal Server Error");
    assert!(
        !r.body.contains("profile"),
        "no detail without --debug-errors"
    );
    assert_eq!(r.header("x-request-id"), Some(id.as_str()));
    let l = server.wait_stderr(|l| l.contains(" error handler failed "));
    let l = parse_log_line(&l).expect("one well-formed line");
    assert_eq!(l.level, "error");
    assert_eq!(l.msg, "handler failed");
    assert_eq!(
        l.keys(),
        [
            "feature_set",
            "activity",
            "at",
            "request_id",
            "path",
            "error"
        ]
    );
    assert_eq!(l.get("feature_set"), "boom");
    assert_eq!(l.get("activity"), "Ops Test");
    assert_eq!(l.get("at"), format!("main.aro:{}", failing_line()));
    assert_eq!(l.get("request_id"), id);
    assert_eq!(l.get("path"), "/boom");
    let error = l.get("error");
    assert!(error.starts_with("Runtime error: "), "{error}");
    assert!(
        error.contains("\n  Feature: boom\n") && error.contains("<profile: age>"),
        "{error}"
    );
    // The multi-line error stayed in its line: the next line is the request's access line.
    let next = server.wait_stderr(|_| true);
    let next = parse_log_line(&next).unwrap();
    assert_eq!((next.msg.as_str(), next.get("status")), ("request", "500"));
    assert_eq!(next.get("request_id"), id);
}

#[test]
fn application_start_failure_goes_to_stderr_and_stdout_stays_empty() {
    let main = "(Application-Start: Broken) {\n    Create the <profile> with { name: \"x\" }.\n    Extract the <age> from the <profile: age>.\n    Return an <OK: status> for the <startup>.\n}\n";
    let dir = app("ops-start-fails", &[("main.aro", main)]);
    let d = dir.to_str().unwrap();
    let (code, out, err) = run_to_end(&["run", d], &[]);
    assert_eq!(code, 1);
    assert_eq!(out, "", "nothing on stdout");
    assert!(
        err.starts_with("Runtime error: Runtime Error: Cannot extract the age from the profile"),
        "{err}"
    );
    assert!(err.contains("\n  Feature: Application-Start\n"), "{err}");
    let (code, out, err) = run_to_end(&["run", d, "--log-format", "json"], &[]);
    assert_eq!((code, out.as_str()), (1, ""));
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "one JSON line: {err}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["level"], "error");
    assert!(
        v["msg"]
            .as_str()
            .unwrap()
            .contains("Feature: Application-Start"),
        "{v}"
    );
}

#[test]
fn closed_websocket_writes_one_line_with_messages_and_close_code() {
    let server = ops("ops-ws", &[], &[]);
    let (mut ws, _) =
        tungstenite::connect(format!("ws://127.0.0.1:{}/ws", server.port)).expect("handshake");
    let id = stdout_after(&server, "[On Connect] ws-open ");
    ws.send(Message::text("hello")).unwrap();
    assert_eq!(ws.read().unwrap(), Message::text("hello"));
    ws.send(Message::text("quiet")).unwrap(); // not answered
    ws.close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "done".into(),
    }))
    .unwrap();
    while ws.read().is_ok() {}
    let l = server.wait_stderr(|l| l.contains(" info websocket "));
    let l = parse_log_line(&l).expect("well-formed");
    assert_eq!(
        l.keys(),
        [
            "remote",
            "connection_id",
            "path",
            "duration_ms",
            "messages_in",
            "messages_out",
            "bytes_in",
            "bytes_out",
            "close_code",
            "reason"
        ]
    );
    assert_eq!(l.get("remote"), "127.0.0.1");
    assert_eq!(l.get("connection_id"), id, "the id the app saw");
    assert_eq!(l.get("path"), "/ws");
    assert_eq!((l.get("messages_in"), l.get("messages_out")), ("2", "1"));
    assert_eq!((l.get("close_code"), l.get("reason")), ("1000", "done"));
    // The handshake, two masked 5-byte frames and the close frame in; the 101 response, one
    // echo and the close reply out.
    let (bytes_in, bytes_out): (u64, u64) = (
        l.get("bytes_in").parse().unwrap(),
        l.get("bytes_out").parse().unwrap(),
    );
    assert!(
        bytes_in > 100 + 2 * 11 + 12 && bytes_out > 100 + 7 + 8,
        "{l:?}"
    );
    assert!(bytes_in < 1000 && bytes_out < 1000, "{l:?}");
}

#[test]
fn closed_tcp_connection_writes_one_line_with_bytes_and_reason() {
    let server = ops("ops-tcp", &[], &[]);
    let port: u16 = stdout_after(&server, "Socket Server started on port ")
        .trim()
        .parse()
        .unwrap();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let id = stdout_after(&server, "[Client Connected] tcp-open ");
    s.write_all(b"ping 1\n").unwrap();
    let mut reader = BufReader::new(&s);
    for _ in 0..2 {
        let mut reply = String::new();
        reader.read_line(&mut reply).unwrap();
        assert_eq!(reply, "ok\n");
    }
    drop(s);
    let l = server.wait_stderr(|l| l.contains(" info tcp "));
    let l = parse_log_line(&l).expect("well-formed");
    assert_eq!(
        l.keys(),
        [
            "remote",
            "connection_id",
            "duration_ms",
            "messages_in",
            "messages_out",
            "bytes_in",
            "bytes_out",
            "reason"
        ]
    );
    assert_eq!(l.get("remote"), "127.0.0.1");
    assert_eq!(l.get("connection_id"), id);
    assert_eq!((l.get("messages_in"), l.get("messages_out")), ("1", "2"));
    assert_eq!((l.get("bytes_in"), l.get("bytes_out")), ("7", "6"));
    assert_eq!(l.get("reason"), "connection closed");
}

#[test]
fn access_log_is_off_with_the_flag_the_variable_or_a_level_above_info() {
    for (args, env) in [
        (&["--no-access-log"][..], &[][..]),
        (&[], &[("AROVM_ACCESS_LOG", "off")]),
        (&[], &[("ARO_LOG_LEVEL", "warning")]),
    ] {
        let server = ops("ops-quiet", args, env);
        assert_eq!(get_with(server.port, "/hello", "").status, 200);
        assert_eq!(get_with(server.port, "/boom", "").status, 500);
        server.wait_stderr(|l| l.contains(" error handler failed "));
        let (_, _, err) = server.terminate_all();
        let requests = err.iter().filter(|l| l.contains(" info request ")).count();
        assert_eq!(requests, 0, "{args:?} {env:?}: {err:?}");
    }
    // The same requests with the defaults: two access lines.
    let server = ops("ops-loud", &[], &[]);
    assert_eq!(get_with(server.port, "/hello", "").status, 200);
    assert_eq!(get_with(server.port, "/boom", "").status, 500);
    server.wait_stderr(|l| l.contains(" info request ") && l.contains(" status=500 "));
    let (_, _, err) = server.terminate_all();
    assert_eq!(
        err.iter().filter(|l| l.contains(" info request ")).count(),
        2
    );
}

#[test]
fn a_trusted_proxy_names_the_client_walking_from_the_right() {
    let server = ops(
        "ops-trusted",
        &[
            "--trusted-proxy",
            "10.0.0.0/8",
            "--trusted-proxy",
            "127.0.0.0/8",
        ],
        &[],
    );
    for (header, client) in [
        ("X-Forwarded-For: 6.6.6.6, 203.0.113.7\r\n", "203.0.113.7"),
        (
            "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-For: 203.0.113.8, 10.1.2.3\r\n",
            "203.0.113.8",
        ),
        (
            "Forwarded: for=6.6.6.6, for=\"[2001:db8::7]:4711\";proto=https\r\n",
            "2001:db8::7",
        ),
        (
            "Forwarded: for=198.51.100.4:80\r\nX-Forwarded-For: 6.6.6.6\r\n",
            "198.51.100.4",
        ),
    ] {
        let r = get_with(server.port, "/whoami", header);
        assert_eq!(r.status, 200);
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["addr"], client, "{header:?}");
        let l = access_line(&server, r.header("x-request-id").unwrap());
        assert_eq!(l.get("remote"), client, "{header:?}");
    }
    // A trusted proxy's request id is kept; an invalid one is replaced.
    let r = get_with(server.port, "/hello", "X-Request-ID: edge-4711-abc\r\n");
    assert_eq!(r.header("x-request-id"), Some("edge-4711-abc"));
    access_line(&server, "edge-4711-abc");
    let r = get_with(server.port, "/hello", "X-Request-ID: bad id\r\n");
    assert!(is_generated_id(r.header("x-request-id").unwrap()));
}

#[test]
fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
    let server = ops(
        "ops-untrusted",
        &[],
        &[("AROVM_TRUSTED_PROXIES", "10.0.0.0/8,192.168.0.0/16")],
    );
    for header in [
        "X-Forwarded-For: 203.0.113.7\r\n",
        "Forwarded: for=203.0.113.7\r\n",
    ] {
        let r = get_with(
            server.port,
            "/whoami",
            &format!("{header}X-Request-ID: forged-id-0001\r\n"),
        );
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["addr"], "127.0.0.1", "{header:?}");
        let id = r.header("x-request-id").unwrap();
        assert!(is_generated_id(id), "the client's id is not taken: {id}");
        assert_eq!(access_line(&server, id).get("remote"), "127.0.0.1");
    }
}

#[test]
fn a_protocol_error_response_has_a_request_id_too() {
    let server = ops("ops-bad-head", &[], &[]);
    let r = exchange(server.port, b"GET / HTTP/1.1\r\nHost x\r\n\r\n");
    assert_eq!(r.status, 400);
    let id = r.header("x-request-id").expect("X-Request-ID on a 400");
    assert!(is_generated_id(id), "{id}");
    assert_eq!(access_line(&server, id).get("status"), "400");
}
