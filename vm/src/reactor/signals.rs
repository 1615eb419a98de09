//! SIGINT/SIGTERM and SIGHUP → a byte on a self-pipe the reactor polls, and a flag saying
//! which: shutdown and reload are ordinary events.

use mio::net::UnixStream;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The read end of the signal pipe.
pub struct Signals {
    /// Registered with the poll.
    pub rx: UnixStream,
    stop: Arc<AtomicBool>,
    reload: Arc<AtomicBool>,
}

/// What the signals since the last look ask for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Received {
    /// SIGINT or SIGTERM: shut down.
    pub stop: bool,
    /// SIGHUP: reload the TLS certificate and key.
    pub reload: bool,
}

impl Signals {
    /// Installs the handlers (SIGPIPE is ignored by the Rust runtime already).
    pub fn install() -> std::io::Result<Signals> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let (rx, tx) = std::os::unix::net::UnixStream::pair()?;
        rx.set_nonblocking(true)?;
        tx.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let reload = Arc::new(AtomicBool::new(false));
        for sig in [SIGINT, SIGTERM] {
            signal_hook::flag::register(sig, stop.clone())?;
        }
        signal_hook::flag::register(SIGHUP, reload.clone())?;
        // Flags first, then the wake-up byte: the reader sees the flag when the byte arrives.
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal_hook::low_level::pipe::register(sig, tx.try_clone()?)?;
        }
        Ok(Signals {
            rx: UnixStream::from_std(rx),
            stop,
            reload,
        })
    }

    /// Drains the pipe and reports which signals arrived.
    pub fn drain(&mut self) -> Received {
        let mut buf = [0u8; 64];
        while let Ok(n) = self.rx.read(&mut buf) {
            if n == 0 {
                break;
            }
        }
        Received {
            stop: self.stop.swap(false, Ordering::SeqCst),
            reload: self.reload.swap(false, Ordering::SeqCst),
        }
    }
}
