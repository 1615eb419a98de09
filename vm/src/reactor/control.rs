//! What the driver asks of all connections at once or of one by id: shutdown (listeners close,
//! WebSockets get 1001, sockets close), closing everything when the drain runs out, and pausing
//! a connection's reading while its events wait for handlers.

use super::conn::Phase;
use super::Reactor;

impl Reactor {
    /// Shutdown begins: listeners close, idle HTTP connections close, WebSockets get Close 1001,
    /// socket connections are closed once their output is written; responses from now on say
    /// `Connection: close`. Every WebSocket/TCP close still reports its Disconnect once.
    pub fn begin_shutdown(&mut self) {
        self.draining = true;
        self.close_listeners();
        for slot in 0..self.conns.len() {
            let Some(Some(c)) = self.conns.get_mut(slot) else {
                continue;
            };
            match c.phase {
                Phase::WebSocket => self.ws_going_away(slot),
                Phase::Tcp => {
                    c.tcp_reason = Some("server shutting down".into());
                    c.phase = Phase::Closing;
                    self.flush(slot);
                }
                Phase::Reading if c.inbuf.is_empty() && c.parser.is_idle() => self.close(slot),
                _ => {}
            }
        }
    }

    /// Output bytes queued over all connections, and on the connection with the most.
    pub fn queued_output(&self) -> (usize, usize) {
        self.conns
            .iter()
            .flatten()
            .map(|c| c.out_bytes)
            .fold((0, 0), |(sum, max), b| (sum + b, max.max(b)))
    }

    /// Closes every connection now (the drain ran out): each WebSocket/TCP one reports its
    /// Disconnect once.
    pub fn close_all(&mut self) {
        for slot in 0..self.conns.len() {
            if let Some(Some(c)) = self.conns.get_mut(slot) {
                if let Some(ws) = c.ws.as_mut() {
                    ws.close_reason
                        .get_or_insert((1001, "server shutting down".into()));
                }
                self.close(slot);
            }
        }
    }

    /// Stops (`true`) or resumes reading a WebSocket/TCP connection: the driver's back-pressure
    /// while too many of its events wait for handlers.
    pub fn pause_reading(&mut self, id: u64, paused: bool) {
        let slot = self
            .ws_index
            .get(&id)
            .or_else(|| self.stream_index.get(&id))
            .copied();
        let Some(slot) = slot else { return };
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        let was = c.app_paused;
        c.app_paused = paused;
        if was && !paused {
            // Input may wait in the kernel with no readiness edge left to announce it.
            if self.contain(|r| r.pump(slot)) {
                self.contain(|r| r.close(slot));
            }
        }
    }
}
