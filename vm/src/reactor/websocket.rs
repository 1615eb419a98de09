//! The reactor's WebSocket half: the upgrade on a request head, frames in and out, fan-out of
//! shared frame bytes with the slow-consumer policy, pings on silence, closing.

use super::conn::Phase;
use super::{arm, Inbound, Reactor};
use crate::net::http::request::Request;
use crate::net::ws::frame::{self, Opcode};
use crate::net::ws::session::{WsEvent, WsSession};
use crate::net::ws::upgrade;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Input buffers kept for connections between messages, and the largest kept.
const SPARE_BUFS: usize = 64;
const SPARE_BUF_MAX: usize = 4096;

/// Time a peer gets to answer our Close before the socket is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

impl Reactor {
    /// Answers an upgrade request: 101 and a session, or the error response.
    pub(super) fn upgrade(&mut self, slot: usize, req: Request) {
        let path = req.path().to_string();
        let date = self.date();
        let cfg = self.ws_config.clone();
        if self.begin_request(slot, &req).is_none() {
            return;
        }
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        match upgrade::check(&req, &path, &cfg) {
            Ok(bytes) => {
                // Upgrade paths are the app's configured ones: each is allocated once and
                // shared by its connections.
                let path = match self.ws_paths.iter().find(|p| ***p == *path) {
                    Some(p) => p.clone(),
                    None => {
                        let p: Rc<str> = Rc::from(path);
                        self.ws_paths.push(p.clone());
                        p
                    }
                };
                let Some(Some(c)) = self.conns.get_mut(slot) else {
                    return;
                };
                c.current = None; // the connection's line is written when it closes
                c.set_kind(&crate::telemetry::metrics::NET.websocket);
                c.opened = Instant::now();
                c.queue(Rc::from(bytes));
                c.phase = Phase::WebSocket;
                c.ws = Some(Box::new(WsSession::new(path.clone())));
                // The upgrade request's record is not reused by a WebSocket.
                c.spare_current = None;
                c.deadline = Instant::now() + cfg.ping_interval;
                arm(&mut self.timers, c, slot);
                self.ws_index.insert(c.generation, slot);
                let (id, peer) = (
                    c.generation,
                    std::net::SocketAddr::new(c.client, c.peer.port()),
                );
                self.inbound.push(Inbound::WsOpen { id, path, peer });
                self.flush(slot);
                self.ws_input(slot);
            }
            Err(resp) => {
                let id = c.current.as_ref().map(|r| r.id.clone());
                let bytes = resp.encode_for(false, false, &date, id.as_deref());
                c.phase = Phase::Closing;
                c.inbuf.clear();
                let n = bytes.len();
                c.queue(Rc::from(bytes));
                self.request_done(slot, resp.status, n);
                self.flush(slot);
            }
        }
    }

    /// Feeds buffered input to the session and reports complete messages.
    pub(super) fn ws_input(&mut self, slot: usize) {
        let interval = self.ws_config.ping_interval;
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        let Some(ws) = c.ws.as_mut() else { return };
        let events = ws.feed(&c.inbuf, &self.ws_config, &mut self.ws_contexts);
        let fed = !c.inbuf.is_empty();
        // Between messages the input buffer goes back to the reactor's spares with the
        // session's context: an idle connection holds neither, a busy one allocates neither.
        let at_rest = !ws.holds_context();
        if at_rest || c.inbuf.capacity() > SPARE_BUF_MAX {
            let mut buf = std::mem::take(&mut c.inbuf);
            if buf.capacity() <= SPARE_BUF_MAX && self.spare_bufs.len() < SPARE_BUFS {
                buf.clear();
                self.spare_bufs.push(buf);
            }
        } else {
            c.inbuf.clear();
        }
        let out = std::mem::take(&mut ws.output);
        if !out.is_empty() {
            // Pongs and close echoes: they count against the queue bound like any frame.
            c.queue(Rc::from(out));
        }
        if fed {
            // Later than the armed entry: re-armed lazily when it fires. Earlier (a pong after a
            // ping armed the longer ping timeout): armed now, or pings would drift to the timeout.
            c.deadline = Instant::now() + interval;
            arm(&mut self.timers, c, slot);
        }
        let id = c.generation;
        let mut finished = false;
        for ev in events {
            match ev {
                WsEvent::Text(t) => {
                    c.message_in();
                    self.inbound.push(Inbound::WsMessage {
                        id,
                        text: Some(t),
                        binary: None,
                    })
                }
                WsEvent::Binary(b) => {
                    c.message_in();
                    self.inbound.push(Inbound::WsMessage {
                        id,
                        text: None,
                        binary: Some(b),
                    })
                }
                WsEvent::Finished => finished = true,
            }
        }
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        if finished {
            c.phase = Phase::Closing;
        } else if c.eof {
            if let Some(ws) = c.ws.as_mut() {
                ws.close_reason
                    .get_or_insert((1006, "connection lost".into()));
            }
            return self.close(slot);
        }
        self.flush(slot);
        let max = self.ws_config.max_queue;
        if matches!(self.conns.get(slot), Some(Some(c)) if c.phase == Phase::WebSocket && c.out_bytes > max)
        {
            // A peer that sends pings and never reads the pongs is a slow consumer too.
            self.ws_slow_consumer(slot);
        }
    }

    /// Closes a connection whose queue is over its bound with 1008; nobody else waits for it.
    fn ws_slow_consumer(&mut self, slot: usize) {
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        let Some(ws) = c.ws.as_mut() else { return };
        ws.close(
            1008,
            "slow consumer",
            &self.ws_config,
            &mut self.ws_contexts,
        );
        let out = std::mem::take(&mut ws.output);
        c.queue(Rc::from(out));
        c.phase = Phase::Closing;
        c.deadline = Instant::now() + CLOSE_GRACE;
        arm(&mut self.timers, c, slot);
        self.mark_dirty(slot);
    }

    /// Closes every WebSocket with 1001 (going away) at shutdown; their Disconnect follows
    /// when the peer answers or the close grace ends.
    pub(super) fn ws_going_away(&mut self, slot: usize) {
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        let Some(ws) = c.ws.as_mut() else { return };
        if !ws.closing {
            ws.close(
                1001,
                "server shutting down",
                &self.ws_config,
                &mut self.ws_contexts,
            );
            let out = std::mem::take(&mut ws.output);
            c.queue(Rc::from(out));
            c.deadline = Instant::now() + CLOSE_GRACE;
            arm(&mut self.timers, c, slot);
        }
        self.flush(slot);
    }

    /// Silence or a pending close reached its deadline.
    pub(super) fn ws_timer(&mut self, slot: usize) {
        let timeout = self.ws_config.ping_timeout;
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        let Some(ws) = c.ws.as_mut() else { return };
        if ws.closing || c.phase == Phase::Closing {
            return self.close(slot);
        }
        if ws.ping_outstanding {
            ws.close_reason.get_or_insert((1006, "ping timeout".into()));
            return self.close(slot);
        }
        ws.ping_outstanding = true;
        c.queue(Rc::from(frame::encode(Opcode::Ping, b"")));
        c.deadline = Instant::now() + timeout;
        arm(&mut self.timers, c, slot);
        self.flush(slot);
    }

    /// Queues a shared frame on one connection, applying the slow-consumer policy.
    fn ws_queue(&mut self, slot: usize, bytes: &Rc<[u8]>) -> bool {
        let max = self.ws_config.max_queue;
        if matches!(self.conns.get(slot), Some(Some(c)) if c.dirty && c.out_bytes + bytes.len() > max)
        {
            // Over the bound with this turn's writes still deferred: write them now, then judge.
            self.flush(slot);
        }
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return false;
        };
        let Some(ws) = c.ws.as_mut() else {
            return false;
        };
        if ws.closing || c.phase != Phase::WebSocket {
            return false;
        }
        if c.out_bytes + bytes.len() > max {
            self.ws_slow_consumer(slot);
            return false;
        }
        c.message_out();
        c.queue(bytes.clone());
        self.mark_dirty(slot);
        true
    }

    /// Sends a message to one connection; false when it is not open.
    pub fn ws_send(&mut self, id: u64, text: bool, payload: &[u8]) -> bool {
        let Some(&slot) = self.ws_index.get(&id) else {
            return false;
        };
        let op = if text { Opcode::Text } else { Opcode::Binary };
        let bytes = frame::encode_shared(op, payload);
        self.ws_queue(slot, &bytes)
    }

    /// Sends one message to every open connection (optionally only those on `path`): the frame
    /// is encoded once and its bytes are shared; each connection is written at the end of the
    /// loop turn. Returns how many connections got it.
    pub fn ws_broadcast(&mut self, text: bool, payload: &[u8], path: Option<&str>) -> usize {
        let op = if text { Opcode::Text } else { Opcode::Binary };
        let bytes = frame::encode_shared(op, payload);
        // The slot list is a reused buffer: a broadcast allocates only its frame.
        let mut slots = std::mem::take(&mut self.broadcast_slots);
        slots.clear();
        slots.extend(self.ws_index.values().copied());
        let mut sent = 0;
        for slot in &slots {
            let on_path = match (path, self.conns.get(*slot)) {
                (Some(p), Some(Some(c))) => c.ws.as_ref().is_some_and(|w| &*w.path == p),
                _ => true,
            };
            if on_path && self.ws_queue(*slot, &bytes) {
                sent += 1;
            }
        }
        self.broadcast_slots = slots;
        sent
    }

    /// Starts closing a connection with `code` and `reason`; false when it is not open.
    pub fn ws_close(&mut self, id: u64, code: u16, reason: &str) -> bool {
        let Some(&slot) = self.ws_index.get(&id) else {
            return false;
        };
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return false;
        };
        let Some(ws) = c.ws.as_mut() else {
            return false;
        };
        if ws.closing {
            return false;
        }
        ws.close(code, reason, &self.ws_config, &mut self.ws_contexts);
        let out = std::mem::take(&mut ws.output);
        c.queue(Rc::from(out));
        c.deadline = Instant::now() + CLOSE_GRACE;
        arm(&mut self.timers, c, slot);
        self.flush(slot);
        true
    }

    /// Ids of the open WebSocket connections.
    pub fn ws_ids(&self) -> Vec<u64> {
        self.ws_index.keys().copied().collect()
    }
}
