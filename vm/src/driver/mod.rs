//! The driver: the one place that sees both the runtime (fibers) and the reactor (sockets). It
//! runs ready fibers, performs the I/O they ask for, waits in the reactor (or sleeps to the next
//! timer when there is no network), turns requests into handler fibers and finished fibers into
//! responses, and runs the application lifecycle: Application-Start, Keepalive until a signal,
//! a bounded drain, Application-End.

mod admin;
mod connection_events;
mod files;
mod options;
mod reply;
mod servers;
mod shutdown;

pub use options::{parse_admin, parse_log_format, resolve_bind, RunOptions};

use crate::idmap::IdMap;
use crate::loader::Loaded;
use crate::net::http::client::ClientResponse;
use crate::net::http::content::{request_env, REQUEST_ENV_NAMES};
use crate::net::http::errors::HttpError;
use crate::net::http::response::Response;
use crate::net::http::router::{Routed, Router};
use crate::reactor::limits::Limits;
use crate::reactor::{ConnId, Inbound, Reactor};
use crate::runtime::app::response_lines;
use crate::runtime::fiber::FiberId;
use crate::runtime::scheduler::{Ending, Scheduler};
use arovm_stdlib::action::{HttpCall, IoRequest};
use arovm_stdlib::value::{from_json, to_json, Value};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// A request waiting for its handler fiber.
struct Pending {
    conn: ConnId,
    /// The handler's feature set.
    fs: usize,
    head_only: bool,
    keep_alive: bool,
    path: String,
    /// The request id (failure log and 500 body).
    id: Rc<str>,
}

struct Driver<'p> {
    prog: &'p Loaded,
    sched: Scheduler<'p>,
    reactor: Option<Reactor>,
    router: Router,
    pending: IdMap<FiberId, Pending>,
    opts: RunOptions,
    shutting_down: bool,
    /// Application-Start finished or waits in Keepalive (`/readyz`).
    started: bool,
    /// The HTTPS certificate and key files (re-read on SIGHUP).
    tls_files: Option<(std::path::PathBuf, std::path::PathBuf)>,
    /// Outbound requests in flight: tag → waiting fiber.
    clients: IdMap<u64, FiberId>,
    next_tag: u64,
    /// WebSocket handlers and per-connection event queues.
    ws: connection_events::WsState,
    /// Endings of tracked fibers that are neither requests nor WebSocket handlers.
    other_endings: IdMap<FiberId, Ending>,
    /// Fibers waiting for a full outbound socket buffer to drain: (fiber, id, payload).
    send_waiters: Vec<(FiberId, String, Value)>,
    /// Per feature set: it (or a template) names a request variable, so a request it handles
    /// needs the request env built (see [`REQUEST_ENV_NAMES`]).
    reads_request: Vec<bool>,
    /// Per feature set: its name as a metrics label.
    route_labels: Vec<std::sync::Arc<String>>,
    /// The file worker (started by the first file action) and the fibers waiting for it.
    files: Option<crate::files::Worker>,
    file_waiters: IdMap<u64, (FiberId, files::Reply)>,
    /// Large raw Writes being copied a slice per turn.
    copies: Vec<files::SlicedCopy>,
    /// The file monitor, once started.
    monitor: Option<crate::files::monitor::Monitor>,
}

/// Runs the app; returns the process exit code (0 ok, 1 runtime error).
pub fn run(prog: &Loaded, opts: RunOptions) -> i32 {
    crate::telemetry::log::configure(opts.log_level, opts.log_format, opts.access_log);
    let mut d = Driver {
        prog,
        sched: Scheduler::new(prog),
        reactor: None,
        router: Router::new(prog),
        pending: IdMap::default(),
        opts,
        shutting_down: false,
        started: false,
        tls_files: None,
        clients: IdMap::default(),
        next_tag: 1,
        ws: connection_events::WsState::new(prog),
        other_endings: IdMap::default(),
        send_waiters: Vec::new(),
        reads_request: prog.mentioning(REQUEST_ENV_NAMES),
        route_labels: prog
            .program
            .feature_sets
            .iter()
            .map(|f| std::sync::Arc::new(prog.s(f.name).to_string()))
            .collect(),
        files: None,
        file_waiters: IdMap::default(),
        copies: Vec::new(),
        monitor: None,
    };
    d.sched.host.parameters = Value::object(std::mem::take(&mut d.opts.parameters));
    d.sched.host.log_prefix = !d.opts.compiled;
    d.sched.host.developer = d.opts.debug;
    if d.opts.record.is_some() {
        d.sched.host.recording = Some(Box::default());
    }
    if d.opts.profile_actions {
        d.sched.host.profile = Some(Box::default());
    }
    if let Err(e) = d.start_admin() {
        crate::telemetry::log::emit(
            crate::telemetry::log::Level::Fatal,
            "cannot start the admin listener",
            &[("error", crate::telemetry::log::Field::Str(&e))],
        );
        return 1;
    }
    let code = d.lifecycle();
    d.write_recording();
    // Frames queued in the last turn (a farewell broadcast in Application-End) still leave.
    if let Some(r) = d.reactor.as_mut() {
        r.flush_dirty();
    }
    crate::telemetry::log::flush();
    if let Some(p) = d.sched.host.profile.take() {
        let fs_name = |fs: usize| {
            let f = &prog.program.feature_sets[fs];
            format!("{} ({})", prog.s(f.name), prog.s(f.activity))
        };
        eprint!("{}", p.report(fs_name, |v| prog.s(v).to_string()));
    }
    // The process ends next (`run` is the CLI's last step): sockets are closed now, but the
    // VM's state is left to the OS; freeing a million repository rows one by one would only
    // delay the exit.
    drop(d.reactor.take());
    std::mem::forget(d);
    code
}

impl Driver<'_> {
    /// `--record FILE`: the run's domain events, written when the app ends.
    fn write_recording(&mut self) {
        let (Some(path), Some(rec)) = (self.opts.record.clone(), self.sched.host.recording.take())
        else {
            return;
        };
        let app = self
            .prog
            .feature_set("Application-Start", None)
            .map_or("ARO Application", |i| {
                self.prog.s(self.prog.program.feature_sets[i].activity)
            });
        let doc = rec.to_document(app, &self.sched.host.now_iso());
        if rec.dropped > 0 {
            self.sched.host.error(&format!(
                "warning: --record kept the first {} events; {} later ones were not recorded",
                crate::runtime::recording::MAX_RECORDED_EVENTS,
                rec.dropped
            ));
        }
        if let Err(e) = std::fs::write(&path, doc) {
            self.sched.host.error(&format!(
                "error: cannot write the recording {}: {e}",
                path.display()
            ));
        }
    }

    fn lifecycle(&mut self) -> i32 {
        let Some(start) = self.prog.feature_set("Application-Start", None) else {
            self.sched
                .host
                .error("Runtime error: Entry point not found: 'Application-Start'");
            return 1;
        };
        let root = self.sched.spawn_tracked(start, Vec::new());
        self.sched.unbudgeted(root);
        // A recording's events are published again once Application-Start has begun.
        for (event, payload) in std::mem::take(&mut self.opts.replay) {
            self.sched.publish(&event, payload);
        }
        let ending = self.until_done(root);
        match ending {
            Ending::Failed(e) => {
                let summary = e.summary();
                let shutdown = Value::object(vec![
                    (Rc::from("reason"), Value::str(&summary)),
                    (Rc::from("code"), Value::Int(1)),
                    (Rc::from("error"), Value::str(&summary)),
                ]);
                self.application_end("Error", shutdown);
                self.sched.host.error(&e.render());
                1
            }
            Ending::Done(resp, vars, _) => {
                self.started = true;
                if self.opts.keep_alive && self.listening() {
                    while !self.shutting_down {
                        self.turn();
                    }
                }
                self.drain();
                let shutdown = Value::object(vec![
                    (Rc::from("reason"), Value::str("graceful shutdown")),
                    (Rc::from("code"), Value::Int(0)),
                    (Rc::from("signal"), Value::str("SIGTERM")),
                ]);
                self.application_end("Success", shutdown);
                if !self.opts.keep_alive {
                    for line in response_lines(resp, &vars, self.opts.debug) {
                        self.sched.host.print(&line);
                    }
                }
                0
            }
        }
    }

    fn listening(&self) -> bool {
        self.reactor.as_ref().is_some_and(Reactor::is_listening) || self.monitor.is_some()
    }

    fn application_end(&mut self, kind: &str, shutdown: Value) {
        if let Some(end) = self.prog.feature_set("Application-End", Some(kind)) {
            let id = self
                .sched
                .spawn_tracked(end, vec![(Rc::from("shutdown"), shutdown)]);
            self.sched.unbudgeted(id);
            if let Ending::Failed(e) = self.until_done(id) {
                self.sched.host.error(&format!(
                    "[Runtime] Application-End handler failed: {}",
                    e.summary()
                ));
            }
        }
    }

    /// Drives everything until tracked fiber `id` ends.
    fn until_done(&mut self, id: FiberId) -> Ending {
        loop {
            self.sched.run_ready();
            self.perform_io();
            self.answer_finished();
            if let Some(e) = self
                .other_endings
                .remove(&id)
                .or_else(|| self.sched.ending(id))
            {
                return e;
            }
            if self.sched.has_ready() {
                continue;
            }
            if !self.turn() {
                // Nothing can wake any fiber: Keepalive returns (console apps), as in the reference.
                if self.sched.in_keepalive() {
                    self.sched.release_keepalive();
                } else if !self.sched.has_ready() {
                    return Ending::Done(None, Vec::new(), Vec::new());
                }
            }
        }
    }

    /// Waits for the next event (network, timer, signal) and handles it. False when there is
    /// nothing that could ever happen.
    fn turn(&mut self) -> bool {
        if !self.started && self.sched.in_keepalive() {
            self.started = true;
        }
        self.sched.run_ready();
        self.perform_io();
        self.answer_finished();
        if !self.send_waiters.is_empty() {
            // Senders wait for queues that are written at the end of the turn: write them now
            // and retry, or the poll below could sleep with nothing left to wake it.
            if let Some(r) = self.reactor.as_mut() {
                r.flush_dirty();
            }
            self.perform_io();
        }
        if self.sched.has_ready() {
            return true;
        }
        // Fibers that ran out of fuel run again right after a look at I/O and signals; so does
        // the freeing of ended fibers' large values.
        let sweeping = self.sched.sweep_graveyard() | self.copy_slices();
        let timeout = if self.sched.has_yielded() || sweeping {
            Some(Duration::ZERO)
        } else {
            let timer = self.sched.next_timer();
            timer.map(|at| at.saturating_duration_since(Instant::now()))
        };
        let active = self.reactor.is_some()
            && (self.listening()
                || !self.pending.is_empty()
                || !self.clients.is_empty()
                || !self.send_waiters.is_empty()
                || self.files_busy()
                || self
                    .reactor
                    .as_ref()
                    .is_some_and(|r| r.open_connections() > 0));
        // The admin listener alone keeps the loop polling while a timer is due, but cannot keep
        // a console app alive.
        let admin =
            timeout.is_some() && self.reactor.as_ref().is_some_and(Reactor::admin_listening);
        if active || admin {
            let events = match self.reactor.as_mut() {
                Some(r) => r.poll(timeout),
                None => Vec::new(),
            };
            for ev in events {
                self.contained_inbound(ev);
            }
        } else if let Some(t) = timeout {
            if !t.is_zero() {
                std::thread::sleep(t);
            }
        } else {
            return false;
        }
        self.sched.fire_timers();
        true
    }

    /// Handles one event; a panic while doing so fails only that request (a 500) or event.
    fn contained_inbound(&mut self, ev: Inbound) {
        let conn = match &ev {
            Inbound::Request { conn, .. } => Some(*conn),
            _ => None,
        };
        let panicked =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.inbound(ev))).is_err();
        if let (true, Some(conn), Some(r)) = (panicked, conn, self.reactor.as_mut()) {
            r.respond(
                conn,
                &Response::error(500, "Internal Server Error"),
                false,
                false,
            );
        }
    }

    fn inbound(&mut self, ev: Inbound) {
        match ev {
            Inbound::WsOpen { id, path, peer } => self.ws_open(id, path, peer),
            Inbound::WsMessage { id, text, binary } => self.ws_message(id, text, binary),
            Inbound::WsClosed { id, code, reason } => self.ws_closed(id, code, reason),
            Inbound::TcpOpen { id, remote } => self.tcp_open(id, remote),
            Inbound::TcpData { id, bytes } => self.tcp_data(id, bytes),
            Inbound::TcpClosed { id, reason } => self.tcp_closed(id, reason),
            Inbound::Ready(crate::reactor::sources::FILE_WORKER) => self.files_done(),
            Inbound::Ready(crate::reactor::sources::FILE_MONITOR) => self.file_events(),
            Inbound::Ready(_) => {}
            Inbound::TcpConnected { tag, result } => {
                if let Some(fid) = self.clients.remove(&tag) {
                    self.sched
                        .resume(fid, result.map(|id| Value::str(&id.to_string())));
                }
            }
            Inbound::ClientDone { tag, result } => {
                if let Some(fid) = self.clients.remove(&tag) {
                    self.sched.resume(fid, result.map(client_value));
                }
            }
            Inbound::Admin {
                conn,
                method,
                path,
                keep_alive,
            } => self.admin_request(conn, &method, &path, keep_alive),
            Inbound::Reload => self.reload_tls(),
            Inbound::Shutdown => {
                self.shutting_down = true;
                if let Some(r) = self.reactor.as_mut() {
                    r.begin_shutdown();
                }
                self.sched.release_keepalive();
            }
            Inbound::Request {
                conn,
                req,
                peer,
                id,
            } => {
                crate::reactor::fault_injection(&req, "driver");
                let head_only = req.method() == "HEAD";
                let keep_alive = req.keep_alive() && !self.shutting_down;
                let path = req.path().to_string();
                let respond = |r: &mut Option<Reactor>, resp: Response| {
                    if let Some(r) = r.as_mut() {
                        r.respond(conn, &resp, head_only, keep_alive);
                    }
                };
                let trimmed = match path.trim_end_matches('/') {
                    "" => "/",
                    p => p,
                };
                let method = if head_only { "GET" } else { req.method() };
                match self.router.route(method, trimmed) {
                    Routed::Handler { fs, params, arrays } => {
                        if let Some(r) = self.reactor.as_mut() {
                            r.set_route(conn, self.route_labels[fs].clone());
                        }
                        let env = if self.reads_request[fs] || !req.body.is_empty() {
                            request_env(&req, &params, &arrays, &peer.ip().to_string())
                        } else {
                            Ok(Vec::new())
                        };
                        match env {
                            Ok(env) => {
                                let fid = self.sched.spawn_tracked(fs, env);
                                self.sched.set_trace(fid, ("request_id", id.clone()));
                                self.pending.insert(
                                    fid,
                                    Pending {
                                        conn,
                                        fs,
                                        head_only,
                                        keep_alive,
                                        path,
                                        id,
                                    },
                                );
                            }
                            Err(e) => respond(&mut self.reactor, error_response(&e)),
                        }
                    }
                    Routed::NotFound => {
                        let p = serde_json::Value::String(path.clone()).to_string();
                        let body = format!("{{\"error\":\"Not Found\",\"path\":{p}}}");
                        respond(&mut self.reactor, Response::json(404, body))
                    }
                    Routed::MethodNotAllowed(allow) => {
                        let mut resp = Response::error(405, "Method Not Allowed");
                        resp.headers.push(("Allow".into(), allow.join(", ").into()));
                        respond(&mut self.reactor, resp)
                    }
                    Routed::Unimplemented(op) => {
                        let o = serde_json::Value::String(op).to_string();
                        let body = format!("{{\"error\":\"Not Implemented\",\"operationId\":{o}}}");
                        respond(&mut self.reactor, Response::json(501, body))
                    }
                }
            }
        }
    }

    /// Answers requests whose handler fibers finished; moves WebSocket queues on.
    fn answer_finished(&mut self) {
        let finished = self.sched.take_finished();
        let ids: Vec<FiberId> = finished.iter().map(|(fid, _)| *fid).collect();
        for (fid, ending) in finished {
            if let Some(p) = self.pending.remove(&fid) {
                let resp = match ending {
                    Ending::Failed(e) => self.handler_failed(&p, &e),
                    done => {
                        let resp = reply::build(&done, &p.path, &self.prog.strs);
                        self.sched.bury_ending(done);
                        resp
                    }
                };
                if let Some(r) = self.reactor.as_mut() {
                    r.respond(p.conn, &resp, p.head_only, p.keep_alive);
                }
            } else if self.ws.owns(fid) {
                self.ws_handler_done(fid, ending);
            } else {
                self.other_endings.insert(fid, ending);
            }
        }
        self.sched.release(ids);
    }

    /// A request's handler failed: the full error goes to stderr under a request id; the client
    /// gets a generic 500 with that id (the error too with `--debug-errors`).
    fn handler_failed(&mut self, p: &Pending, e: &crate::runtime::error::RuntimeError) -> Response {
        e.log_failure(self.prog, p.fs, &[("request_id", &p.id), ("path", &p.path)]);
        let full = e.summary_full();
        reply::failure(&p.id, self.opts.debug_errors.then_some(full.as_str()))
    }

    /// Performs the I/O fibers are suspended on.
    fn perform_io(&mut self) {
        for (fid, id, payload) in std::mem::take(&mut self.send_waiters) {
            match self.ws_send(&id, &payload) {
                Err(e) if e == connection_events::WOULD_BLOCK => {
                    self.send_waiters.push((fid, id, payload))
                }
                result => self.sched.resume(fid, result),
            }
        }
        for (fid, req) in self.sched.take_io() {
            let result = match req {
                IoRequest::StartHttp { port, config } => self.start_http(port, config),
                IoRequest::SendTo { id, payload } => match self.ws_send(&id, &payload) {
                    // A full outbound buffer: the fiber waits until it drains (retried each turn).
                    Err(e) if e == connection_events::WOULD_BLOCK => {
                        self.send_waiters.push((fid, id, payload));
                        continue;
                    }
                    other => other,
                },
                IoRequest::WsBroadcast { payload } => self.ws_broadcast(&payload),
                IoRequest::CloseConn { id } => self.ws_close(&id),
                IoRequest::TcpBroadcast { payload } => self.tcp_broadcast(&payload),
                IoRequest::StartSocket { port } => self.start_socket(port),
                IoRequest::StopSocket => {
                    if self.reactor.as_mut().is_some_and(|r| r.stop_tcp()) {
                        self.sched.host.print("Socket Server stopped");
                    }
                    Ok(Value::Null)
                }
                IoRequest::Connect { host, port } => match self.tcp_connect(fid, &host, port) {
                    Ok(()) => continue, // resumed when connected
                    Err(e) => Err(e),
                },
                IoRequest::StopHttp => {
                    if let Some(r) = self.reactor.as_mut() {
                        if r.is_listening() {
                            r.close_listeners();
                            self.sched.host.print("HTTP Server stopped");
                        }
                    }
                    Ok(Value::Null)
                }
                IoRequest::StartMonitor { path } => self.start_monitor(&path),
                IoRequest::StopMonitor => self.stop_monitor(),
                IoRequest::File(op) => match self.file_op(fid, op) {
                    Ok(()) => continue, // resumed when the worker is done
                    Err(e) => Err(e),
                },
                IoRequest::Http(call) => match self.http_request(fid, call) {
                    Ok(()) => continue, // resumed when the response arrives
                    Err(e) => Err(e),
                },
                other => Err(format!("{other:?} is not supported yet")),
            };
            self.sched.resume(fid, result);
        }
    }

    fn ensure_reactor(&mut self) -> Result<&mut Reactor, String> {
        if self.reactor.is_none() {
            let mut r = Reactor::new(Limits::from_env())
                .map_err(|e| format!("Cannot create the event loop: {e}"))?;
            r.set_trusted_proxies(self.opts.trusted_proxies.clone());
            self.reactor = Some(r);
        }
        self.reactor
            .as_mut()
            .ok_or_else(|| "no reactor".to_string())
    }

    /// Starts an outbound request for fiber `fid` (the `Request` action).
    fn http_request(&mut self, fid: FiberId, call: HttpCall) -> Result<(), String> {
        let tag = self.next_tag;
        self.next_tag += 1;
        let body = call.body.as_ref().map(|b| match b {
            Value::Str(s) => s.as_bytes().to_vec(),
            other => to_json(other).into_bytes(),
        });
        let send_body = if matches!(call.method.as_str(), "GET" | "DELETE") {
            None
        } else {
            body
        };
        let timeout = Duration::from_secs(30);
        let r = self.ensure_reactor()?;
        r.http_request(
            tag,
            &call.method,
            &call.url,
            &call.headers,
            send_body.as_deref(),
            timeout,
        )?;
        self.clients.insert(tag, fid);
        Ok(())
    }

    /// `Connect`: starts a non-blocking connect; the fiber resumes with the connection id.
    fn tcp_connect(&mut self, fid: FiberId, host: &str, port: u16) -> Result<(), String> {
        let url = crate::net::http::client::Url {
            host: host.to_string(),
            port,
            path: "/".into(),
            tls: false,
        };
        let addr = crate::reactor::client::resolve(&url)?;
        let tag = self.next_tag;
        self.next_tag += 1;
        self.ensure_reactor()?.tcp_connect(tag, addr)?;
        self.clients.insert(tag, fid);
        Ok(())
    }
}

/// The value a `Request` binds: `{status, headers, body}` (a JSON body parsed).
fn client_value(r: ClientResponse) -> Value {
    let text = String::from_utf8_lossy(&r.body).into_owned();
    let body = match from_json(&text) {
        Some(v @ (Value::Object(_) | Value::List(_))) => v,
        _ => Value::str(&text),
    };
    let headers = Value::object(
        r.headers
            .iter()
            .map(|(k, v)| (Rc::from(k.as_str()), Value::str(v)))
            .collect(),
    );
    Value::object(vec![
        (Rc::from("body"), body),
        (Rc::from("headers"), headers),
        (Rc::from("status"), Value::Int(r.status as i64)),
    ])
}

fn error_response(e: &HttpError) -> Response {
    Response::error(e.status(), e.message())
}
