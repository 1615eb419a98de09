//! HTTP cases: the app is started with `--port 0 --bind 127.0.0.1`, the port is read from its
//! `HTTP Server started on port N` line, and `http.script` is played against it with a plain TCP
//! client. Blocks are separated by `---`; each is one exchange:
//!
//! ```text
//! request: POST /users            method and target (Connection: close is added)
//! header: Content-Type: application/json
//! body: {"name":"Ann"}
//! raw: GET / HTTP/1.1\r\n\r\n      instead of request: bytes sent as-is (\r \n \t \\ escapes);
//!                                 several raw: lines are sent one after another
//! pause-ms: 200                   wait between raw parts
//! status: 201                     status of the (first) response
//! header-is: Allow: GET, HEAD     a response header (name case-insensitive)
//! header-absent: X-Foo
//! json: {"name":"Ann","id":"__ANY__"}   body compared as JSON ("__ANY__" matches anything)
//! text: exact body
//! contains: substring of the whole response text
//! responses: 2                    number of responses read on the connection
//! closed: true                    the server closed the connection
//! ```
//! After the script the app gets SIGTERM; its whole stdout must equal `expected.stdout` if present
//! (the started line reads `HTTP Server started on port PORT`).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One parsed response.
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('r') => out.push('\r'),
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some(o) => {
                out.push('\\');
                out.push(o)
            }
            None => out.push('\\'),
        }
    }
    out
}

/// Splits a byte stream into responses (by Content-Length; bodies without one run to the end).
fn parse_responses(data: &[u8]) -> Vec<Resp> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&rest[..end]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        let len = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse::<usize>().ok());
        let body_start = end + 4;
        let body_end = match len {
            Some(n) => (body_start + n).min(rest.len()),
            None if status == 100 || status == 204 || status == 304 => body_start,
            None => rest.len(),
        };
        out.push(Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&rest[body_start..body_end]).to_string(),
        });
        rest = &rest[body_end..];
    }
    out
}

fn json_matches(expected: &serde_like::Json, actual: &serde_like::Json) -> bool {
    serde_like::matches(expected, actual)
}

/// Whether JSON text `got` matches `expected` (with `"__ANY__"` wildcards, any key order).
pub(crate) fn json_text_matches(expected: &str, got: &str) -> bool {
    match (serde_like::parse(expected), serde_like::parse(got)) {
        (Some(e), Some(a)) => json_matches(&e, &a),
        _ => false,
    }
}

/// Minimal JSON (no serde in this runner's dependencies): parse and compare with wildcards.
mod serde_like {
    /// A JSON value.
    #[derive(Debug, PartialEq)]
    pub(super) enum Json {
        Null,
        Bool(bool),
        Num(f64),
        Str(String),
        Arr(Vec<Json>),
        Obj(Vec<(String, Json)>),
    }

    pub(super) fn parse(s: &str) -> Option<Json> {
        let b = s.as_bytes();
        let mut i = 0;
        let v = value(b, &mut i)?;
        ws(b, &mut i);
        (i == b.len()).then_some(v)
    }

    fn ws(b: &[u8], i: &mut usize) {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
    }

    fn string(b: &[u8], i: &mut usize) -> Option<String> {
        *i += 1;
        let mut out = Vec::new();
        while *i < b.len() {
            match b[*i] {
                b'"' => {
                    *i += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    *i += 1;
                    let c = *b.get(*i)?;
                    match c {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'u' => {
                            let hex = std::str::from_utf8(b.get(*i + 1..*i + 5)?).ok()?;
                            let ch = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                            out.extend_from_slice(ch.to_string().as_bytes());
                            *i += 4;
                        }
                        o => out.push(o),
                    }
                    *i += 1;
                }
                c => {
                    out.push(c);
                    *i += 1;
                }
            }
        }
        None
    }

    fn value(b: &[u8], i: &mut usize) -> Option<Json> {
        ws(b, i);
        match *b.get(*i)? {
            b'"' => string(b, i).map(Json::Str),
            b'{' => {
                *i += 1;
                let mut o = Vec::new();
                loop {
                    ws(b, i);
                    if b.get(*i) == Some(&b'}') {
                        *i += 1;
                        return Some(Json::Obj(o));
                    }
                    let k = string(b, i)?;
                    ws(b, i);
                    if b.get(*i) != Some(&b':') {
                        return None;
                    }
                    *i += 1;
                    let v = value(b, i)?;
                    o.push((k, v));
                    ws(b, i);
                    match b.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b'}') => {}
                        _ => return None,
                    }
                }
            }
            b'[' => {
                *i += 1;
                let mut a = Vec::new();
                loop {
                    ws(b, i);
                    if b.get(*i) == Some(&b']') {
                        *i += 1;
                        return Some(Json::Arr(a));
                    }
                    a.push(value(b, i)?);
                    ws(b, i);
                    match b.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b']') => {}
                        _ => return None,
                    }
                }
            }
            b't' if b[*i..].starts_with(b"true") => {
                *i += 4;
                Some(Json::Bool(true))
            }
            b'f' if b[*i..].starts_with(b"false") => {
                *i += 5;
                Some(Json::Bool(false))
            }
            b'n' if b[*i..].starts_with(b"null") => {
                *i += 4;
                Some(Json::Null)
            }
            _ => {
                let start = *i;
                while *i < b.len() && (b[*i].is_ascii_digit() || b"+-.eE".contains(&b[*i])) {
                    *i += 1;
                }
                std::str::from_utf8(&b[start..*i])
                    .ok()?
                    .parse()
                    .ok()
                    .map(Json::Num)
            }
        }
    }

    /// Structural equality where an expected `"__ANY__"` matches any value; object key order
    /// does not matter.
    pub(super) fn matches(e: &Json, a: &Json) -> bool {
        match (e, a) {
            (Json::Str(s), _) if s == "__ANY__" => true,
            (Json::Obj(x), Json::Obj(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.iter().any(|(k2, v2)| k == k2 && matches(v, v2)))
            }
            (Json::Arr(x), Json::Arr(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| matches(p, q))
            }
            _ => e == a,
        }
    }
}

fn exchange(port: u16, block: &[(String, String)]) -> Result<(Vec<Resp>, bool, String), String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_millis(1500))).ok();
    let get = |k: &str| {
        block
            .iter()
            .filter(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    if let Some(req) = get("request").first() {
        let body = get("body").first().cloned().unwrap_or_default();
        let mut text = format!("{req} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        for h in get("header") {
            text.push_str(&h);
            text.push_str("\r\n");
        }
        if !body.is_empty() || req.starts_with("POST") || req.starts_with("PUT") {
            text.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        text.push_str("\r\n");
        text.push_str(&body);
        s.write_all(text.as_bytes())
            .map_err(|e| format!("write: {e}"))?;
    } else {
        let pause = get("pause-ms")
            .first()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0u64);
        for (n, part) in get("raw").iter().enumerate() {
            if n > 0 && pause > 0 {
                std::thread::sleep(Duration::from_millis(pause));
            }
            if s.write_all(unescape(part).as_bytes()).is_err() {
                break;
            }
        }
    }
    let mut data = Vec::new();
    let mut closed = false;
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut buf = [0u8; 8192];
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => data.extend_from_slice(&buf[..n]),
            Err(_) => break, // read timeout: the server keeps the connection open
        }
    }
    let text = String::from_utf8_lossy(&data).to_string();
    Ok((parse_responses(&data), closed, text))
}

fn check(block: &[(String, String)], resps: &[Resp], closed: bool, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let first = resps.iter().find(|r| r.status != 100);
    for (k, v) in block {
        match k.as_str() {
            "status" => {
                let got = first.map_or(0, |r| r.status);
                if v.parse::<u16>().ok() != Some(got) {
                    problems.push(format!("status: expected {v}, got {got}"));
                }
            }
            "header-is" => {
                let (name, val) = v.split_once(':').unwrap_or((v, ""));
                let got = first.and_then(|r| {
                    r.headers
                        .iter()
                        .find(|(h, _)| h.eq_ignore_ascii_case(name.trim()))
                        .map(|(_, x)| x.clone())
                });
                if got.as_deref() != Some(val.trim()) {
                    problems.push(format!(
                        "header {name}: expected {:?}, got {got:?}",
                        val.trim()
                    ));
                }
            }
            "header-absent"
                if first
                    .is_some_and(|r| r.headers.iter().any(|(h, _)| h.eq_ignore_ascii_case(v))) =>
            {
                problems.push(format!("header {v} should be absent"));
            }
            "json" => {
                let got = first.map_or("", |r| r.body.as_str());
                match (serde_like::parse(v), serde_like::parse(got)) {
                    (Some(e), Some(a)) if json_matches(&e, &a) => {}
                    (None, _) => problems.push(format!("bad expected JSON: {v}")),
                    _ => problems.push(format!("json: expected {v}, got {got}")),
                }
            }
            "text" => {
                let got = first.map_or("", |r| r.body.as_str());
                if got != unescape(v) {
                    problems.push(format!("body: expected {v:?}, got {got:?}"));
                }
            }
            "contains" if !text.contains(&unescape(v)) => {
                problems.push(format!("response does not contain {v:?}: {text:?}"));
            }
            "responses" => {
                let n = resps.iter().filter(|r| r.status >= 200).count();
                if v.parse::<usize>().ok() != Some(n) {
                    problems.push(format!("responses: expected {v}, got {n}"));
                }
            }
            "closed" if (v == "true") != closed => {
                problems.push(format!("closed: expected {v}, got {closed}"));
            }
            _ => {}
        }
    }
    problems
}

fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A started app: the process, its port, and its stdout lines so far.
pub(crate) struct App {
    child: Child,
    /// The HTTP port it listens on (0 when the app has no HTTP server).
    pub(crate) port: u16,
    /// The TCP socket server's port, if the app started one.
    pub(crate) socket_port: Option<u16>,
    rx: mpsc::Receiver<String>,
    lines: Vec<String>,
    reader: std::thread::JoinHandle<()>,
}

/// Starts `arovm ARROB --port 0 --bind 127.0.0.1` and waits for its started line.
pub(crate) fn start_app(arovm: &Path, arob: &Path, case: &Path) -> Result<App, String> {
    let mut child = Command::new(arovm)
        .arg(arob)
        .arg("--port")
        .arg("0")
        .arg("--bind")
        .arg("127.0.0.1")
        .env_remove("ARO_HTTP_PORT")
        .env("ARO_SOCKET_PORT", "0")
        .current_dir(case)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start arovm: {e}"))?;
    let stdout = child.stdout.take();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        if let Some(out) = stdout {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        }
    });
    let mut lines = Vec::new();
    let mut port = None;
    let mut socket_port = None;
    let mut deadline = Instant::now() + Duration::from_secs(10);
    let mut ready = false;
    while Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(l) => {
                if let Some(p) = l.strip_prefix("Socket Server started on port ") {
                    socket_port = p.trim().parse::<u16>().ok();
                    lines.push("Socket Server started on port PORT".into());
                    if !ready {
                        ready = true;
                        deadline = Instant::now() + Duration::from_millis(400);
                    }
                    continue;
                }
                if let Some(p) = l.strip_prefix("HTTP Server started on port ") {
                    port = p
                        .split_whitespace()
                        .next()
                        .and_then(|p| p.parse::<u16>().ok());
                    // The port is random: expected.stdout says PORT.
                    lines.push(format!(
                        "HTTP Server started on port PORT{}",
                        p.trim_start_matches(|c: char| c.is_ascii_digit())
                    ));
                    if !ready {
                        ready = true;
                        // Other servers of the app may start right after this one.
                        deadline = Instant::now() + Duration::from_millis(400);
                    }
                    continue;
                }
                lines.push(l);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    match (port, socket_port) {
        (None, None) => {
            stop(&mut child);
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            Err(format!(
                "server did not start; stdout {lines:?}, stderr {err:?}"
            ))
        }
        (port, socket_port) => Ok(App {
            child,
            port: port.unwrap_or(0),
            socket_port,
            rx,
            lines,
            reader,
        }),
    }
}

/// Stops the app (SIGTERM) and checks its stdout against `expected.stdout` if present.
pub(crate) fn finish_app(mut app: App, case: &Path) -> Vec<String> {
    stop(&mut app.child);
    let _ = app.reader.join();
    app.lines.extend(app.rx.try_iter());
    let mut problems = Vec::new();
    if let Ok(expected) = std::fs::read_to_string(case.join("expected.stdout")) {
        let got = app
            .lines
            .iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>();
        if got != expected {
            problems.push(format!("stdout: expected {expected:?}, got {got:?}"));
        }
    }
    problems
}

/// Runs one HTTP case; returns the problems found (empty = pass).
pub(crate) fn run(arovm: &Path, arob: &Path, case: &Path, script: &str) -> Vec<String> {
    let app = match start_app(arovm, arob, case) {
        Ok(a) => a,
        Err(e) => return vec![e],
    };
    let port = app.port;
    let mut problems = Vec::new();
    for (n, block) in script.split("\n---").enumerate() {
        let pairs: Vec<(String, String)> = block
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once(": ").or_else(|| l.split_once(':')))
            .map(|(k, v)| (k.trim().to_string(), v.to_string()))
            .collect();
        if pairs.is_empty() {
            continue;
        }
        match exchange(port, &pairs) {
            Ok((resps, closed, text)) => {
                for p in check(&pairs, &resps, closed, &text) {
                    problems.push(format!("exchange {}: {p}", n + 1));
                }
            }
            Err(e) => problems.push(format!("exchange {}: {e}", n + 1)),
        }
    }
    problems.extend(finish_app(app, case));
    problems
}
