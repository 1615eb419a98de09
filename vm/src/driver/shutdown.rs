//! The drain after SIGINT/SIGTERM: in-flight requests finish (new ones get 503), WebSockets get
//! Close 1001, socket connections close, and every Disconnect handler runs once, within the drain
//! timeout; whatever is left then is closed and its Disconnect still runs.

use super::Driver;
use crate::net::http::response::Response;
use crate::reactor::limits::Limits;
use crate::reactor::Inbound;
use std::time::{Duration, Instant};

impl Driver<'_> {
    /// After shutdown: in-flight requests finish, WebSockets get Close 1001, socket connections
    /// close, and every Disconnect handler runs once, all bounded by the drain timeout; what is
    /// still open then is closed (its Disconnect still runs, with a short grace).
    pub(super) fn drain(&mut self) {
        let deadline = Instant::now() + Limits::from_env().drain_timeout;
        if let Some(r) = self.reactor.as_mut() {
            r.begin_shutdown();
        }
        self.drain_until(deadline);
        if let Some(r) = self.reactor.as_mut() {
            r.close_all();
        }
        self.drain_until(Instant::now() + Duration::from_secs(1));
        // Flush what was answered.
        if let Some(r) = self.reactor.as_mut() {
            let _ = r.poll(Some(Duration::from_millis(0)));
        }
    }

    /// Runs fibers and I/O until nothing is in flight or `deadline`; new requests get 503.
    fn drain_until(&mut self, deadline: Instant) {
        loop {
            self.sched.run_ready();
            self.perform_io();
            self.answer_finished();
            let open = self
                .reactor
                .as_ref()
                .is_some_and(|r| r.open_connections() > 0);
            let busy = !self.pending.is_empty() || self.ws.busy() || open;
            if !busy || Instant::now() >= deadline {
                return;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let wait = if self.sched.has_ready() || self.sched.has_yielded() {
                Duration::ZERO
            } else {
                left.min(Duration::from_millis(50))
            };
            let events = match self.reactor.as_mut() {
                Some(r) => r.poll(Some(wait)),
                None => Vec::new(),
            };
            for ev in events {
                match ev {
                    Inbound::Request { conn, .. } => {
                        if let Some(r) = self.reactor.as_mut() {
                            r.respond(conn, &Response::error(503, "shutting down"), false, false);
                        }
                    }
                    Inbound::Shutdown => {}
                    other => self.contained_inbound(other),
                }
            }
            self.sched.fire_timers();
        }
    }
}
