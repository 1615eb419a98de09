//! Starting listeners: the app's HTTP server (with its WebSocket settings from the Start
//! object), its TCP socket server, and the operator's admin listener.

use super::Driver;
use arovm_stdlib::value::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

impl Driver<'_> {
    /// Opens the admin listener when `--admin` asks for one.
    pub(super) fn start_admin(&mut self) -> Result<(), String> {
        let Some(addr) = self.opts.admin else {
            return Ok(());
        };
        let local = self
            .ensure_reactor()?
            .listen_admin(addr)
            .map_err(|e| format!("{addr}: {e}"))?;
        let l = local.to_string();
        crate::telemetry::log::emit(
            crate::telemetry::log::Level::Info,
            "admin listener started",
            &[("address", crate::telemetry::log::Field::Str(&l))],
        );
        Ok(())
    }

    /// `Start the <socket-server>`: port from the statement (default 9000); `ARO_SOCKET_PORT`
    /// overrides it, as in the reference.
    pub(super) fn start_socket(&mut self, port: Option<u16>) -> Result<Value, String> {
        let port = self.opts.socket_port_env.or(port).unwrap_or(9000);
        let bind = self.opts.bind;
        let r = self.ensure_reactor()?;
        match r.listen_tcp(SocketAddr::new(bind, port)) {
            Ok(local) => {
                self.sched
                    .host
                    .print(&format!("Socket Server started on port {}", local.port()));
                Ok(Value::Null)
            }
            Err(e) => Err(format!(
                "Cannot start the socket-server on port {port}: {e}"
            )),
        }
    }

    pub(super) fn start_http(
        &mut self,
        port: Option<u16>,
        config: Option<Value>,
    ) -> Result<Value, String> {
        let port = self
            .opts
            .port
            .or(self.opts.http_port_env)
            .or(port)
            .unwrap_or(self.prog.program.http_port);
        let bind = self.opts.bind;
        self.tls_files = tls_files(&self.opts, config.as_ref())?;
        let tls = match &self.tls_files {
            Some((cert, key)) => Some(crate::reactor::tls::server_config(cert, key)?),
            None => None,
        };
        let r = self.ensure_reactor()?;
        if let Some(cfg) = tls {
            r.set_tls(cfg);
        }
        if let Some(c) = &config {
            apply_ws_config(&mut r.ws_config, c);
        }
        let announce = if r.ws_config.announced {
            format!(" (WebSocket enabled on {})", r.ws_config.paths.join(", "))
        } else {
            String::new()
        };
        let addr = SocketAddr::new(bind, port);
        match r.listen(addr) {
            Ok(local) => {
                self.sched.host.print(&format!(
                    "HTTP Server started on port {}{announce}",
                    local.port()
                ));
                let server = crate::runtime::context::http_server_value(
                    self.prog,
                    local.port(),
                    &bind.to_string(),
                );
                self.sched.host.http_server = Some(server.clone());
                Ok(server)
            }
            Err(e) => Err(format!("Cannot start the http-server on port {port}: {e}")),
        }
    }

    /// SIGHUP: re-reads the certificate and key; on failure the old ones stay in use.
    pub(super) fn reload_tls(&mut self) {
        use crate::telemetry::log::{emit, Field, Level};
        let Some((cert, key)) = self.tls_files.clone() else {
            emit(Level::Info, "SIGHUP: no TLS certificate to reload", &[]);
            return;
        };
        match crate::reactor::tls::server_config(&cert, &key) {
            Ok(cfg) => {
                if let Some(r) = self.reactor.as_mut() {
                    r.set_tls(cfg);
                }
                let c = cert.display().to_string();
                emit(
                    Level::Info,
                    "TLS certificate reloaded",
                    &[("cert", Field::Str(&c))],
                );
            }
            Err(e) => emit(
                Level::Error,
                "TLS reload failed, the previous certificate stays in use",
                &[("error", Field::Str(&e))],
            ),
        }
    }
}

/// The certificate and key files: `--tls-cert`/`--tls-key` (or their variables) over the Start
/// object's `tls: { cert: "…", key: "…" }`; one without the other is an error.
fn tls_files(
    opts: &super::RunOptions,
    config: Option<&Value>,
) -> Result<Option<(PathBuf, PathBuf)>, String> {
    let tls = config.and_then(|c| c.member("tls"));
    let from_start = |k: &str| {
        tls.as_ref()
            .and_then(|t| t.member(k))
            .and_then(|v| v.as_str().map(PathBuf::from))
    };
    let cert = opts.tls_cert.clone().or_else(|| from_start("cert"));
    let key = opts.tls_key.clone().or_else(|| from_start("key"));
    match (cert, key) {
        (Some(c), Some(k)) => Ok(Some((c, k))),
        (None, None) => Ok(None),
        _ => Err("TLS needs both a certificate and a key (--tls-cert and --tls-key)".into()),
    }
}

/// `Start the <http-server> with { websocket: "/chat", maxMessageSize: N, maxFrameSize: N,
/// origins: [...], pingInterval: ms }`; `websocket` may also be a list of paths.
fn apply_ws_config(cfg: &mut crate::net::ws::config::WsConfig, c: &Value) {
    let num = |k: &str| c.member(k).and_then(|v| v.as_i64()).filter(|&n| n > 0);
    match c.member("websocket").as_ref() {
        Some(Value::Str(p)) => {
            cfg.paths = vec![p.to_string()];
            cfg.announced = true;
        }
        Some(Value::List(l)) => {
            cfg.paths = l
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
            cfg.announced = true;
        }
        Some(Value::Bool(true)) => cfg.announced = true,
        _ => {}
    }
    if let Some(n) = num("maxMessageSize") {
        cfg.max_message = n as usize;
    }
    if let Some(n) = num("maxFrameSize") {
        cfg.max_frame = n as usize;
    }
    if let Some(n) = num("maxQueue") {
        cfg.max_queue = n as usize;
    }
    if let Some(n) = num("pingInterval") {
        cfg.ping_interval = Duration::from_millis(n as u64);
    }
    if let Some(Value::List(l)) = c.member("origins").as_ref() {
        cfg.origins = l
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
    }
}
