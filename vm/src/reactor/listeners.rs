//! Listening sockets: the app's HTTP and TCP socket servers and the operator's admin listener;
//! accepting (with the connection limit, and a pause on `EMFILE` instead of a spin).

use super::timers::TimerKey;
use super::{Reactor, LISTENER_BASE, MAX_LISTENERS};
use mio::net::TcpListener;
use mio::{Interest, Token};
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What a listener serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// The app's HTTP (and WebSocket) server.
    Http,
    /// The app's raw TCP socket server.
    Tcp,
    /// The admin endpoints (`--admin`): open until the process exits, drain included.
    Admin,
}

impl Reactor {
    /// Starts an HTTP listener on `addr`; returns the bound address (port 0 picks a free one).
    pub fn listen(&mut self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        self.listen_kind(addr, Kind::Http)
    }

    /// Starts the admin listener (`/metrics`, `/healthz`, `/readyz`); its requests arrive as
    /// [`super::Inbound::Admin`].
    pub fn listen_admin(&mut self, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        self.listen_kind(addr, Kind::Admin)
    }

    pub(super) fn listen_kind(
        &mut self,
        addr: SocketAddr,
        kind: Kind,
    ) -> std::io::Result<SocketAddr> {
        if self.listeners.len() >= MAX_LISTENERS {
            return Err(std::io::Error::other("too many listeners"));
        }
        let mut l = bind_with_backlog(addr)?;
        let token = Token(LISTENER_BASE + self.listeners.len());
        self.poll
            .registry()
            .register(&mut l, token, Interest::READABLE)?;
        let local = l.local_addr()?;
        self.listeners.push(Some((l, kind)));
        Ok(local)
    }

    /// Stops accepting (shutdown, `Stop the <http-server>`): the app's listeners close,
    /// connections keep running; the admin listener stays.
    pub fn close_listeners(&mut self) {
        for l in self.listeners.iter_mut() {
            if matches!(l, Some((_, Kind::Http | Kind::Tcp))) {
                if let Some((mut l, _)) = l.take() {
                    let _ = self.poll.registry().deregister(&mut l);
                }
            }
        }
    }

    /// True while one of the app's listeners is open.
    pub fn is_listening(&self) -> bool {
        self.listeners
            .iter()
            .any(|l| matches!(l, Some((_, Kind::Http | Kind::Tcp))))
    }

    /// True while the admin listener is open.
    pub fn admin_listening(&self) -> bool {
        self.listeners
            .iter()
            .any(|l| matches!(l, Some((_, Kind::Admin))))
    }

    pub(super) fn accept(&mut self, index: usize) {
        if self.accept_paused {
            return;
        }
        loop {
            let Some(Some((listener, kind))) = self.listeners.get(index) else {
                return;
            };
            let kind = *kind;
            match listener.accept() {
                Ok((stream, peer)) => {
                    // The operator's admin listener stays reachable when the app is full.
                    if self.open >= self.limits.max_connections && kind != Kind::Admin {
                        crate::telemetry::metrics::METRICS.refused.inc();
                        drop(stream); // over the limit: accepted and closed at once
                        continue;
                    }
                    match kind {
                        Kind::Http => self.add_conn(stream, peer, false),
                        Kind::Admin => self.add_conn(stream, peer, true),
                        Kind::Tcp => self.add_tcp(stream, peer),
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    // EMFILE/ENFILE and friends: pause accepting briefly instead of spinning.
                    if e.raw_os_error() != Some(103) {
                        self.accept_paused = true;
                        self.timers.add(
                            Instant::now() + Duration::from_millis(100),
                            TimerKey::Accept,
                        );
                    }
                    return;
                }
            }
        }
    }
}

/// Pending connections the kernel queues for a listener before the loop accepts them (capped by
/// `net.core.somaxconn`). mio and std use 128, which a burst of a thousand connects on a busy
/// machine overflows (clients then wait for SYN retries, seconds); tokio uses 1,024 too.
pub(super) const LISTEN_BACKLOG: i32 = 1024;

/// A non-blocking listener on `addr` (SO_REUSEADDR, as mio sets it) with [`LISTEN_BACKLOG`].
fn bind_with_backlog(addr: SocketAddr) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(LISTEN_BACKLOG)?;
    Ok(TcpListener::from_std(socket.into()))
}
