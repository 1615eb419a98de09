//! How to run an app: the command line's flags and the environment (`AROVM_BIND`,
//! `ARO_HTTP_PORT`, `ARO_SOCKET_PORT`, logging, admin listener, trusted proxies, TLS files),
//! validated at start-up: a value that is set but invalid is an error, never a silent fallback.

use crate::net::http::forwarded::{self, Cidr};
use crate::telemetry::log::{Format, Level};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// How to run an app.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// HTTP port override (`--port`); `ARO_HTTP_PORT` is read when this is `None`.
    pub port: Option<u16>,
    /// Address to bind servers to (`--bind`, `AROVM_BIND`; default 0.0.0.0 like the reference).
    pub bind: IpAddr,
    /// Keep serving after Application-Start returns, until a signal (`--keep-alive`).
    pub keep_alive: bool,
    /// Count and time feature sets and actions; print the table to stderr at exit.
    pub profile_actions: bool,
    /// Put a failed handler's runtime error into its 500 body (`--debug-errors`; development
    /// only: the error quotes bound values and request headers).
    pub debug_errors: bool,
    /// The developer context of ARO-0031 (`--debug`): typed Log lines and the final response
    /// as a table.
    pub debug: bool,
    /// `ARO_HTTP_PORT`, validated at start-up.
    pub http_port_env: Option<u16>,
    /// `ARO_SOCKET_PORT`, validated at start-up.
    pub socket_port_env: Option<u16>,
    /// Lowest level of runtime lines written (`ARO_LOG_LEVEL`, default info).
    pub log_level: Level,
    /// Text or JSON lines (`--log-format`, `AROVM_LOG_FORMAT`).
    pub log_format: Format,
    /// Access lines on (default) or off (`--no-access-log`, `AROVM_ACCESS_LOG=off`).
    pub access_log: bool,
    /// The admin listener (`--admin`, `AROVM_ADMIN`): /metrics, /healthz, /readyz.
    pub admin: Option<SocketAddr>,
    /// Proxies whose forwarding headers are believed (`--trusted-proxy`,
    /// `AROVM_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<Cidr>,
    /// PEM certificate chain for HTTPS/WSS (`--tls-cert`, `AROVM_TLS_CERT`).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (`--tls-key`, `AROVM_TLS_KEY`).
    pub tls_key: Option<PathBuf>,
    /// Running a built `.arob` (the compiled form): `Log` lines carry no `[FeatureSet] ` prefix,
    /// as the reference's compiled binaries print them.
    pub compiled: bool,
    /// `--record FILE`: write the run's domain events there at the end.
    pub record: Option<PathBuf>,
    /// `--replay FILE`'s domain events (event name, payload), published after start-up.
    pub replay: Vec<(String, arovm_stdlib::value::Value)>,
    /// The app's command-line parameters (ARO-0047), in order: `<parameter>`.
    pub parameters: Vec<(std::rc::Rc<str>, arovm_stdlib::value::Value)>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            port: None,
            bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            keep_alive: false,
            profile_actions: false,
            debug_errors: false,
            debug: false,
            http_port_env: None,
            socket_port_env: None,
            log_level: Level::Info,
            log_format: Format::Text,
            access_log: true,
            admin: None,
            trusted_proxies: Vec::new(),
            tls_cert: None,
            tls_key: None,
            compiled: false,
            record: None,
            replay: Vec::new(),
            parameters: Vec::new(),
        }
    }
}

impl RunOptions {
    /// Defaults with `AROVM_BIND`, `ARO_HTTP_PORT` and `ARO_SOCKET_PORT` applied. A value that
    /// is set but invalid is an error, never a silent fallback.
    pub fn from_env() -> Result<RunOptions, String> {
        let mut o = RunOptions::default();
        if let Ok(b) = std::env::var("AROVM_BIND") {
            o.bind = resolve_bind(&b).map_err(|e| format!("AROVM_BIND: {e}"))?;
        }
        o.http_port_env = env_port("ARO_HTTP_PORT")?;
        o.socket_port_env = env_port("ARO_SOCKET_PORT")?;
        check_numeric()?;
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        if let Some(v) = var("ARO_LOG_LEVEL") {
            o.log_level = Level::parse(&v).ok_or_else(|| {
                format!("ARO_LOG_LEVEL={v:?}: use trace, debug, info, warning, error or fatal")
            })?;
        }
        if let Some(v) = var("AROVM_LOG_FORMAT") {
            o.log_format = parse_log_format(&v).map_err(|e| format!("AROVM_LOG_FORMAT: {e}"))?;
        }
        if let Some(v) = var("AROVM_ACCESS_LOG") {
            o.access_log = match v.trim().to_ascii_lowercase().as_str() {
                "on" | "1" | "true" | "yes" => true,
                "off" | "0" | "false" | "no" => false,
                _ => return Err(format!("AROVM_ACCESS_LOG={v:?}: use on or off")),
            };
        }
        if let Some(v) = var("AROVM_ADMIN") {
            o.admin = Some(parse_admin(&v).map_err(|e| format!("AROVM_ADMIN: {e}"))?);
        }
        if let Some(v) = var("AROVM_TRUSTED_PROXIES") {
            o.trusted_proxies =
                forwarded::parse_list(&v).map_err(|e| format!("AROVM_TRUSTED_PROXIES: {e}"))?;
        }
        o.tls_cert = var("AROVM_TLS_CERT").map(PathBuf::from);
        o.tls_key = var("AROVM_TLS_KEY").map(PathBuf::from);
        Ok(o)
    }
}

/// `text` or `json`.
pub fn parse_log_format(text: &str) -> Result<Format, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "text" => Ok(Format::Text),
        "json" => Ok(Format::Json),
        _ => Err(format!("{text:?}: use text or json")),
    }
}

/// The admin listener's address: `HOST:PORT` or a bare port (then 127.0.0.1).
pub fn parse_admin(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    let (host, port) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("{text:?}: use HOST:PORT, e.g. 127.0.0.1:9100"))?;
    let port = port
        .parse::<u16>()
        .map_err(|_| format!("{text:?}: {port:?} is not a port"))?;
    let ip = resolve_bind(host.trim_start_matches('[').trim_end_matches(']'))?;
    Ok(SocketAddr::new(ip, port))
}

/// The numeric limits the reactor, the WebSocket settings and the runtime read: validated here so
/// that a typo is an error at start-up, never a silent default.
const NUMERIC: &[&str] = &[
    "AROVM_MAX_HEAD",
    "AROVM_MAX_BODY",
    "AROVM_MAX_HEADERS",
    "AROVM_HEAD_TIMEOUT_MS",
    "AROVM_BODY_TIMEOUT_MS",
    "AROVM_IDLE_TIMEOUT_MS",
    "AROVM_MAX_CONNECTIONS",
    "AROVM_MAX_OUTPUT",
    "AROVM_DRAIN_TIMEOUT_MS",
    "AROVM_WS_MAX_MESSAGE",
    "AROVM_WS_MAX_FRAME",
    "AROVM_WS_MAX_QUEUE",
    "AROVM_WS_PING_INTERVAL_MS",
    "AROVM_WS_PING_TIMEOUT_MS",
    "AROVM_HANDLER_CPU_MS",
    "AROVM_MAX_EMIT_DEPTH",
    "AROVM_MAX_VALUE_BYTES",
];

/// Every numeric limit that is set must be a whole number.
fn check_numeric() -> Result<(), String> {
    for name in NUMERIC {
        if let Ok(v) = std::env::var(name) {
            if v.trim().parse::<u64>().is_err() {
                return Err(format!("{name}={v:?} is not a whole number"));
            }
        }
    }
    Ok(())
}

/// A port from the environment: unset → `None`, set → a valid port or an error.
fn env_port(name: &str) -> Result<Option<u16>, String> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => v
            .trim()
            .parse::<u16>()
            .map(Some)
            .map_err(|_| format!("{name}={v:?} is not a port (0-65535)")),
    }
}

/// The address servers bind to: an IP literal or a host name (`localhost` → its loopback
/// address, IPv4 preferred).
pub fn resolve_bind(text: &str) -> Result<IpAddr, String> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(ip);
    }
    use std::net::ToSocketAddrs;
    let addrs: Vec<SocketAddr> = (text, 0)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve bind address {text:?}: {e}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .map(|a| a.ip())
        .ok_or_else(|| format!("bind address {text:?} resolves to nothing"))
}
