//! One accepted connection: its stream, input bytes not yet consumed, the output queue, and where
//! it is in the request/response cycle. Per-connection memory stays small: no buffer is kept
//! while idle (the reactor reads into one shared buffer).

use mio::net::TcpStream;
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;
use std::time::Instant;

/// What one connection moved, for its access line.
#[derive(Default, Clone, Copy, Debug)]
pub struct Traffic {
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// WebSocket messages (or TCP reads) received.
    pub msgs_in: u64,
    /// WebSocket messages (or TCP sends) queued.
    pub msgs_out: u64,
}

/// The request a connection is answering: what its access line and metrics need.
#[derive(Debug)]
pub struct Current {
    /// Request method.
    pub method: String,
    /// Request path (no query).
    pub path: String,
    /// Request id (`X-Request-ID`).
    pub id: Rc<str>,
    /// When the request was complete.
    pub at: Instant,
    /// The route's operationId, once the driver has routed it.
    pub route: Option<std::sync::Arc<String>>,
}

/// Where a connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for (the rest of) a request head or body.
    Reading,
    /// A request was handed to the app; waiting for its response.
    Busy,
    /// Writing the last response, then closing.
    Closing,
    /// Upgraded: frames flow both ways.
    WebSocket,
    /// A raw TCP socket connection (socket server or `Connect`): bytes flow both ways.
    Tcp,
    /// An outbound `Connect` still in progress.
    Connecting,
}

/// An accepted connection.
pub struct Conn {
    /// The socket.
    pub stream: TcpStream,
    /// The peer.
    pub peer: SocketAddr,
    /// Bytes read but not yet parsed.
    pub inbuf: Vec<u8>,
    /// Chunks waiting to be written; shared chunks (broadcasts) are `Rc`s.
    pub out: VecDeque<Rc<[u8]>>,
    /// Bytes of `out[0]` already written.
    pub out_pos: usize,
    /// Total bytes queued.
    pub out_bytes: usize,
    /// Request/response phase.
    pub phase: Phase,
    /// Generation: distinguishes this connection from a later one in the same slot.
    pub generation: u64,
    /// The peer closed its side.
    pub eof: bool,
    /// The poller reported a hang-up or error: read to the end instead of stopping at a short
    /// read.
    pub hangup: bool,
    /// `100 Continue` already sent for the current request.
    pub sent_continue: bool,
    /// Registered for WRITABLE.
    pub want_write: bool,
    /// Queued output waits for the end of the loop turn (listed in the reactor's dirty list).
    pub dirty: bool,
    /// When the current head (or idle) timeout expires.
    pub deadline: std::time::Instant,
    /// Time of this connection's entry in the timer heap (one at a time keeps the heap as small
    /// as the number of connections; a later deadline re-arms it when it fires).
    pub timer_at: Option<std::time::Instant>,
    /// The WebSocket session once upgraded (boxed: most connections are plain HTTP).
    pub ws: Option<Box<crate::net::ws::session::WsSession>>,
    /// For TCP socket connections: why it ended (reported once by the close).
    pub tcp_reason: Option<String>,
    /// A TCP connection made by `Connect` (not part of the socket server's broadcasts).
    pub outgoing: bool,
    /// The HTTP request parser (holds a request whose body is still arriving).
    pub parser: crate::net::http::request::RequestParser,
    /// Reading stopped at a bound (input buffer full, output over its bound, or events not yet
    /// handled): the kernel may hold more input that no readiness edge will announce.
    pub read_paused: bool,
    /// The first bytes of the next request head arrived: the head timeout runs.
    pub head_started: bool,
    /// The head is complete and the body is arriving: the body timeout runs.
    pub in_body: bool,
    /// The driver asked to stop reading (too many of this connection's events unhandled).
    pub app_paused: bool,
    /// The counters of its kind (`http`, `websocket`, `tcp`).
    pub meters: &'static crate::telemetry::metrics::KindMeters,
    /// When the connection was accepted or made.
    pub opened: Instant,
    /// The client's address: the peer's, or the one a trusted proxy named.
    pub client: IpAddr,
    /// Bytes and messages each way.
    pub traffic: Traffic,
    /// The request being answered.
    pub current: Option<Box<Current>>,
    /// The previous request's record, reused by the next request on this connection.
    pub spare_current: Option<Box<Current>>,
    /// Why the connection is closing, when not normally (`timeout`, `protocol_error`).
    pub close_cause: Option<&'static str>,
    /// Accepted by the admin listener: its requests go to the driver's admin endpoints and
    /// are neither logged nor counted.
    pub admin: bool,
    /// The TLS session of an HTTPS/WSS connection (boxed: most connections are plain).
    pub tls: Option<Box<super::tls::Tls>>,
}

impl Conn {
    /// A fresh connection.
    pub fn new(stream: TcpStream, peer: SocketAddr, generation: u64) -> Conn {
        Conn {
            stream,
            peer,
            inbuf: Vec::new(),
            out: VecDeque::new(),
            out_pos: 0,
            out_bytes: 0,
            phase: Phase::Reading,
            generation,
            eof: false,
            hangup: false,
            sent_continue: false,
            want_write: false,
            dirty: false,
            deadline: std::time::Instant::now(),
            timer_at: None,
            ws: None,
            tcp_reason: None,
            outgoing: false,
            parser: Default::default(),
            read_paused: false,
            head_started: false,
            in_body: false,
            app_paused: false,
            meters: &crate::telemetry::metrics::NET.http,
            opened: Instant::now(),
            client: peer.ip(),
            traffic: Traffic::default(),
            current: None,
            spare_current: None,
            close_cause: None,
            admin: false,
            tls: None,
        }
    }

    /// Reads from the socket (through TLS when the connection has it).
    pub fn read_some(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::Read;
        match self.tls.as_mut() {
            Some(t) => t.read(&mut self.stream, buf),
            None => self.stream.read(buf),
        }
    }

    /// Writes to the socket (through TLS when the connection has it).
    pub fn write_some(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        use std::io::Write;
        match self.tls.as_mut() {
            Some(t) => t.write(&mut self.stream, bytes),
            None => self.stream.write(bytes),
        }
    }

    /// Encrypted bytes are still waiting for the socket.
    pub fn tls_pending(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.pending())
    }

    /// Writes `bytes` at once when nothing is queued ahead of them (the common case: one
    /// syscall, no copy) and queues what the socket did not take. An error other than
    /// `WouldBlock` is returned; the caller closes the connection.
    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut done = 0;
        if self.out.is_empty() {
            while done < bytes.len() {
                match self.write_some(&bytes[done..]) {
                    Ok(n) => {
                        done += n;
                        self.count_out(n);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        if done < bytes.len() {
            self.queue(Rc::from(&bytes[done..]));
        }
        Ok(())
    }

    /// Moves the connection to another kind's counters (an upgrade to WebSocket, a TCP
    /// connection).
    pub fn set_kind(&mut self, meters: &'static crate::telemetry::metrics::KindMeters) {
        if !std::ptr::eq(self.meters, meters) {
            self.meters.open.dec();
            meters.open.inc();
            meters.opened.inc();
            self.meters = meters;
        }
    }

    /// Counts bytes read.
    pub fn count_in(&mut self, n: usize) {
        self.traffic.bytes_in += n as u64;
        self.meters.bytes_in.inc_by(n as u64);
    }

    /// Counts bytes written.
    pub fn count_out(&mut self, n: usize) {
        self.traffic.bytes_out += n as u64;
        self.meters.bytes_out.inc_by(n as u64);
    }

    /// Counts a message received.
    pub fn message_in(&mut self) {
        self.traffic.msgs_in += 1;
        self.meters.msgs_in.inc();
    }

    /// Counts a message queued for sending.
    pub fn message_out(&mut self) {
        self.traffic.msgs_out += 1;
        self.meters.msgs_out.inc();
    }

    /// Queues bytes for writing.
    pub fn queue(&mut self, bytes: Rc<[u8]>) {
        self.out_bytes += bytes.len();
        self.out.push_back(bytes);
    }
}
