//! Connection events → handler feature sets, one event of a connection at a time (Connect before
//! the first message, Disconnect last): `WebSocket Event Handler`s for WebSocket connections,
//! `Socket Event Handler`s for TCP sockets; and the Send/Broadcast/Close/Connect actions.

use super::Driver;
use crate::idmap::IdMap;
use crate::runtime::fiber::FiberId;
use crate::runtime::scheduler::Ending;
use arovm_stdlib::value::{date, to_json_wire, Value};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Which handlers an event runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Connect,
    Message,
    Disconnect,
}

/// Most unhandled events one connection may have queued before its socket is no longer read
/// (back-pressure: the peer then waits in TCP flow control). Reading resumes below half.
const MAX_PENDING_EVENTS: usize = 64;
/// Most bytes of unhandled messages one connection may have queued before reading pauses.
const MAX_PENDING_BYTES: usize = 1 << 20;

/// One connection's queue of events not yet handled.
struct ConnQueue {
    tcp: bool,
    path: String,
    remote: String,
    running: usize,
    pending: VecDeque<(Kind, Value)>,
    /// Bytes of the messages in `pending`.
    pending_bytes: usize,
    /// Reading the socket is paused until the queue drains.
    paused: bool,
    closed: bool,
}

impl ConnQueue {
    fn new(tcp: bool, path: String, remote: String) -> ConnQueue {
        ConnQueue {
            tcp,
            path,
            remote,
            running: 0,
            pending: VecDeque::new(),
            pending_bytes: 0,
            paused: false,
            closed: false,
        }
    }
}

/// Bytes a queued event holds (its message).
fn event_bytes(v: &Value) -> usize {
    match v {
        Value::Str(s) => s.len(),
        Value::Bytes(b) => b.len(),
        _ => 0,
    }
}

/// Connection-event bookkeeping of the driver.
#[derive(Default)]
pub(super) struct WsState {
    connect: Vec<usize>,
    message: Vec<usize>,
    disconnect: Vec<usize>,
    tcp_connect: Vec<usize>,
    tcp_data: Vec<usize>,
    tcp_disconnect: Vec<usize>,
    queues: IdMap<u64, ConnQueue>,
    fibers: IdMap<FiberId, (u64, usize)>,
}

impl WsState {
    /// WebSocket/TCP events waiting for a handler, over all connections.
    pub(super) fn queued_events(&self) -> usize {
        self.queues.values().map(|q| q.pending.len()).sum()
    }
}

fn now_iso() -> String {
    date::format_iso(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
    )
}

impl WsState {
    /// Finds the handlers: business activity `WebSocket Event Handler`, kind by name.
    pub(super) fn new(prog: &crate::loader::Loaded) -> WsState {
        let mut s = WsState::default();
        for (i, fs) in prog.program.feature_sets.iter().enumerate() {
            let activity = prog.s(fs.activity);
            let name = prog.s(fs.name).to_ascii_lowercase();
            if activity.contains("Socket Event Handler") && !activity.contains("WebSocket") {
                if name.contains("disconnect") {
                    s.tcp_disconnect.push(i);
                } else if name.contains("connect") {
                    s.tcp_connect.push(i);
                } else if ["data", "message", "received"]
                    .iter()
                    .any(|w| name.contains(w))
                {
                    s.tcp_data.push(i);
                }
                continue;
            }
            if !activity.eq_ignore_ascii_case("WebSocket Event Handler") {
                continue;
            }
            if name.contains("message") {
                s.message.push(i);
            } else if name.contains("disconnect") {
                s.disconnect.push(i);
            } else if name.contains("connect") {
                s.connect.push(i);
            }
        }
        s
    }

    /// True while some connection still has events to handle (the drain waits for them).
    pub(super) fn busy(&self) -> bool {
        !self.queues.is_empty()
    }

    /// True when `fid` runs a WebSocket handler.
    pub(super) fn owns(&self, fid: FiberId) -> bool {
        self.fibers.contains_key(&fid)
    }
}

impl Driver<'_> {
    pub(super) fn ws_open(&mut self, id: u64, path: String, peer: SocketAddr) {
        self.ws
            .queues
            .insert(id, ConnQueue::new(false, path, peer.ip().to_string()));
        self.ws_enqueue(id, Kind::Connect, Value::Null);
    }

    pub(super) fn ws_message(&mut self, id: u64, text: Option<String>, binary: Vec<u8>) {
        // Text messages are strings; binary messages are bytes (sent back as binary frames).
        let v = match text {
            Some(t) => Value::str(&t),
            None => Value::Bytes(Rc::from(binary)),
        };
        self.ws_enqueue(id, Kind::Message, v);
    }

    pub(super) fn ws_closed(&mut self, id: u64, code: u16, reason: String) {
        let v = Value::object(vec![
            (Rc::from("code"), Value::Int(code as i64)),
            (Rc::from("reason"), Value::str(&reason)),
        ]);
        if let Some(q) = self.ws.queues.get_mut(&id) {
            q.closed = true;
        }
        self.ws_enqueue(id, Kind::Disconnect, v);
    }

    fn ws_enqueue(&mut self, id: u64, kind: Kind, v: Value) {
        let Some(q) = self.ws.queues.get_mut(&id) else {
            return;
        };
        q.pending_bytes += event_bytes(&v);
        q.pending.push_back((kind, v));
        let over = q.pending.len() > MAX_PENDING_EVENTS || q.pending_bytes > MAX_PENDING_BYTES;
        if over && !q.paused && !q.closed {
            q.paused = true;
            if let Some(r) = self.reactor.as_mut() {
                r.pause_reading(id, true);
            }
        }
        if q.running == 0 {
            self.ws_next(id);
        }
    }

    /// Starts the handlers of the connection's next event (skipping events nobody handles).
    fn ws_next(&mut self, id: u64) {
        loop {
            let Some(q) = self.ws.queues.get_mut(&id) else {
                return;
            };
            let Some((kind, v)) = q.pending.pop_front() else {
                if q.closed {
                    self.ws.queues.remove(&id);
                }
                return;
            };
            q.pending_bytes -= event_bytes(&v).min(q.pending_bytes);
            let drained = q.pending.len() <= MAX_PENDING_EVENTS / 2
                && q.pending_bytes <= MAX_PENDING_BYTES / 2;
            if q.paused && drained {
                q.paused = false;
                if let Some(r) = self.reactor.as_mut() {
                    r.pause_reading(id, false);
                }
            }
            let Some(q) = self.ws.queues.get_mut(&id) else {
                return;
            };
            let sid = id.to_string();
            let conn = Value::object(vec![
                (Rc::from("id"), Value::str(&sid)),
                (Rc::from("path"), Value::str(&q.path)),
                (Rc::from("remoteAddress"), Value::str(&q.remote)),
            ]);
            let mut event = vec![
                (Rc::from("id"), Value::str(&sid)),
                (Rc::from("connectionId"), Value::str(&sid)),
                (Rc::from("path"), Value::str(&q.path)),
                (Rc::from("remoteAddress"), Value::str(&q.remote)),
                (Rc::from("timestamp"), Value::str(&now_iso())),
            ];
            let mut env: Vec<(Rc<str>, Value)> = vec![
                (Rc::from("websocket-connection"), conn.clone()),
                (Rc::from("connection"), conn),
            ];
            if q.tcp {
                let handlers = match kind {
                    Kind::Connect => self.ws.tcp_connect.clone(),
                    Kind::Message => self.ws.tcp_data.clone(),
                    Kind::Disconnect => self.ws.tcp_disconnect.clone(),
                };
                if handlers.is_empty() {
                    continue;
                }
                let env = tcp_env(kind, &sid, &q.remote, v);
                q.running = handlers.len();
                for fs in handlers {
                    let fid = self.sched.spawn_tracked(fs, env.clone());
                    self.ws.fibers.insert(fid, (id, fs));
                    self.sched
                        .set_trace(fid, ("connection_id", Rc::from(id.to_string())));
                }
                return;
            }
            let handlers = match kind {
                Kind::Connect => self.ws.connect.clone(),
                Kind::Message => {
                    event.push((
                        Rc::from("binary"),
                        Value::Bool(matches!(v, Value::Bytes(_))),
                    ));
                    event.push((Rc::from("message"), v.clone()));
                    env.push((Rc::from("websocket-message"), v));
                    self.ws.message.clone()
                }
                Kind::Disconnect => {
                    if let Value::Object(o) = &v {
                        event.extend(o.entries.iter().cloned());
                    }
                    self.ws.disconnect.clone()
                }
            };
            if handlers.is_empty() {
                continue;
            }
            env.push((Rc::from("event"), Value::object(event)));
            q.running = handlers.len();
            for fs in handlers {
                let fid = self.sched.spawn_tracked(fs, env.clone());
                self.ws.fibers.insert(fid, (id, fs));
            }
            return;
        }
    }

    /// A handler fiber finished: report a failure, start the connection's next event.
    pub(super) fn ws_handler_done(&mut self, fid: FiberId, ending: Ending) {
        let Some((id, fs)) = self.ws.fibers.remove(&fid) else {
            return;
        };
        if let Ending::Failed(e) = ending {
            e.log_failure(self.prog, fs, &[("connection_id", &id.to_string())]);
        }
        if let Some(q) = self.ws.queues.get_mut(&id) {
            q.running = q.running.saturating_sub(1);
            if q.running == 0 {
                self.ws_next(id);
            }
        }
    }

    pub(super) fn tcp_open(&mut self, id: u64, remote: String) {
        self.ws
            .queues
            .insert(id, ConnQueue::new(true, String::new(), remote));
        self.ws_enqueue(id, Kind::Connect, Value::Null);
    }

    pub(super) fn tcp_data(&mut self, id: u64, bytes: Vec<u8>) {
        self.ws_enqueue(id, Kind::Message, Value::Bytes(Rc::from(bytes)));
    }

    pub(super) fn tcp_closed(&mut self, id: u64, reason: String) {
        if let Some(q) = self.ws.queues.get_mut(&id) {
            q.closed = true;
        }
        self.ws_enqueue(id, Kind::Disconnect, Value::str(&reason));
    }

    /// Performs Send for a fiber: to a WebSocket or a TCP connection by id.
    pub(super) fn ws_send(&mut self, id: &str, payload: &Value) -> Result<Value, String> {
        let n = id.trim().parse::<u64>().ok();
        let ok = match (n, self.reactor.as_mut()) {
            (Some(n), Some(r)) if r.is_tcp(n) => {
                let bytes = raw_bytes(payload);
                if r.tcp_would_block(n, bytes.len()) {
                    return Err(WOULD_BLOCK.into());
                }
                r.tcp_send(n, &bytes)
            }
            (Some(n), Some(r)) => {
                let (text, bytes) = encode(payload);
                r.ws_send(n, text, &bytes)
            }
            _ => false,
        };
        if ok {
            Ok(Value::Null)
        } else {
            Err(format!("Connection '{id}' is not open"))
        }
    }

    /// Broadcast to the socket servers' clients.
    pub(super) fn tcp_broadcast(&mut self, payload: &Value) -> Result<Value, String> {
        let n = match self.reactor.as_mut() {
            Some(r) => r.tcp_broadcast(&raw_bytes(payload)),
            None => 0,
        };
        Ok(Value::Int(n as i64))
    }

    pub(super) fn ws_broadcast(&mut self, payload: &Value) -> Result<Value, String> {
        let (text, bytes) = encode(payload);
        let n = match self.reactor.as_mut() {
            Some(r) => r.ws_broadcast(text, &bytes, None),
            None => 0,
        };
        Ok(Value::Int(n as i64))
    }

    pub(super) fn ws_close(&mut self, id: &str) -> Result<Value, String> {
        let n = id.trim().parse::<u64>().ok();
        let ok = match (n, self.reactor.as_mut()) {
            (Some(n), Some(r)) if r.is_tcp(n) => r.tcp_close(n),
            (Some(n), Some(r)) => r.ws_close(n, 1000, "closed by the server"),
            _ => false,
        };
        if ok {
            Ok(Value::Null)
        } else {
            Err(format!("Connection '{id}' is not open"))
        }
    }
}

/// Marker error: the outbound connection's buffer is full; the fiber waits and retries.
pub(super) const WOULD_BLOCK: &str = "\u{0}would block";

/// Bytes for a TCP socket: strings and bytes as they are, other values as JSON.
fn raw_bytes(payload: &Value) -> Vec<u8> {
    match payload {
        Value::Str(s) => s.as_bytes().to_vec(),
        Value::Bytes(b) => b.to_vec(),
        other => to_json_wire(other).into_bytes(),
    }
}

/// The variables a `Socket Event Handler` sees (the reference's names, plus `event` everywhere):
/// connected → `connection {id, remoteAddress}`; data → `packet {buffer, data, message, text,
/// connection, connectionId}`; disconnected → `event {connectionId, reason}`.
fn tcp_env(kind: Kind, id: &str, remote: &str, v: Value) -> Vec<(Rc<str>, Value)> {
    let conn = Value::object(vec![
        (Rc::from("id"), Value::str(id)),
        (Rc::from("remoteAddress"), Value::str(remote)),
    ]);
    let mut event = vec![
        (Rc::from("id"), Value::str(id)),
        (Rc::from("connectionId"), Value::str(id)),
        (Rc::from("remoteAddress"), Value::str(remote)),
        (Rc::from("timestamp"), Value::str(&now_iso())),
    ];
    let mut env: Vec<(Rc<str>, Value)> = vec![(Rc::from("connection"), conn)];
    match kind {
        Kind::Connect => {}
        Kind::Message => {
            let text = match &v {
                Value::Bytes(b) => std::str::from_utf8(b).unwrap_or("").to_string(),
                other => arovm_stdlib::value::to_display(other),
            };
            let packet = vec![
                (Rc::from("buffer"), v.clone()),
                (Rc::from("data"), v.clone()),
                (Rc::from("message"), Value::str(&text)),
                (Rc::from("text"), Value::str(&text)),
                (Rc::from("connection"), Value::str(id)),
                (Rc::from("connectionId"), Value::str(id)),
            ];
            event.extend(packet.iter().cloned());
            env.push((Rc::from("packet"), Value::object(packet)));
        }
        Kind::Disconnect => event.push((Rc::from("reason"), v)),
    }
    env.push((Rc::from("event"), Value::object(event)));
    env
}

/// Strings go out as-is (text), everything else as JSON text: serialized once per send.
fn encode(payload: &Value) -> (bool, Vec<u8>) {
    match payload {
        Value::Str(s) => (true, s.as_bytes().to_vec()),
        Value::Bytes(b) => (false, b.to_vec()),
        other => (true, to_json_wire(other).into_bytes()),
    }
}
