//! The reactor's TCP-socket half: a socket server (`Start the <socket-server>`), outbound
//! `Connect`, one data event per read (no framing), Send/Broadcast of shared bytes with the same
//! slow-consumer bound as WebSockets, and Close.

use super::conn::{Conn, Phase};
use super::listeners::Kind;
use super::{arm, Inbound, Reactor, CONN_BASE};
use mio::net::TcpStream;
use mio::{Interest, Token};
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

impl Reactor {
    /// Starts a TCP socket server on `addr`; returns the bound address.
    pub fn listen_tcp(&mut self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        self.listen_kind(addr, Kind::Tcp)
    }

    /// Stops the socket servers and closes their connections (each reports its close).
    pub fn stop_tcp(&mut self) -> bool {
        let mut any = false;
        for l in self.listeners.iter_mut() {
            if matches!(l, Some((_, Kind::Tcp))) {
                if let Some((mut lst, _)) = l.take() {
                    let _ = self.poll.registry().deregister(&mut lst);
                    any = true;
                }
            }
        }
        let slots: Vec<usize> = self.stream_index.values().copied().collect();
        for slot in slots {
            let outgoing = matches!(self.conns.get(slot), Some(Some(c)) if c.outgoing);
            if !outgoing {
                if let Some(Some(c)) = self.conns.get_mut(slot) {
                    c.tcp_reason = Some("server stopped".into());
                }
                self.close(slot);
            }
        }
        any
    }

    /// True while a socket server listens.
    pub fn tcp_listening(&self) -> bool {
        self.listeners
            .iter()
            .any(|l| matches!(l, Some((_, Kind::Tcp))))
    }

    /// Registers a new connection in `phase`, counted under `meters` (its kind).
    pub(super) fn register_stream(
        &mut self,
        mut stream: TcpStream,
        peer: SocketAddr,
        phase: Phase,
        interest: Interest,
        meters: &'static crate::telemetry::metrics::KindMeters,
    ) -> Option<usize> {
        let _ = stream.set_nodelay(true);
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.conns.push(None);
                self.conns.len() - 1
            }
        };
        if self
            .poll
            .registry()
            .register(&mut stream, Token(CONN_BASE + slot), interest)
            .is_err()
        {
            self.free.push(slot);
            return None;
        }
        let generation = self.next_generation;
        self.next_generation += 1;
        let mut c = Conn::new(stream, peer, generation);
        c.phase = phase;
        c.meters = meters;
        c.meters.open.inc();
        c.meters.opened.inc();
        self.conns[slot] = Some(c);
        self.open += 1;
        Some(slot)
    }

    /// An accepted socket-server connection.
    pub(super) fn add_tcp(&mut self, stream: TcpStream, peer: SocketAddr) {
        if let Some(slot) = self.register_stream(
            stream,
            peer,
            Phase::Tcp,
            Interest::READABLE,
            &crate::telemetry::metrics::NET.tcp,
        ) {
            let id = self.conns[slot].as_ref().map_or(0, |c| c.generation);
            self.stream_index.insert(id, slot);
            self.inbound.push(Inbound::TcpOpen {
                id,
                remote: peer.to_string(),
            });
            self.pump(slot);
        }
    }

    /// Starts an outbound connection; the result arrives as [`Inbound::TcpConnected`].
    pub fn tcp_connect(&mut self, tag: u64, addr: SocketAddr) -> Result<(), String> {
        let stream = TcpStream::connect(addr).map_err(|e| format!("Connection failed: {e}"))?;
        let slot = self
            .register_stream(
                stream,
                addr,
                Phase::Connecting,
                Interest::READABLE | Interest::WRITABLE,
                &crate::telemetry::metrics::NET.tcp,
            )
            .ok_or_else(|| "Connection failed: cannot register the socket".to_string())?;
        if let Some(Some(c)) = self.conns.get_mut(slot) {
            c.outgoing = true;
        }
        self.connecting.insert(slot, tag);
        Ok(())
    }

    /// An outbound connect became writable (or failed).
    pub(super) fn tcp_connect_ready(&mut self, slot: usize) {
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        let err = match c.stream.take_error() {
            Ok(Some(e)) | Err(e) => Some(e.to_string()),
            Ok(None) => match c.stream.peer_addr() {
                Ok(_) => None,
                Err(e) if e.kind() == std::io::ErrorKind::NotConnected => return, // still connecting
                Err(e) => Some(e.to_string()),
            },
        };
        let Some(tag) = self.connecting.remove(&slot) else {
            return;
        };
        match err {
            Some(e) => {
                let peer = c.peer;
                let _ = self.poll.registry().deregister(&mut c.stream);
                self.conns[slot] = None;
                self.free.push(slot);
                self.open -= 1;
                self.inbound.push(Inbound::TcpConnected {
                    tag,
                    result: Err(format!(
                        "Connection failed: connect() to {peer} failed: {e}"
                    )),
                });
            }
            None => {
                c.phase = Phase::Tcp;
                let (id, peer) = (c.generation, c.peer);
                let _ = self.poll.registry().reregister(
                    &mut c.stream,
                    Token(CONN_BASE + slot),
                    Interest::READABLE,
                );
                self.stream_index.insert(id, slot);
                self.inbound.push(Inbound::TcpConnected {
                    tag,
                    result: Ok(id),
                });
                self.inbound.push(Inbound::TcpOpen {
                    id,
                    remote: peer.to_string(),
                });
            }
        }
    }

    /// Reports what was read as one data event.
    pub(super) fn tcp_input(&mut self, slot: usize) {
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        if !c.inbuf.is_empty() {
            c.message_in();
            let bytes = std::mem::take(&mut c.inbuf);
            self.inbound.push(Inbound::TcpData {
                id: c.generation,
                bytes,
            });
        }
        if c.eof {
            self.close(slot);
        }
    }

    fn tcp_queue(&mut self, slot: usize, bytes: &Rc<[u8]>) -> bool {
        let max = self.limits.max_output;
        if matches!(self.conns.get(slot), Some(Some(c)) if c.dirty && c.out_bytes + bytes.len() > max)
        {
            // Over the bound with this turn's writes still deferred: write them now, then judge.
            self.flush(slot);
        }
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return false;
        };
        if c.phase != Phase::Tcp {
            return false;
        }
        if c.out_bytes + bytes.len() > max {
            // Slow consumer: dropped, its disconnect runs; nobody else waits.
            c.tcp_reason = Some("slow consumer".into());
            c.close_cause = Some("slow_consumer");
            self.close(slot);
            return false;
        }
        c.message_out();
        c.queue(bytes.clone());
        self.mark_dirty(slot);
        true
    }

    /// True when an outbound (`Connect`) connection cannot take `len` more bytes now: the
    /// sending fiber waits instead of the connection being dropped.
    pub fn tcp_would_block(&self, id: u64, len: usize) -> bool {
        let Some(&slot) = self.stream_index.get(&id) else {
            return false;
        };
        matches!(self.conns.get(slot), Some(Some(c))
            if c.outgoing && c.out_bytes > 0 && c.out_bytes + len > self.limits.max_output)
    }

    /// Sends bytes to one TCP connection; false when it is not open.
    pub fn tcp_send(&mut self, id: u64, bytes: &[u8]) -> bool {
        let Some(&slot) = self.stream_index.get(&id) else {
            return false;
        };
        self.tcp_queue(slot, &Rc::from(bytes))
    }

    /// Sends the same bytes to every socket-server connection; returns how many got them.
    pub fn tcp_broadcast(&mut self, bytes: &[u8]) -> usize {
        let shared: Rc<[u8]> = Rc::from(bytes);
        let slots: Vec<usize> = self.stream_index.values().copied().collect();
        let mut sent = 0;
        for &slot in &slots {
            let incoming = matches!(self.conns.get(slot), Some(Some(c)) if !c.outgoing);
            if incoming && self.tcp_queue(slot, &shared) {
                sent += 1;
            }
        }
        sent
    }

    /// Closes one TCP connection; false when it is not open.
    pub fn tcp_close(&mut self, id: u64) -> bool {
        let Some(&slot) = self.stream_index.get(&id) else {
            return false;
        };
        if let Some(Some(c)) = self.conns.get_mut(slot) {
            c.tcp_reason = Some("closed by the server".into());
            // What was sent before the Close still goes out: the socket closes once its queue
            // drains (or after a grace period if the peer stops reading).
            c.phase = Phase::Closing;
            c.deadline = self.now + Duration::from_secs(5);
            arm(&mut self.timers, c, slot);
        }
        self.flush(slot);
        true
    }

    /// True when `id` is an open TCP connection.
    pub fn is_tcp(&self, id: u64) -> bool {
        self.stream_index.contains_key(&id)
    }
}
