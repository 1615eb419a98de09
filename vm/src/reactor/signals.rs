//! SIGINT/SIGTERM → a byte on a self-pipe the reactor polls: shutdown is an ordinary event.

use mio::net::UnixStream;
use std::io::Read;

/// The read end of the signal pipe.
pub struct Signals {
    /// Registered with the poll.
    pub rx: UnixStream,
}

impl Signals {
    /// Installs the handlers (SIGPIPE is ignored by the Rust runtime already).
    pub fn install() -> std::io::Result<Signals> {
        let (rx, tx) = std::os::unix::net::UnixStream::pair()?;
        rx.set_nonblocking(true)?;
        tx.set_nonblocking(true)?;
        let tx2 = tx.try_clone()?;
        signal_hook::low_level::pipe::register(signal_hook::consts::SIGINT, tx)?;
        signal_hook::low_level::pipe::register(signal_hook::consts::SIGTERM, tx2)?;
        Ok(Signals {
            rx: UnixStream::from_std(rx),
        })
    }

    /// Drains the pipe; true when a signal arrived.
    pub fn drain(&mut self) -> bool {
        let mut buf = [0u8; 64];
        let mut got = false;
        while let Ok(n) = self.rx.read(&mut buf) {
            if n == 0 {
                break;
            }
            got = true;
        }
        got
    }
}
