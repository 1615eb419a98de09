//! Readiness sources the driver owns besides sockets: the file worker's waker and the file
//! monitor's inotify descriptor. Each has a number `n` and is reported as `Inbound::Ready(n)`.

use super::{Reactor, SOURCE_BASE};
use mio::{Interest, Token};
use std::os::fd::RawFd;

/// The file worker's waker.
pub const FILE_WORKER: usize = 0;
/// The file monitor's inotify descriptor.
pub const FILE_MONITOR: usize = 1;

impl Reactor {
    /// A waker for source `n` (called from another thread).
    pub fn waker(&self, n: usize) -> Result<mio::Waker, String> {
        mio::Waker::new(self.poll.registry(), Token(SOURCE_BASE + n))
            .map_err(|e| format!("Cannot wake the loop: {e}"))
    }

    /// Registers a readable descriptor as source `n` (edge-triggered: read it until it would
    /// block).
    pub fn register_fd(&self, fd: RawFd, n: usize) -> Result<(), String> {
        self.poll
            .registry()
            .register(
                &mut mio::unix::SourceFd(&fd),
                Token(SOURCE_BASE + n),
                Interest::READABLE,
            )
            .map_err(|e| format!("Cannot watch descriptor {fd}: {e}"))
    }
}
