//! Every limit of the network layer, with its documented default. Each can be changed by an
//! environment variable (`AROVM_<NAME>`), read once at start-up.

use std::time::Duration;

/// Limits and timeouts.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request head (request line + headers); over it → 431. Default 16 KiB.
    pub max_head: usize,
    /// Largest request body; over it → 413. Default 1 MiB.
    pub max_body: usize,
    /// Most headers in one request; over it → 431. Default 100.
    pub max_headers: usize,
    /// A request head must arrive within this; else 408 and close. Default 10 s.
    pub head_timeout: Duration,
    /// Once a head is complete its body must arrive within this; else 408 and close.
    /// Default 30 s.
    pub body_timeout: Duration,
    /// An idle keep-alive connection is closed after this. Default 60 s.
    pub idle_timeout: Duration,
    /// Most open connections; over it new ones are accepted and closed at once. Default 10,000.
    pub max_connections: usize,
    /// Bytes a connection may have queued for writing: a TCP socket over it counts as a slow
    /// consumer; an HTTP connection over it is not read or parsed further until it drains.
    /// Default 1 MiB.
    pub max_output: usize,
    /// How long in-flight requests may take to finish after SIGINT/SIGTERM. Default 5 s.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 16 * 1024,
            max_body: 1024 * 1024,
            max_headers: 100,
            head_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            max_output: 1024 * 1024,
            drain_timeout: Duration::from_secs(5),
        }
    }
}

fn env_num(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

impl Limits {
    /// Defaults overridden by `AROVM_MAX_HEAD`, `AROVM_MAX_BODY`, `AROVM_MAX_HEADERS`,
    /// `AROVM_HEAD_TIMEOUT_MS`, `AROVM_BODY_TIMEOUT_MS`, `AROVM_IDLE_TIMEOUT_MS`, `AROVM_MAX_CONNECTIONS`,
    /// `AROVM_MAX_OUTPUT`, `AROVM_DRAIN_TIMEOUT_MS`.
    pub fn from_env() -> Limits {
        let mut l = Limits::default();
        if let Some(v) = env_num("AROVM_MAX_HEAD") {
            l.max_head = v as usize;
        }
        if let Some(v) = env_num("AROVM_MAX_BODY") {
            l.max_body = v as usize;
        }
        if let Some(v) = env_num("AROVM_MAX_HEADERS") {
            l.max_headers = v as usize;
        }
        if let Some(v) = env_num("AROVM_HEAD_TIMEOUT_MS") {
            l.head_timeout = Duration::from_millis(v);
        }
        if let Some(v) = env_num("AROVM_BODY_TIMEOUT_MS") {
            l.body_timeout = Duration::from_millis(v);
        }
        if let Some(v) = env_num("AROVM_IDLE_TIMEOUT_MS") {
            l.idle_timeout = Duration::from_millis(v);
        }
        if let Some(v) = env_num("AROVM_MAX_CONNECTIONS") {
            l.max_connections = v as usize;
        }
        if let Some(v) = env_num("AROVM_MAX_OUTPUT") {
            l.max_output = v as usize;
        }
        if let Some(v) = env_num("AROVM_DRAIN_TIMEOUT_MS") {
            l.drain_timeout = Duration::from_millis(v);
        }
        l
    }
}
