//! Operability over real sockets, the admin side: `/healthz`, `/readyz` while starting, ready and
//! draining, and `/metrics` (OpenMetrics) with exact values after a known sequence of requests.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const HANDLERS: &str = r#"(hello: Ops Admin) {
    Return an <OK: status> with { hello: "world" }.
}
(boom: Ops Admin) {
    Create the <profile> with { name: "x" }.
    Extract the <age> from the <profile: age>.
    Return an <OK: status> with { age: <age> }.
}
(keep: Ops Admin) {
    Create the <note> with { text: "x" }.
    Store the <note> into the <note-repository>.
    Return an <OK: status> with { stored: true }.
}
(slow: Ops Admin) {
    Sleep the <nap> for 1500 milliseconds.
    Return an <OK: status> with { slept: true }.
}
"#;

/// Application-Start; `nap` adds a Sleep after the server has started.
fn admin_app(name: &str, nap: bool) -> std::path::PathBuf {
    let sleep = if nap {
        "    Sleep the <nap> for 1500 milliseconds.\n"
    } else {
        ""
    };
    let main = format!("(Application-Start: Ops Admin) {{\n    Start the <http-server> with <contract>.\n{sleep}    Keepalive the <application> for the <events>.\n    Return an <OK: status> for the <startup>.\n}}\n{HANDLERS}");
    let yaml = contract(&[
        ("/hello", "hello"),
        ("/boom", "boom"),
        ("/keep", "keep"),
        ("/slow", "slow"),
    ]);
    app(name, &[("main.aro", &main), ("openapi.yaml", &yaml)])
}

/// The admin listener's port, from its start line (text or JSON); it listens on 127.0.0.1.
fn admin_port(server: &Server) -> u16 {
    let l = server.wait_stderr(|l| l.contains("admin listener started"));
    let addr = if l.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(&l).unwrap();
        assert_eq!(v["msg"], "admin listener started");
        v["address"].as_str().unwrap().to_string()
    } else {
        let p = parse_log_line(&l).expect("well-formed");
        assert_eq!(
            (p.level.as_str(), p.msg.as_str()),
            ("info", "admin listener started")
        );
        p.get("address").to_string()
    };
    let addr: std::net::SocketAddr = addr.parse().unwrap();
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    addr.port()
}

fn get_raw(port: u16, method: &str, path: &str) -> Reply {
    let raw = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    exchange(port, raw.as_bytes())
}

fn scrape(port: u16) -> String {
    let r = get_raw(port, "GET", "/metrics");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    assert!(r.body.ends_with("# EOF\n"), "{}", r.body);
    r.body
}

/// The value of the sample `series` (name and labels exactly as exposed).
fn sample(text: &str, series: &str) -> f64 {
    let hits: Vec<f64> = text
        .lines()
        .filter_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .collect();
    match hits[..] {
        [v] => v,
        _ => panic!("{series}: {hits:?} in\n{text}"),
    }
}

/// The sum of every sample of the counter `name`.
fn total(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

#[test]
fn healthz_is_ok_and_readyz_says_starting_until_application_start_is_done() {
    let server = start_with(
        &admin_app("ops-admin-starting", true),
        &[],
        &[("AROVM_ADMIN", "0"), ("AROVM_LOG_FORMAT", "json")],
    );
    let admin = admin_port(&server);
    let started = Instant::now();
    let r = get_raw(admin, "GET", "/readyz");
    assert_eq!(
        (r.status, r.body.as_str()),
        (503, r#"{"status":"starting"}"#)
    );
    assert_eq!(sample(&scrape(admin), "arovm_ready"), 0.0);
    let r = get_raw(admin, "GET", "/healthz");
    assert_eq!((r.status, r.body.as_str()), (200, r#"{"status":"ok"}"#));
    let ready = loop {
        let r = get_raw(admin, "GET", "/readyz");
        if r.status != 503 || started.elapsed() > Duration::from_secs(10) {
            break r;
        }
        assert_eq!(r.body, r#"{"status":"starting"}"#);
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (200, r#"{"status":"ready"}"#)
    );
    assert!(
        started.elapsed() > Duration::from_millis(800),
        "ready only after the Sleep in Application-Start"
    );
    assert_eq!(sample(&scrape(admin), "arovm_ready"), 1.0);
    // Only GET and HEAD, only the three paths.
    let r = get_raw(admin, "POST", "/metrics");
    assert_eq!((r.status, r.header("allow")), (405, Some("GET, HEAD")));
    assert_eq!(get_raw(admin, "GET", "/hello").status, 404);
    let head = get_raw(admin, "HEAD", "/healthz");
    assert_eq!((head.status, head.body.as_str()), (200, ""));
}

#[test]
fn readyz_says_draining_after_sigterm_while_a_slow_request_finishes() {
    let mut server = start_with(
        &admin_app("ops-admin-drain", false),
        &["--admin", "127.0.0.1:0"],
        &[],
    );
    let admin = admin_port(&server);
    assert_eq!(get_raw(admin, "GET", "/readyz").status, 200);
    let mut slow = server.connect();
    slow.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.sigterm();
    let deadline = Instant::now() + Duration::from_secs(1);
    let r = loop {
        let r = get_raw(admin, "GET", "/readyz");
        if r.status == 503 || Instant::now() > deadline {
            break r;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(
        (r.status, r.body.as_str()),
        (503, r#"{"status":"draining"}"#)
    );
    assert_eq!(get_raw(admin, "GET", "/healthz").status, 200);
    assert_eq!(sample(&scrape(admin), "arovm_ready"), 0.0);
    // The slow request is still running, and the app's listener is closed.
    slow.set_nonblocking(true).unwrap();
    let mut byte = [0u8; 1];
    let pending = slow.read(&mut byte);
    assert!(
        matches!(&pending, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "still in flight: {pending:?}"
    );
    slow.set_nonblocking(false).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    assert!(TcpStream::connect(("127.0.0.1", server.port)).is_err());
    let mut rest = Vec::new();
    slow.read_to_end(&mut rest).unwrap();
    let text = String::from_utf8_lossy(&rest);
    assert!(text.starts_with("HTTP/1.1 200 "), "{text}");
    assert!(text.ends_with(r#"{"slept":true}"#), "{text}");
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn metrics_count_a_known_sequence_of_requests_exactly() {
    let server = start_with(
        &admin_app("ops-admin-metrics", false),
        &["--admin", "127.0.0.1:0"],
        &[],
    );
    let admin = admin_port(&server);
    let mut sent = 0;
    let mut received = 0;
    let mut request = |raw: &str, status: u16| {
        let r = exchange(server.port, raw.as_bytes());
        assert_eq!(r.status, status, "{raw:?}");
        sent += raw.len();
        received += r.wire_len;
    };
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    for _ in 0..3 {
        request(&get("/hello"), 200);
    }
    request(&get("/boom"), 500);
    request(&get("/nope"), 404);
    request(&get("/nope/either"), 404);
    request(&get("/keep"), 200);
    request(&get("/keep"), 200);
    request("GET / HTTP/1.1\r\nHost x\r\n\r\n", 400);
    let m = scrape(admin);
    let req = |route: &str, method: &str, status: u16| {
        sample(
            &m,
            &format!(
                "arovm_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}}"
            ),
        )
    };
    assert_eq!(req("hello", "GET", 200), 3.0);
    assert_eq!(req("boom", "GET", 500), 1.0);
    assert_eq!(req("unmatched", "GET", 404), 2.0);
    assert_eq!(req("keep", "GET", 200), 2.0);
    assert_eq!(
        req("-", "other", 400),
        1.0,
        "a protocol error before routing"
    );
    assert_eq!(
        total(&m, "arovm_http_requests_total"),
        9.0,
        "nothing else: {m}"
    );
    let count = |route: &str| {
        sample(
            &m,
            &format!("arovm_http_request_duration_seconds_count{{route=\"{route}\"}}"),
        )
    };
    assert_eq!(
        (count("hello"), count("boom"), count("keep")),
        (3.0, 1.0, 2.0)
    );
    let inf = "arovm_http_request_duration_seconds_bucket{le=\"+Inf\",route=\"hello\"}";
    assert_eq!(sample(&m, inf), 3.0);
    let sum = sample(
        &m,
        "arovm_http_request_duration_seconds_sum{route=\"hello\"}",
    );
    assert!(sum > 0.0 && sum < 5.0, "{sum}");
    assert_eq!(
        sample(
            &m,
            "arovm_handler_failures_total{feature_set=\"boom\",activity=\"Ops Admin\"}"
        ),
        1.0
    );
    assert_eq!(total(&m, "arovm_handler_failures_total"), 1.0);
    assert_eq!(
        sample(
            &m,
            "arovm_repository_entries{repository=\"note-repository\"}"
        ),
        2.0
    );
    let conns =
        |name: &str, labels: &str| sample(&m, &format!("arovm_connections_{name}{{{labels}}}"));
    assert_eq!(conns("open", "kind=\"http\""), 0.0);
    assert_eq!(
        conns("closed_total", "kind=\"http\",reason=\"protocol_error\""),
        1.0
    );
    assert_eq!(
        conns("closed_total", "kind=\"http\",reason=\"normal\""),
        8.0
    );
    // The scrape itself is an admin connection, not app traffic.
    assert_eq!(conns("opened_total", "kind=\"admin\""), 1.0);
    assert_eq!(conns("open", "kind=\"admin\""), 1.0);
    let flow = |dir: &str| {
        sample(
            &m,
            &format!("arovm_transferred_bytes_total{{kind=\"http\",direction=\"{dir}\"}}"),
        )
    };
    assert_eq!(flow("in"), sent as f64, "every request byte");
    assert_eq!(flow("out"), received as f64, "every response byte");
    assert_eq!(sample(&m, "arovm_connections_refused_total"), 0.0);
    assert_eq!(sample(&m, "arovm_ready"), 1.0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let started = sample(&m, "arovm_process_start_time_seconds");
    assert!(
        (now - 120.0..=now + 1.0).contains(&started),
        "{started} vs {now}"
    );
    assert!(sample(&m, "arovm_process_open_fds") >= 4.0);
    assert!(sample(&m, "arovm_process_resident_memory_bytes") > 1e6);
    assert!(sample(&m, "arovm_process_cpu_seconds") >= 0.0);
    // A second scrape: admin traffic moved, the app's counters did not.
    let again = scrape(admin);
    assert_eq!(
        sample(&again, "arovm_connections_opened_total{kind=\"admin\"}"),
        2.0
    );
    assert_eq!(total(&again, "arovm_http_requests_total"), 9.0);
    assert_eq!(
        sample(
            &again,
            "arovm_transferred_bytes_total{kind=\"http\",direction=\"out\"}"
        ),
        received as f64
    );
}

#[test]
fn metrics_exposition_has_exactly_the_documented_families() {
    let server = start_with(
        &admin_app("ops-admin-names", false),
        &["--admin", "127.0.0.1:0"],
        &[],
    );
    let admin = admin_port(&server);
    for (path, status) in [("/hello", 200), ("/boom", 500), ("/keep", 200)] {
        assert_eq!(server.get(path).0, status);
    }
    let m = scrape(admin);
    let mut types: Vec<&str> = m
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .collect();
    types.sort_unstable();
    let mut want = vec![
        "arovm_http_requests counter",
        "arovm_http_request_duration_seconds histogram",
        "arovm_connections_open gauge",
        "arovm_connections_opened counter",
        "arovm_connections_closed counter",
        "arovm_connections_refused counter",
        "arovm_messages counter",
        "arovm_transferred_bytes counter",
        "arovm_handler_failures counter",
        "arovm_feature_set_runs counter",
        "arovm_feature_set_run_seconds counter",
        "arovm_fibers gauge",
        "arovm_output_queued_bytes gauge",
        "arovm_output_queued_max_bytes gauge",
        "arovm_events_queued gauge",
        "arovm_repository_entries gauge",
        "arovm_ready gauge",
        "arovm_process_cpu_seconds gauge",
        "arovm_process_resident_memory_bytes gauge",
        "arovm_process_open_fds gauge",
        "arovm_process_start_time_seconds gauge",
    ];
    want.sort_unstable();
    assert_eq!(types, want);
    // Families of traffic that did not happen are there, with their label names.
    for series in [
        "arovm_connections_open{kind=\"websocket\"}",
        "arovm_connections_opened_total{kind=\"tcp\"}",
        "arovm_messages_total{kind=\"websocket\",direction=\"in\"}",
        "arovm_transferred_bytes_total{kind=\"tcp\",direction=\"out\"}",
        "arovm_output_queued_bytes",
        "arovm_output_queued_max_bytes",
        "arovm_events_queued",
    ] {
        assert_eq!(sample(&m, series), 0.0, "{series}");
    }
    assert!(
        sample(&m, "arovm_fibers{state=\"suspended\"}") >= 1.0,
        "Keepalive"
    );
    assert_eq!(sample(&m, "arovm_fibers{state=\"ready\"}"), 0.0);
}

#[test]
fn connections_refused_at_the_limit_are_counted() {
    let server = start_with(
        &admin_app("ops-admin-refused", false),
        &["--admin", "127.0.0.1:0"],
        &[("AROVM_MAX_CONNECTIONS", "2")],
    );
    let admin = admin_port(&server);
    let held: Vec<TcpStream> = (0..2).map(|_| server.connect()).collect();
    std::thread::sleep(Duration::from_millis(100));
    let mut refused = server.connect();
    let mut buf = [0u8; 1];
    assert_eq!(refused.read(&mut buf).unwrap_or(0), 0, "closed at once");
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let m = scrape(admin);
    assert_eq!(sample(&m, "arovm_connections_refused_total"), 1.0);
    assert_eq!(
        sample(
            &m,
            "arovm_connections_closed_total{kind=\"http\",reason=\"normal\"}"
        ),
        2.0
    );
}

#[test]
fn admin_connections_are_not_counted_as_app_connections() {
    let server = start_with(
        &admin_app("ops-admin-kinds", false),
        &["--admin", "127.0.0.1:0"],
        &[],
    );
    let admin = admin_port(&server);
    assert_eq!(server.get("/hello").0, 200);
    for scrapes in 1..=3 {
        let m = scrape(admin);
        let opened = |kind: &str| {
            sample(
                &m,
                &format!("arovm_connections_opened_total{{kind=\"{kind}\"}}"),
            )
        };
        assert_eq!((opened("http"), opened("admin")), (1.0, f64::from(scrapes)));
    }
}
