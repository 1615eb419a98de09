//! The reactor's HTTP half: reading a connection (paused at the input, output and back-pressure
//! bounds), parsing its requests with one incremental parser per connection, the head and body
//! timeouts, protocol errors, and writing responses in order.

use super::conn::{Conn, Phase};
use super::{arm, fault_injection, ConnId, Inbound, Reactor};
use crate::net::http::errors::HttpError;
use crate::net::http::request::Progress;
use crate::net::http::response::Response;
use std::io::ErrorKind;
use std::rc::Rc;

impl Reactor {
    /// Bytes of unparsed input a connection may buffer before reading pauses.
    pub(super) fn input_cap(&self) -> usize {
        self.limits.max_head + self.limits.max_body + 16 * 1024
    }

    /// Reads what is available and parses requests while the connection is ready for one.
    /// Reading pauses while the input buffer is full or, for HTTP, while the connection's queued
    /// output is over `max_output` (a client that pipelines without reading); whatever drains
    /// the bound calls this again.
    pub(super) fn pump(&mut self, slot: usize) {
        let cap = self.input_cap();
        let max_output = self.limits.max_output;
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        let http = matches!(c.phase, Phase::Reading | Phase::Busy | Phase::Closing);
        let gated =
            |c: &Conn| c.inbuf.len() >= cap || (http && c.out_bytes > max_output) || c.app_paused;
        let mut closed = false;
        if c.inbuf.capacity() == 0 && c.phase == Phase::WebSocket {
            if let Some(buf) = self.spare_bufs.pop() {
                c.inbuf = buf;
            }
        }
        while !gated(c) && !c.eof {
            match c.read_some(&mut self.read_buf) {
                Ok(0) => c.eof = true,
                Ok(n) => {
                    c.count_in(n);
                    c.inbuf.extend_from_slice(&self.read_buf[..n]);
                    // A short read drained the socket: the next byte that arrives raises a new
                    // readiness edge, so reading again now would only cost an EAGAIN. After a
                    // hang-up, read on to see the end of the stream.
                    if n < self.read_buf.len() && !c.hangup {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    if e.kind() == ErrorKind::InvalidData && c.tls.is_some() {
                        // A failed TLS handshake or a broken record: worth a line, as nginx does.
                        c.close_cause = Some("protocol_error");
                        super::access::tls_failed(c, &e);
                    }
                    closed = true;
                    break;
                }
            }
        }
        c.read_paused = !c.eof && gated(c);
        if closed {
            return self.close(slot);
        }
        if c.tls_pending() && !c.want_write {
            // A handshake answer the socket did not take at once: wait for WRITABLE.
            self.flush(slot);
            if !matches!(self.conns.get(slot), Some(Some(_))) {
                return;
            }
        }
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        if c.phase == Phase::Tcp || c.phase == Phase::WebSocket {
            let full = c.inbuf.len() >= cap;
            if c.phase == Phase::Tcp {
                self.tcp_input(slot);
            } else {
                self.ws_input(slot);
            }
            // Edge-triggered: input left in the kernel after a full buffer needs another pass,
            // in the next loop turn, after the driver has seen (and maybe paused for) these
            // events.
            if full && !self.again.contains(&slot) {
                self.again.push(slot);
            }
            return;
        }
        self.parse_next(slot);
    }

    pub(super) fn parse_next(&mut self, slot: usize) {
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        if c.phase != Phase::Reading {
            return;
        }
        if c.out_bytes > self.limits.max_output {
            return; // answers are not being read: parse no more until they drain
        }
        if c.inbuf.is_empty() && c.parser.is_idle() {
            if c.eof && c.out.is_empty() {
                self.close(slot);
            } else if c.read_paused {
                self.pump(slot);
            }
            return;
        }
        let parsed = c.parser.advance(&c.inbuf, &self.limits);
        match parsed {
            Ok((used, progress)) => {
                c.inbuf.drain(..used);
                match progress {
                    Progress::Complete(req)
                        if !c.admin && crate::net::ws::upgrade::wants_upgrade(&req) =>
                    {
                        c.head_started = false;
                        c.in_body = false;
                        self.upgrade(slot, req);
                    }
                    Progress::Complete(req) => {
                        fault_injection(&req, "reactor");
                        c.phase = Phase::Busy;
                        c.sent_continue = false;
                        c.head_started = false;
                        c.in_body = false;
                        if c.inbuf.capacity() > 64 * 1024 && c.inbuf.len() < 1024 {
                            c.inbuf.shrink_to_fit();
                        }
                        let conn = ConnId {
                            slot,
                            generation: c.generation,
                        };
                        if c.admin {
                            let path = req.path().to_string();
                            let method = req.method().to_string();
                            let keep_alive = req.keep_alive();
                            self.inbound.push(Inbound::Admin {
                                conn,
                                method,
                                path,
                                keep_alive,
                            });
                            return;
                        }
                        let port = c.peer.port();
                        let Some(id) = self.begin_request(slot, &req) else {
                            return;
                        };
                        let peer = std::net::SocketAddr::new(self.client_of(slot), port);
                        self.inbound.push(Inbound::Request {
                            conn,
                            req,
                            peer,
                            id,
                        });
                    }
                    Progress::Partial {
                        in_body,
                        expects_continue,
                    } => {
                        // The head timeout runs from a head's first byte, the body timeout
                        // from its end.
                        if in_body && !c.in_body {
                            c.in_body = true;
                            c.deadline = self.now + self.limits.body_timeout;
                            arm(&mut self.timers, c, slot);
                        } else if !in_body && !c.head_started && !c.inbuf.is_empty() {
                            c.head_started = true;
                            c.deadline = self.now + self.limits.head_timeout;
                            arm(&mut self.timers, c, slot);
                        }
                        if expects_continue && !c.sent_continue {
                            c.sent_continue = true;
                            c.queue(Rc::from(&b"HTTP/1.1 100 Continue\r\n\r\n"[..]));
                            self.flush(slot);
                        } else if c.eof && c.out.is_empty() {
                            self.close(slot);
                        } else if c.eof {
                            c.phase = Phase::Closing; // closes once the last response is written
                        } else if c.read_paused {
                            self.pump(slot);
                        }
                    }
                }
            }
            Err(e) => self.fail(slot, e),
        }
    }

    /// Answers a protocol error and closes after writing.
    pub(super) fn fail(&mut self, slot: usize, e: HttpError) {
        let date = self.date();
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        let status = e.status();
        if c.current.is_none() {
            // Refused before a request was complete: it still gets an id to quote.
            c.current = Some(Box::new(super::conn::Current {
                method: "-".into(),
                path: "-".into(),
                id: self.ids.next(),
                at: self.now,
                route: Some(super::access::unparsed()),
            }));
        }
        let id = c.current.as_ref().map(|r| r.id.clone());
        let bytes =
            Response::error(status, e.message()).encode_for(false, false, &date, id.as_deref());
        c.inbuf.clear();
        c.phase = Phase::Closing;
        c.close_cause = Some(if status == 408 {
            "timeout"
        } else {
            "protocol_error"
        });
        let n = bytes.len();
        c.queue(Rc::from(bytes));
        self.request_done(slot, status, n);
        self.flush(slot);
    }

    /// Sends the response to a request; the connection then reads the next request or closes.
    pub fn respond(&mut self, conn: ConnId, resp: &Response, head_only: bool, keep_alive: bool) {
        let date = self.date();
        let Some(Some(c)) = self.conns.get_mut(conn.slot) else {
            return;
        };
        if c.generation != conn.generation || c.phase != Phase::Busy {
            return; // the client went away meanwhile
        }
        // After the client's FIN, requests it pipelined before it are still answered; the last
        // one says `Connection: close`.
        let keep = keep_alive && !self.draining && !(c.eof && c.inbuf.is_empty());
        let id = c.current.as_ref().map(|r| r.id.clone());
        let bytes = resp.encode_for(head_only, keep, &date, id.as_deref());
        c.phase = if keep { Phase::Reading } else { Phase::Closing };
        let sent = c.send(&bytes);
        self.request_done(conn.slot, resp.status, bytes.len());
        let Some(Some(c)) = self.conns.get_mut(conn.slot) else {
            return;
        };
        if sent.is_err() {
            return self.close(conn.slot);
        }
        // Keep-alive: the idle timeout; closing: the time the peer gets to read the response.
        c.deadline = self.now + self.limits.idle_timeout;
        arm(&mut self.timers, c, conn.slot);
        // Input that arrived while the request was busy is already buffered (the socket was read
        // to a short read); only a paused read can have left bytes in the kernel.
        let paused = c.read_paused;
        self.flush(conn.slot);
        let slot = conn.slot;
        let panicked = if keep && paused {
            self.contain(|r| r.pump(slot))
        } else if keep {
            self.contain(|r| r.parse_next(slot))
        } else {
            false
        };
        if panicked {
            self.contain(|r| r.close(slot));
        }
    }
}
