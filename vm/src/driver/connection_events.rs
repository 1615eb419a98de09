//! Connection events → handler feature sets, one event of a connection at a time (Connect before
//! the first message, Disconnect last): `WebSocket Event Handler`s for WebSocket connections,
//! `Socket Event Handler`s for TCP sockets; and the Send/Broadcast/Close/Connect actions.

use super::Driver;
use crate::idmap::IdMap;
use crate::runtime::fiber::FiberId;
use crate::runtime::scheduler::Ending;
use arovm_stdlib::value::{date, to_json_wire, Object, Value};
use std::borrow::Cow;
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
    id: u64,
    path: Option<Rc<str>>,
    remote: String,
    /// The values every event of the connection shares, built when its first event is handled
    /// (an idle connection nobody handles holds none).
    values: Option<Box<ConnValues>>,
    running: usize,
    pending: VecDeque<(Kind, Value)>,
    /// Bytes of the messages in `pending`.
    pending_bytes: usize,
    /// Reading the socket is paused until the queue drains.
    paused: bool,
    closed: bool,
}

/// A connection's id (a string, as handlers see it), path and remote address as values, and
/// its `connection` object.
struct ConnValues {
    id: Value,
    path: Value,
    remote: Value,
    conn: Value,
}

impl ConnQueue {
    fn new(tcp: bool, id: u64, path: Option<Rc<str>>, remote: String) -> ConnQueue {
        ConnQueue {
            tcp,
            id,
            path,
            remote,
            values: None,
            running: 0,
            pending: VecDeque::new(),
            pending_bytes: 0,
            paused: false,
            closed: false,
        }
    }

    fn values(&mut self, keys: &EventKeys) -> &ConnValues {
        let (tcp, id, path, remote) = (self.tcp, self.id, &self.path, &self.remote);
        self.values.get_or_insert_with(|| {
            let (id, path, remote) = (
                Value::str(&id.to_string()),
                path.clone().map_or(Value::Null, Value::Str),
                Value::str(remote),
            );
            let mut conn = vec![(keys.id.clone(), id.clone())];
            if !tcp {
                conn.push((keys.path.clone(), path.clone()));
            }
            conn.push((keys.remote.clone(), remote.clone()));
            let conn = Value::Object(Rc::new(Object::from_unique(conn)));
            Box::new(ConnValues {
                id,
                path,
                remote,
                conn,
            })
        })
    }
}

/// The keys of event objects and handler variables, allocated once.
struct EventKeys {
    id: Rc<str>,
    connection_id: Rc<str>,
    path: Rc<str>,
    remote: Rc<str>,
    timestamp: Rc<str>,
    binary: Rc<str>,
    message: Rc<str>,
    event: Rc<str>,
    connection: Rc<str>,
    ws_connection: Rc<str>,
    ws_message: Rc<str>,
}

impl Default for EventKeys {
    fn default() -> EventKeys {
        EventKeys {
            id: Rc::from("id"),
            connection_id: Rc::from("connectionId"),
            path: Rc::from("path"),
            remote: Rc::from("remoteAddress"),
            timestamp: Rc::from("timestamp"),
            binary: Rc::from("binary"),
            message: Rc::from("message"),
            event: Rc::from("event"),
            connection: Rc::from("connection"),
            ws_connection: Rc::from("websocket-connection"),
            ws_message: Rc::from("websocket-message"),
        }
    }
}

/// The event timestamp (ISO 8601, whole seconds), formatted once per second.
#[derive(Default)]
struct Clock {
    second: i64,
    text: Value,
}

impl Clock {
    fn now(&mut self) -> Value {
        let second = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        if second != self.second || matches!(self.text, Value::Null) {
            self.second = second;
            self.text = Value::str(&date::format_iso(second));
        }
        self.text.clone()
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
    /// Boxed: the map's table then holds pointers, not queues (10,000 idle connections).
    queues: IdMap<u64, Box<ConnQueue>>,
    fibers: IdMap<FiberId, (u64, usize)>,
    keys: EventKeys,
    clock: Clock,
}

impl WsState {
    /// WebSocket/TCP events waiting for a handler, over all connections.
    pub(super) fn queued_events(&self) -> usize {
        self.queues.values().map(|q| q.pending.len()).sum()
    }
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
    pub(super) fn ws_open(&mut self, id: u64, path: Rc<str>, peer: SocketAddr) {
        let q = ConnQueue::new(false, id, Some(path), peer.ip().to_string());
        self.ws.queues.insert(id, Box::new(q));
        self.ws_enqueue(id, Kind::Connect, Value::Null);
    }

    pub(super) fn ws_message(&mut self, id: u64, text: Option<Rc<str>>, binary: Option<Rc<[u8]>>) {
        // Text messages are strings; binary messages are bytes (sent back as binary frames).
        let v = match (text, binary) {
            (Some(t), _) => Value::Str(t),
            (None, b) => Value::Bytes(b.unwrap_or_else(|| Rc::from(&[][..]))),
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
            let ws = &mut self.ws;
            let Some(q) = ws.queues.get_mut(&id) else {
                return;
            };
            let tcp = q.tcp;
            let handlers = match (tcp, kind) {
                (true, Kind::Connect) => &ws.tcp_connect,
                (true, Kind::Message) => &ws.tcp_data,
                (true, Kind::Disconnect) => &ws.tcp_disconnect,
                (false, Kind::Connect) => &ws.connect,
                (false, Kind::Message) => &ws.message,
                (false, Kind::Disconnect) => &ws.disconnect,
            };
            if handlers.is_empty() {
                continue;
            }
            q.running = handlers.len();
            let q = q.values(&ws.keys);
            if tcp {
                let id_str = q.id.as_str().unwrap_or_default();
                let env = tcp_env(kind, id_str, &q.remote, v, ws.clock.now());
                for &fs in handlers {
                    let fid = self.sched.spawn_tracked(fs, env.clone());
                    self.sched.set_quiet(fid);
                    ws.fibers.insert(fid, (id, fs));
                    self.sched
                        .set_trace(fid, ("connection_id", Rc::from(id.to_string())));
                }
                return;
            }
            // The event object and the variables: shared keys and connection values, one
            // allocation for each list and one for the object.
            let k = &ws.keys;
            let mut event = Vec::with_capacity(8);
            event.extend([
                (k.id.clone(), q.id.clone()),
                (k.connection_id.clone(), q.id.clone()),
                (k.path.clone(), q.path.clone()),
                (k.remote.clone(), q.remote.clone()),
                (k.timestamp.clone(), ws.clock.now()),
            ]);
            let mut env = Vec::with_capacity(4);
            env.push((k.ws_connection.clone(), q.conn.clone()));
            env.push((k.connection.clone(), q.conn.clone()));
            match kind {
                Kind::Connect => {}
                Kind::Message => {
                    event.push((k.binary.clone(), Value::Bool(matches!(v, Value::Bytes(_)))));
                    event.push((k.message.clone(), v.clone()));
                    env.push((k.ws_message.clone(), v));
                }
                Kind::Disconnect => {
                    if let Value::Object(o) = &v {
                        event.extend(o.entries.iter().cloned());
                    }
                }
            }
            env.push((
                k.event.clone(),
                Value::Object(Rc::new(Object::from_unique(event))),
            ));
            let n = handlers.len();
            for (i, &fs) in handlers.iter().enumerate() {
                let env = if i + 1 == n {
                    std::mem::take(&mut env)
                } else {
                    env.clone()
                };
                let fid = self.sched.spawn_tracked(fs, env);
                self.sched.set_quiet(fid);
                ws.fibers.insert(fid, (id, fs));
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
        let q = ConnQueue::new(true, id, None, remote);
        self.ws.queues.insert(id, Box::new(q));
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

/// Bytes for a TCP socket: as [`encode`] has them for a WebSocket.
fn raw_bytes(payload: &Value) -> Vec<u8> {
    match payload {
        Value::Str(s) => s.as_bytes().to_vec(),
        Value::Bytes(b) => b.to_vec(),
        other => encode(other).1.into_owned(),
    }
}

/// The variables a `Socket Event Handler` sees (the reference's names, plus `event` everywhere):
/// connected → `connection {id, remoteAddress}`; data → `packet {buffer, data, message, text,
/// connection, connectionId}`; disconnected → `event {connectionId, reason}`.
fn tcp_env(
    kind: Kind,
    id: &str,
    remote: &Value,
    v: Value,
    timestamp: Value,
) -> Vec<(Rc<str>, Value)> {
    let conn = Value::object(vec![
        (Rc::from("id"), Value::str(id)),
        (Rc::from("remoteAddress"), remote.clone()),
    ]);
    let mut event = vec![
        (Rc::from("id"), Value::str(id)),
        (Rc::from("connectionId"), Value::str(id)),
        (Rc::from("remoteAddress"), remote.clone()),
        (Rc::from("timestamp"), timestamp),
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

/// Strings go out as-is (text, their bytes unchanged and not copied), bytes as binary, an
/// object still as it was parsed from a message as that message's text, everything else as
/// JSON text: serialized once per send.
fn encode(payload: &Value) -> (bool, Cow<'_, [u8]>) {
    match payload {
        Value::Str(s) => (true, Cow::Borrowed(s.as_bytes())),
        Value::Object(o) if o.source().is_some() => (
            true,
            Cow::Borrowed(o.source().map_or(&b""[..], |s| s.as_bytes())),
        ),
        Value::Bytes(b) => (false, Cow::Borrowed(b)),
        other => (true, Cow::Owned(to_json_wire(other).into_bytes())),
    }
}
