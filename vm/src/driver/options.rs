//! How to run an app: the command line's flags and the environment (`AROVM_BIND`,
//! `ARO_HTTP_PORT`, `ARO_SOCKET_PORT`), validated at start-up: a value that is set but invalid
//! is an error, never a silent fallback.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

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
    /// `ARO_HTTP_PORT`, validated at start-up.
    pub http_port_env: Option<u16>,
    /// `ARO_SOCKET_PORT`, validated at start-up.
    pub socket_port_env: Option<u16>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            port: None,
            bind: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            keep_alive: false,
            profile_actions: false,
            debug_errors: false,
            http_port_env: None,
            socket_port_env: None,
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
        Ok(o)
    }
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
