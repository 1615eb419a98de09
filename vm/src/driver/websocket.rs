//! WebSocket events → `WebSocket Event Handler` feature sets, one event of a connection at a time
//! (Connect before the first Message, Disconnect last), and the Send/Broadcast/Close actions.

use super::Driver;
use crate::runtime::fiber::FiberId;
use crate::runtime::scheduler::Ending;
use arovm_stdlib::value::{date, to_json_wire, Value};
use std::collections::{HashMap, VecDeque};
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

/// One connection's queue of events not yet handled.
struct ConnQueue {
    path: String,
    remote: String,
    running: usize,
    pending: VecDeque<(Kind, Value)>,
    closed: bool,
}

/// WebSocket bookkeeping of the driver.
#[derive(Default)]
pub(super) struct WsState {
    connect: Vec<usize>,
    message: Vec<usize>,
    disconnect: Vec<usize>,
    queues: HashMap<u64, ConnQueue>,
    fibers: HashMap<FiberId, u64>,
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
            if !prog
                .s(fs.activity)
                .eq_ignore_ascii_case("WebSocket Event Handler")
            {
                continue;
            }
            let name = prog.s(fs.name).to_ascii_lowercase();
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

    /// True when `fid` runs a WebSocket handler.
    pub(super) fn owns(&self, fid: FiberId) -> bool {
        self.fibers.contains_key(&fid)
    }
}

impl Driver<'_> {
    pub(super) fn ws_open(&mut self, id: u64, path: String, peer: SocketAddr) {
        self.ws.queues.insert(
            id,
            ConnQueue {
                path,
                remote: peer.ip().to_string(),
                running: 0,
                pending: VecDeque::new(),
                closed: false,
            },
        );
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
        q.pending.push_back((kind, v));
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
                self.ws.fibers.insert(fid, id);
            }
            return;
        }
    }

    /// A handler fiber finished: report a failure, start the connection's next event.
    pub(super) fn ws_handler_done(&mut self, fid: FiberId, ending: Ending) {
        let Some(id) = self.ws.fibers.remove(&fid) else {
            return;
        };
        if let Ending::Failed(e) = ending {
            eprintln!("[WebSocket] Handler error: {}", e.render());
        }
        if let Some(q) = self.ws.queues.get_mut(&id) {
            q.running = q.running.saturating_sub(1);
            if q.running == 0 {
                self.ws_next(id);
            }
        }
    }

    /// Performs Send / Broadcast / Close for a fiber.
    pub(super) fn ws_send(&mut self, id: &str, payload: &Value) -> Result<Value, String> {
        let n = id.trim().parse::<u64>().ok();
        let (text, bytes) = encode(payload);
        let ok = match (n, self.reactor.as_mut()) {
            (Some(n), Some(r)) => r.ws_send(n, text, &bytes),
            _ => false,
        };
        if ok {
            Ok(Value::Null)
        } else {
            Err(format!("WebSocket connection '{id}' is not open"))
        }
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
            (Some(n), Some(r)) => r.ws_close(n, 1000, "closed by the server"),
            _ => false,
        };
        if ok {
            Ok(Value::Null)
        } else {
            Err(format!("WebSocket connection '{id}' is not open"))
        }
    }
}

/// Strings go out as-is (text), everything else as JSON text: serialized once per send.
fn encode(payload: &Value) -> (bool, Vec<u8>) {
    match payload {
        Value::Str(s) => (true, s.as_bytes().to_vec()),
        Value::Bytes(b) => (false, b.to_vec()),
        other => (true, to_json_wire(other).into_bytes()),
    }
}
