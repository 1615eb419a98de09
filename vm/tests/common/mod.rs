//! Test helpers: write an app to a temp dir, start the real `arovm` binary on a free loopback
//! port, and talk to it with plain sockets.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running arovm.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) lines: mpsc::Receiver<String>,
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
pub(crate) fn start(dir: &PathBuf, env: &[(&str, &str)]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arovm"));
    cmd.arg("run")
        .arg(dir)
        .args(["--port", "0", "--bind", "127.0.0.1"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("arovm starts");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
            if let Some(p) = l.strip_prefix("HTTP Server started on port ") {
                let port = p.split_whitespace().next().unwrap().parse().unwrap();
                return Server {
                    child,
                    port,
                    lines: rx,
                };
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("server did not start");
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
