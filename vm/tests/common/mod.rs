//! Test helpers: write an app to a temp dir, start the real `arovm` binary on a free loopback
//! port, and talk to it with plain sockets.

#![allow(dead_code)]

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running arovm.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) lines: mpsc::Receiver<String>,
    /// Its stderr lines when started with [`start_with`] (otherwise stderr is inherited and
    /// this yields nothing).
    pub(crate) errors: mpsc::Receiver<String>,
    /// The stderr lines [`Server::wait_stderr`] has read so far.
    seen: RefCell<Vec<String>>,
}

/// The settings of the test's own environment that would change how arovm logs or listens.
const OPERATOR_VARS: &[&str] = &[
    "ARO_LOG_LEVEL",
    "AROVM_LOG_FORMAT",
    "AROVM_ACCESS_LOG",
    "AROVM_ADMIN",
    "AROVM_TRUSTED_PROXIES",
];

/// Sends each line `r` reads to the returned receiver, on a thread of its own.
fn line_channel(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    rx
}

/// Writes `files` (path, contents) into a fresh directory.
pub(crate) fn app(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// Starts `arovm run DIR --port 0 --bind 127.0.0.1` with extra env vars; waits for the port.
pub(crate) fn start(dir: &Path, env: &[(&str, &str)]) -> Server {
    launch(dir, &[], env, false)
}

/// [`start`] with extra flags, the operator settings of the test's environment removed, and
/// stderr captured into [`Server::errors`].
pub(crate) fn start_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
    launch(dir, args, env, true)
}

fn launch(dir: &Path, args: &[&str], env: &[(&str, &str)], capture: bool) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arovm"));
    cmd.arg("run")
        .arg(dir)
        .args(["--port", "0", "--bind", "127.0.0.1"])
        .args(args);
    if capture {
        for k in OPERATOR_VARS {
            cmd.env_remove(k);
        }
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(if capture {
            Stdio::piped()
        } else {
            Stdio::inherit()
        })
        .spawn()
        .expect("arovm starts");
    let rx = line_channel(child.stdout.take().unwrap());
    let errors = match child.stderr.take() {
        Some(e) => line_channel(e),
        None => mpsc::channel().1,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            // In JSON mode the line is the `msg` of a JSON object.
            let text = l.split("HTTP Server started on port ").nth(1);
            if let Some(p) = text {
                let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
                let port = digits.parse().unwrap();
                return Server {
                    child,
                    port,
                    lines: rx,
                    errors,
                    seen: RefCell::default(),
                };
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let err: Vec<String> = errors.try_iter().collect();
    panic!("server did not start; stderr: {err:?}");
}

/// Runs `arovm ARGS…` to its end (at most 20 s) with `env` and the operator settings of the
/// test's environment removed: (exit code, stdout, stderr).
pub(crate) fn run_to_end(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arovm"));
    cmd.args(args);
    for k in OPERATOR_VARS {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("arovm starts");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let Ok(out) = rx.recv_timeout(Duration::from_secs(20)) else {
        let _ = Command::new("kill").arg(pid.to_string()).status();
        panic!("arovm {args:?} did not end within 20 s");
    };
    let out = out.unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

impl Server {
    /// Sends SIGTERM and waits for the exit status.
    pub(crate) fn terminate(mut self) -> (i32, Vec<String>) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let status = self.child.wait().unwrap();
        let lines: Vec<String> = self.lines.try_iter().collect();
        std::thread::sleep(Duration::from_millis(50));
        let mut rest: Vec<String> = self.lines.try_iter().collect();
        let mut all = lines;
        all.append(&mut rest);
        (status.code().unwrap_or(-1), all)
    }

    /// Reads stderr (see [`start_with`]) until a line satisfies `pred`, within 10 s; returns it.
    pub(crate) fn wait_stderr(&self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.errors.recv_timeout(left) {
                Ok(l) => {
                    self.seen.borrow_mut().push(l.clone());
                    if pred(&l) {
                        return l;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no such stderr line; saw {:?}", self.seen.borrow());
    }

    /// Sends SIGTERM, waits for the exit and for both streams to end: (exit code, the stdout
    /// lines not yet read, every stderr line including those [`Self::wait_stderr`] read).
    pub(crate) fn terminate_all(mut self) -> (i32, Vec<String>, Vec<String>) {
        self.sigterm();
        let code = self.child.wait().ok().and_then(|s| s.code()).unwrap_or(-1);
        let drain = |rx: &mpsc::Receiver<String>, into: &mut Vec<String>| {
            while let Ok(l) = rx.recv_timeout(Duration::from_secs(5)) {
                into.push(l);
            }
        };
        let mut out = Vec::new();
        drain(&self.lines, &mut out);
        let mut err = self.seen.borrow().clone();
        drain(&self.errors, &mut err);
        (code, out, err)
    }

    /// Sends SIGTERM (without waiting).
    pub(crate) fn sigterm(&self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
    }

    /// Opens a connection.
    pub(crate) fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s
    }

    /// One request with `Connection: close`; returns (status, body).
    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        get(self.port, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request with `Connection: close` to `port`; returns (status, body).
pub(crate) fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    read_response(&mut s)
}

/// Reads to EOF and splits status and body.
pub(crate) fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The contract and start-up feature set most tests share.
pub(crate) const START: &str = "(Application-Start: Test Server) {\n    Start the <http-server> with <contract>.\n    Keepalive the <application> for the <events>.\n    Return an <OK: status> for the <startup>.\n}\n";

/// An openapi.yaml with GET routes `path → operationId`.
pub(crate) fn contract(routes: &[(&str, &str)]) -> String {
    let mut s = String::from("openapi: 3.0.3\ninfo:\n  title: T\n  version: '1'\npaths:\n");
    for (path, op) in routes {
        s.push_str(&format!("  {path}:\n    get:\n      operationId: {op}\n      responses:\n        '200':\n          description: ok\n"));
    }
    s
}

/// A response as read off the wire.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    /// Header names lowercased.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
    /// Bytes on the wire, head included.
    pub(crate) wire_len: usize,
}

impl Reply {
    /// The first header named `name` (lowercase).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `raw` on a fresh connection to `port` and reads to EOF (send `Connection: close`).
pub(crate) fn exchange(port: u16, raw: &[u8]) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(raw).unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_string(),
        wire_len: buf.len(),
    }
}

/// A text-mode log line: `TS LEVEL MSG key=value key="quoted value" …`.
#[derive(Debug)]
pub(crate) struct LogLine {
    pub(crate) ts: String,
    pub(crate) level: String,
    pub(crate) msg: String,
    /// Fields in order, quoted values unescaped (`\n`, `\"`, `\u{1b}` …).
    pub(crate) fields: Vec<(String, String)>,
}

impl LogLine {
    /// The value of field `key`, if the line has it.
    pub(crate) fn opt(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of field `key` (the line must have it).
    pub(crate) fn get(&self, key: &str) -> &str {
        self.opt(key)
            .unwrap_or_else(|| panic!("no {key} in {self:?}"))
    }

    /// The field names in order.
    pub(crate) fn keys(&self) -> Vec<&str> {
        self.fields.iter().map(|(k, _)| k.as_str()).collect()
    }
}

/// Parses a text-mode log line; `None` when it does not have that shape (a stray quote, a
/// field without a value, text after the last field).
pub(crate) fn parse_log_line(line: &str) -> Option<LogLine> {
    let (ts, rest) = line.split_once(' ')?;
    let (level, mut rest) = rest.split_once(' ')?;
    let is_key = |w: &str| {
        w.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
    };
    let mut msg = Vec::new();
    while !rest.is_empty() && !is_key(rest) {
        let (w, r) = rest.split_once(' ').unwrap_or((rest, ""));
        msg.push(w);
        rest = r;
    }
    let mut fields = Vec::new();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let (value, r) = if let Some(q) = after.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = q.char_indices();
            let end = loop {
                match chars.next()? {
                    (i, '"') => break i + 1,
                    (_, '\\') => match chars.next()?.1 {
                        'n' => v.push('\n'),
                        'r' => v.push('\r'),
                        't' => v.push('\t'),
                        'u' => {
                            let hex: String = chars
                                .by_ref()
                                .map(|(_, c)| c)
                                .skip(1)
                                .take_while(|&c| c != '}')
                                .collect();
                            v.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                        }
                        c => v.push(c),
                    },
                    (_, c) => v.push(c),
                }
            };
            (v, &q[end..])
        } else {
            let (v, r) = after.split_at(after.find(' ').unwrap_or(after.len()));
            if v.contains('"') {
                return None;
            }
            (v.to_string(), r)
        };
        fields.push((key.to_string(), value));
        rest = match r.strip_prefix(' ') {
            Some(r) => r,
            None if r.is_empty() => r,
            None => return None,
        };
    }
    Some(LogLine {
        ts: ts.to_string(),
        level: level.to_string(),
        msg: msg.join(" "),
        fields,
    })
}
