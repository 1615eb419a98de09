//! The reactor: one `mio::Poll` on one thread. It accepts, reads until `WouldBlock`, parses with
//! the sans-IO protocol modules, writes queued output with partial-write handling, enforces the
//! limits and timeouts, and turns signals into an event. It knows nothing of fibers or values:
//! it hands [`Inbound`] events to the driver and takes responses back.

mod access;
pub mod client;
pub mod conn;
mod control;
mod http;
pub mod limits;
mod listeners;
pub mod signals;
pub mod sources;
mod tcp;
pub mod timers;
pub mod tls;
mod websocket;

use crate::net::http::client::ClientResponse;
use crate::net::http::errors::HttpError;
use crate::net::http::request::Request;
use crate::net::http::response::http_date;
use client::ClientConn;
use conn::{Conn, Phase};
use limits::Limits;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use signals::Signals;
use std::io::{ErrorKind, Write};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use timers::{TimerKey, Timers};

const SIGNAL: Token = Token(0);
const LISTENER_BASE: usize = 1;
const MAX_LISTENERS: usize = 64;
const CONN_BASE: usize = LISTENER_BASE + MAX_LISTENERS;
pub(super) const CLIENT_BASE: usize = 1 << 30;
/// Readiness sources the driver owns (see `sources.rs`): tokens `SOURCE_BASE + n`.
const SOURCE_BASE: usize = CLIENT_BASE - 16;

/// Gives freed heap memory back to the OS (glibc keeps it otherwise: after 16 MiB messages the
/// process would stay large). Called when the last connection closes, at most once a second.
fn release_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::sync::atomic::{AtomicU64, Ordering};
        static LAST: AtomicU64 = AtomicU64::new(0);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if LAST.swap(now, Ordering::Relaxed) != now {
            extern "C" {
                fn malloc_trim(pad: usize) -> i32;
            }
            // SAFETY: glibc's malloc_trim only releases free heap pages; it has no preconditions.
            unsafe {
                malloc_trim(0);
            }
        }
    }
}

/// Debug builds with `AROVM_TEST_PANIC=1` panic where a request's `X-Arovm-Test-Panic` header
/// names `place`: the tests' way to prove a panic costs one connection, not the process.
pub(crate) fn fault_injection(req: &Request, place: &str) {
    #[cfg(debug_assertions)]
    if req.header("x-arovm-test-panic") == Some(place)
        && std::env::var_os("AROVM_TEST_PANIC").is_some()
    {
        panic!("injected test panic in the {place}");
    }
    let _ = (req, place);
}

/// Makes sure a heap entry fires no later than the connection's deadline.
fn arm(timers: &mut Timers, c: &mut Conn, slot: usize) {
    if c.timer_at.is_none_or(|t| c.deadline < t) {
        timers.add(c.deadline, TimerKey::Conn(slot, c.generation));
        c.timer_at = Some(c.deadline);
    }
}

/// A connection handle that stays valid only for the connection it was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnId {
    slot: usize,
    generation: u64,
}

/// What the reactor reports to the driver.
#[derive(Debug)]
pub enum Inbound {
    /// A complete HTTP request on a connection.
    Request {
        /// The connection (answer with [`Reactor::respond`]).
        conn: ConnId,
        /// The request.
        req: Request,
        /// The client's address (the peer's, or the one a trusted proxy named).
        peer: SocketAddr,
        /// The request id (`X-Request-ID`, access line, failure logs).
        id: Rc<str>,
    },
    /// A request on the admin listener (answer with [`Reactor::respond`]).
    Admin {
        /// The connection.
        conn: ConnId,
        /// Request method.
        method: String,
        /// Request path (no query).
        path: String,
        /// The client keeps the connection open (HTTP/1.1 without `Connection: close`).
        keep_alive: bool,
    },
    /// SIGINT or SIGTERM.
    Shutdown,
    /// A driver-owned source is ready ([`sources`]: the file worker, the file monitor).
    Ready(usize),
    /// SIGHUP: reload the TLS certificate and key.
    Reload,
    /// A WebSocket handshake completed.
    WsOpen {
        /// The connection's id (also its `connectionId` in ARO).
        id: u64,
        /// The upgrade path.
        path: Rc<str>,
        /// The peer.
        peer: SocketAddr,
    },
    /// A complete WebSocket message.
    WsMessage {
        /// Connection id.
        id: u64,
        /// Text message, or `None` for binary.
        text: Option<Rc<str>>,
        /// Binary payload (`None` for text).
        binary: Option<Rc<[u8]>>,
    },
    /// A WebSocket connection ended (exactly once per connection, whatever the cause).
    WsClosed {
        /// Connection id.
        id: u64,
        /// Close code (1006 when the connection just dropped).
        code: u16,
        /// Close reason.
        reason: String,
    },
    /// A TCP socket connection opened (accepted by a socket server, or made by `Connect`).
    TcpOpen {
        /// Connection id.
        id: u64,
        /// The peer (`host:port`).
        remote: String,
    },
    /// Bytes arrived on a TCP socket connection (one read = one event: no framing).
    TcpData {
        /// Connection id.
        id: u64,
        /// The bytes of that read.
        bytes: Vec<u8>,
    },
    /// A TCP socket connection ended (exactly once).
    TcpClosed {
        /// Connection id.
        id: u64,
        /// Why: `connection closed` or `closed by the server`.
        reason: String,
    },
    /// An outbound `Connect` finished.
    TcpConnected {
        /// The tag given to [`Reactor::tcp_connect`].
        tag: u64,
        /// The connection id, or why it failed.
        result: Result<u64, String>,
    },
    /// An outbound request finished (or failed).
    ClientDone {
        /// The tag given to [`Reactor::http_request`].
        tag: u64,
        /// The response, or why there is none.
        result: Result<ClientResponse, String>,
    },
}

/// The event loop's I/O half.
pub struct Reactor {
    poll: Poll,
    events: Events,
    /// Listeners and whether each serves HTTP (false: a raw TCP socket server).
    listeners: Vec<Option<(TcpListener, listeners::Kind)>>,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    open: usize,
    next_generation: u64,
    timers: Timers,
    signals: Option<Signals>,
    read_buf: Vec<u8>,
    limits: Limits,
    accept_paused: bool,
    /// Shutting down: every response says `Connection: close`.
    draining: bool,
    /// WebSocket/TCP connections that stopped reading at a full buffer: read again next turn.
    again: Vec<usize>,
    date_cache: (i64, Rc<str>),
    /// The time the last poll returned: deadlines set while handling its events use it.
    now: Instant,
    /// Connections with output queued by sends and broadcasts since the last poll. They are
    /// written once per loop turn, so the frames one connection gets in a turn leave in one
    /// `writev`.
    dirty: Vec<usize>,
    /// Reused list of the connections a broadcast goes to.
    broadcast_slots: Vec<usize>,
    /// The WebSocket upgrade paths seen, each allocated once (the app's configured paths).
    ws_paths: Vec<Rc<str>>,
    inbound: Vec<Inbound>,
    clients: Vec<Option<ClientConn>>,
    client_free: Vec<usize>,
    /// WebSocket settings.
    pub ws_config: crate::net::ws::config::WsConfig,
    /// tungstenite contexts lent to WebSocket connections while a message is in progress.
    ws_contexts: crate::net::ws::session::ContextPool,
    /// Input buffers of WebSocket connections between messages, lent again on the next read.
    spare_bufs: Vec<Vec<u8>>,
    /// Open WebSocket connections: id → slot.
    ws_index: crate::idmap::IdMap<u64, usize>,
    /// Open TCP socket connections: id → slot.
    stream_index: crate::idmap::IdMap<u64, usize>,
    /// Outbound connects in progress: slot → tag.
    connecting: crate::idmap::IdMap<usize, u64>,
    /// Proxies whose forwarding headers are believed (`--trusted-proxy`).
    trusted: Vec<crate::net::http::forwarded::Cidr>,
    /// The HTTPS/WSS configuration: every connection to the app's HTTP listeners speaks TLS.
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    /// Request id source.
    ids: access::RequestIds,
    /// Request counters and histograms by (route, method, status), resolved once.
    request_meters: access::RequestMeters,
}

impl Reactor {
    /// A reactor with signal handling installed.
    pub fn new(limits: Limits) -> std::io::Result<Reactor> {
        let poll = Poll::new()?;
        let mut signals = Signals::install().ok();
        if let Some(s) = signals.as_mut() {
            poll.registry()
                .register(&mut s.rx, SIGNAL, Interest::READABLE)?;
        }
        Ok(Reactor {
            poll,
            events: Events::with_capacity(1024),
            listeners: Vec::new(),
            conns: Vec::new(),
            free: Vec::new(),
            open: 0,
            next_generation: 1,
            timers: Timers::default(),
            signals,
            read_buf: vec![0; 64 * 1024],
            limits,
            accept_paused: false,
            draining: false,
            again: Vec::new(),
            date_cache: (0, Rc::from("")),
            now: Instant::now(),
            dirty: Vec::new(),
            broadcast_slots: Vec::new(),
            ws_paths: Vec::new(),
            inbound: Vec::new(),
            clients: Vec::new(),
            client_free: Vec::new(),
            ws_config: Default::default(),
            ws_contexts: Default::default(),
            spare_bufs: Vec::new(),
            ws_index: Default::default(),
            stream_index: Default::default(),
            connecting: Default::default(),
            trusted: Vec::new(),
            tls: None,
            ids: access::RequestIds::new(),
            request_meters: Default::default(),
        })
    }

    /// Connections currently open.
    pub fn open_connections(&self) -> usize {
        self.open
    }

    fn date(&mut self) -> Rc<str> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if self.date_cache.0 != now {
            self.date_cache = (now, Rc::from(http_date(now)));
        }
        self.date_cache.1.clone()
    }

    /// Waits for I/O (at most `timeout`) and returns what happened.
    pub fn poll(&mut self, timeout: Option<Duration>) -> Vec<Inbound> {
        self.flush_dirty();
        crate::telemetry::log::flush();
        // Requests parsed outside a poll (pipelined ones after a response) are due now, as are
        // connections that stopped reading at a full buffer.
        let timeout = if self.inbound.is_empty() && self.again.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        let timeout = match (timeout, self.timers.next()) {
            (t, Some(at)) => {
                let until = at.saturating_duration_since(Instant::now());
                Some(t.map_or(until, |t| t.min(until)))
            }
            (t, None) => t,
        };
        if let Err(e) = self.poll.poll(&mut self.events, timeout) {
            if e.kind() != ErrorKind::Interrupted {
                eprintln!("arovm: poll failed: {e}");
            }
        }
        self.now = Instant::now();
        let tokens: Vec<(Token, bool)> = self
            .events
            .iter()
            .map(|e| (e.token(), e.is_read_closed() || e.is_error()))
            .collect();
        for (token, hangup) in tokens {
            match token.0 {
                0 => {
                    let got = self.signals.as_mut().map(|s| s.drain()).unwrap_or_default();
                    if got.reload {
                        self.inbound.push(Inbound::Reload);
                    }
                    if got.stop {
                        self.inbound.push(Inbound::Shutdown);
                    }
                }
                t if t < CONN_BASE => self.accept(t - LISTENER_BASE),
                t if (SOURCE_BASE..CLIENT_BASE).contains(&t) => {
                    self.inbound.push(Inbound::Ready(t - SOURCE_BASE))
                }
                t if t >= CLIENT_BASE => {
                    let slot = t - CLIENT_BASE;
                    if self.contain(|r| r.client_io(slot)) {
                        self.client_done(slot, Err("Connection failed: internal error".into()));
                    }
                }
                t => {
                    let slot = t - CONN_BASE;
                    // A bug on one connection's path must not take the others down: a panic
                    // closes that connection only.
                    if self.contain(|r| r.connection_ready(slot, hangup)) {
                        self.contain(|r| r.close(slot));
                    }
                }
            }
        }
        for slot in std::mem::take(&mut self.again) {
            let live = matches!(self.conns.get(slot), Some(Some(c)) if !c.app_paused);
            if live && self.contain(|r| r.pump(slot)) {
                self.contain(|r| r.close(slot));
            }
        }
        self.expire();
        std::mem::take(&mut self.inbound)
    }

    /// Runs `f`, catching a panic (reported on stderr by the panic hook): true when it panicked.
    fn contain(&mut self, f: impl FnOnce(&mut Reactor)) -> bool {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self))).is_err()
    }

    /// Readiness on a connection: finish a connect, write queued output, read and parse.
    fn connection_ready(&mut self, slot: usize, hangup: bool) {
        if hangup {
            if let Some(Some(c)) = self.conns.get_mut(slot) {
                c.hangup = true;
            }
        }
        if self.connecting.contains_key(&slot) {
            self.tcp_connect_ready(slot);
        }
        self.flush(slot);
        self.pump(slot);
    }

    fn add_conn(&mut self, stream: TcpStream, peer: SocketAddr, admin: bool) {
        let meters = if admin {
            &crate::telemetry::metrics::NET.admin
        } else {
            &crate::telemetry::metrics::NET.http
        };
        let Some(slot) =
            self.register_stream(stream, peer, Phase::Reading, Interest::READABLE, meters)
        else {
            return;
        };
        if let Some(Some(c)) = self.conns.get_mut(slot) {
            c.admin = admin;
            if let (false, Some(cfg)) = (admin, &self.tls) {
                match tls::Tls::server(cfg) {
                    Ok(t) => c.tls = Some(Box::new(t)),
                    Err(_) => return self.close(slot),
                }
            }
            // A new connection must send its first request head within the head timeout.
            c.head_started = true;
            c.deadline = self.now + self.limits.head_timeout;
            arm(&mut self.timers, c, slot);
        }
        if self.contain(|r| r.pump(slot)) {
            self.contain(|r| r.close(slot));
        }
    }

    /// Marks a connection whose queue grew; [`Self::flush_dirty`] writes it this loop turn.
    fn mark_dirty(&mut self, slot: usize) {
        if let Some(Some(c)) = self.conns.get_mut(slot) {
            if !c.dirty {
                c.dirty = true;
                self.dirty.push(slot);
            }
        }
    }

    /// Writes every connection marked by [`Self::mark_dirty`]. Runs before each poll (and at
    /// shutdown), so nothing queued waits longer than the current loop turn.
    pub fn flush_dirty(&mut self) {
        let mut dirty = std::mem::take(&mut self.dirty);
        for &slot in &dirty {
            if let Some(Some(c)) = self.conns.get_mut(slot) {
                c.dirty = false;
            }
            self.flush(slot);
        }
        dirty.clear();
        if self.dirty.is_empty() {
            self.dirty = dirty; // keep its capacity: no allocation per loop turn
        }
    }

    /// Writes queued output until done or `WouldBlock` (then waits for WRITABLE), up to 64
    /// queued chunks per `writev`.
    fn flush(&mut self, slot: usize) {
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        let mut failed = false;
        if let Some(t) = c.tls.as_mut() {
            match t.flush(&mut c.stream) {
                Ok(true) => failed = Self::flush_tls_queue(c),
                Ok(false) => {}
                Err(_) => failed = true,
            }
        }
        while c.tls.is_none() && !c.out.is_empty() {
            let mut slices = [std::io::IoSlice::new(&[]); 64];
            let mut k = 0;
            for (i, chunk) in c.out.iter().take(slices.len()).enumerate() {
                slices[i] = std::io::IoSlice::new(if i == 0 { &chunk[c.out_pos..] } else { chunk });
                k += 1;
            }
            match c.stream.write_vectored(&slices[..k]) {
                Ok(n) => {
                    c.out_bytes -= n;
                    c.count_out(n);
                    let mut left = n;
                    while left > 0 {
                        let front_left = c.out[0].len() - c.out_pos;
                        if left >= front_left {
                            left -= front_left;
                            c.out.pop_front();
                            c.out_pos = 0;
                        } else {
                            c.out_pos += left;
                            left = 0;
                        }
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            return self.close(slot);
        }
        let want = !c.out.is_empty() || c.tls_pending();
        if want != c.want_write {
            c.want_write = want;
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let _ =
                self.poll
                    .registry()
                    .reregister(&mut c.stream, Token(CONN_BASE + slot), interest);
        }
        if !want {
            if c.out.capacity() > 16 {
                c.out.shrink_to_fit();
            }
            if c.phase == Phase::Closing {
                self.close(slot);
            }
        }
    }

    /// Writes a TLS connection's queue chunk by chunk through its session; true on an error.
    fn flush_tls_queue(c: &mut Conn) -> bool {
        while let Some(front) = c.out.front().cloned() {
            match c.write_some(&front[c.out_pos..]) {
                Ok(n) => {
                    c.out_bytes -= n;
                    c.count_out(n);
                    c.out_pos += n;
                    if c.out_pos == front.len() {
                        c.out.pop_front();
                        c.out_pos = 0;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return true,
            }
        }
        false
    }

    fn close(&mut self, slot: usize) {
        if let Some(Some(mut c)) = self.conns.get_mut(slot).map(Option::take) {
            if let Some(t) = c.tls.as_mut() {
                t.close(&mut c.stream);
            }
            let _ = self.poll.registry().deregister(&mut c.stream);
            self.free.push(slot);
            self.open -= 1;
            if self.open == 0 {
                release_memory();
            }
            if c.phase == Phase::Tcp || c.tcp_reason.is_some() {
                self.stream_index.remove(&c.generation);
                let reason = c
                    .tcp_reason
                    .take()
                    .unwrap_or_else(|| "connection closed".into());
                access::connection_done(&c, None, &reason);
                self.inbound.push(Inbound::TcpClosed {
                    id: c.generation,
                    reason,
                });
            } else if let Some(ws) = c.ws.as_ref() {
                // The one place a WebSocket connection ends: Disconnect fires exactly once.
                self.ws_index.remove(&c.generation);
                let (code, reason) = ws
                    .close_reason
                    .clone()
                    .unwrap_or((1006, "connection lost".into()));
                access::connection_done(&c, Some(code), &reason);
                self.inbound.push(Inbound::WsClosed {
                    id: c.generation,
                    code,
                    reason,
                });
            } else {
                access::connection_done(&c, None, "");
            }
        }
    }

    /// Head and idle timeouts, and accept retries.
    fn expire(&mut self) {
        let now = Instant::now();
        for (at, key) in self.timers.expired(now) {
            match key {
                TimerKey::Client(slot, generation) => {
                    let live = matches!(self.clients.get(slot), Some(Some(c)) if c.generation == generation);
                    if live {
                        self.client_done(slot, Err("Connection failed: request timed out".into()));
                    }
                }
                TimerKey::Accept => {
                    self.accept_paused = false;
                    for i in 0..self.listeners.len() {
                        self.accept(i);
                    }
                }
                TimerKey::Conn(slot, generation) => {
                    let panicked = self.contain(|r| r.conn_timer(slot, generation, at, now));
                    let same =
                        matches!(self.conns.get(slot), Some(Some(c)) if c.generation == generation);
                    if panicked && same {
                        self.contain(|r| r.close(slot));
                    }
                }
            }
        }
    }

    /// A connection's deadline fired: WebSocket ping/close, closing grace, idle or head/body
    /// timeout.
    fn conn_timer(&mut self, slot: usize, generation: u64, at: Instant, now: Instant) {
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        if c.generation != generation || c.timer_at != Some(at) {
            return; // a stale entry
        }
        c.timer_at = None;
        if now < c.deadline {
            arm(&mut self.timers, c, slot); // the deadline moved on meanwhile
            return;
        }
        if c.phase == Phase::WebSocket || (c.phase == Phase::Closing && c.ws.is_some()) {
            self.ws_timer(slot);
            return;
        }
        if c.phase == Phase::Closing {
            self.close(slot); // the peer stopped reading our last bytes
            return;
        }
        if c.phase != Phase::Reading {
            return;
        }
        if c.inbuf.is_empty() && c.parser.is_idle() {
            self.close(slot); // idle keep-alive connection
        } else {
            self.fail(slot, HttpError::Timeout);
        }
    }
}
