//! WebSocket settings: paths, limits, keep-alive pings, origins. Defaults are documented in the
//! README; an app changes them in `Start the <http-server> with { websocket: ..., ... }` and an
//! operator with `AROVM_WS_*` environment variables.

use std::time::Duration;

/// WebSocket configuration of the HTTP server.
#[derive(Clone, Debug)]
pub struct WsConfig {
    /// Paths that accept upgrades (default `/ws`).
    pub paths: Vec<String>,
    /// Largest message after reassembly; over it → close 1009. Default 1 MiB.
    pub max_message: usize,
    /// Largest single frame. Default 1 MiB.
    pub max_frame: usize,
    /// Send a Ping after this much silence. Default 30 s.
    pub ping_interval: Duration,
    /// Drop the peer when nothing arrives this long after a Ping. Default 30 s.
    pub ping_timeout: Duration,
    /// Allowed `Origin` values (`"*"`: any); empty = same origin only: a browser's `Origin`
    /// must name the request's `Host` (clients that send no `Origin` are not browsers and pass).
    pub origins: Vec<String>,
    /// Bytes queued for one connection before it is a slow consumer (closed with 1008).
    /// Default 1 MiB.
    pub max_queue: usize,
    /// The app asked for WebSockets explicitly (the start-up line then says so).
    pub announced: bool,
}

impl Default for WsConfig {
    fn default() -> Self {
        let env = |n: &str| {
            std::env::var(n)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        WsConfig {
            paths: vec!["/ws".into()],
            max_message: env("AROVM_WS_MAX_MESSAGE").map_or(1 << 20, |v| v as usize),
            max_frame: env("AROVM_WS_MAX_FRAME").map_or(1 << 20, |v| v as usize),
            ping_interval: Duration::from_millis(
                env("AROVM_WS_PING_INTERVAL_MS").unwrap_or(30_000),
            ),
            ping_timeout: Duration::from_millis(env("AROVM_WS_PING_TIMEOUT_MS").unwrap_or(30_000)),
            origins: Vec::new(),
            max_queue: env("AROVM_WS_MAX_QUEUE").map_or(1 << 20, |v| v as usize),
            announced: false,
        }
    }
}
