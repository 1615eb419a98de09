//! The file monitor (ARO-0008 §5): inotify on watched directories (not recursive, as the
//! reference on Linux), its descriptor registered in the mio reactor: no watcher thread, no
//! polling. Each change is created, modified (a writer closed the file) or deleted, with the
//! file's absolute path; a move is deleted (old name) and created (new name). Directories and arovm's own temporary files
//! (of atomic writes) are not reported.

use inotify::{EventMask, Inotify, WatchDescriptor, WatchMask};
use std::io::ErrorKind;
use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;

/// What happened to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Created, or moved in.
    Created,
    /// Written.
    Modified,
    /// Removed, or moved out.
    Deleted,
}

impl Change {
    /// The word a handler's name contains to receive this change.
    pub fn word(self) -> &'static str {
        match self {
            Change::Created => "created",
            Change::Modified => "modified",
            Change::Deleted => "deleted",
        }
    }
}

/// An inotify instance and the directories it watches.
pub struct Monitor {
    inotify: Inotify,
    dirs: Vec<(WatchDescriptor, PathBuf)>,
    buf: Vec<u8>,
}

/// A temporary file of an atomic `Write` (`.name.arovm-PID-N.tmp`).
fn is_own_temp(name: &str) -> bool {
    name.starts_with('.') && name.contains(".arovm-") && name.ends_with(".tmp")
}

impl Monitor {
    /// A monitor watching nothing yet.
    pub fn new() -> Result<Monitor, String> {
        Ok(Monitor {
            inotify: Inotify::init().map_err(|e| format!("Cannot start the file monitor: {e}"))?,
            dirs: Vec::new(),
            buf: vec![0; 16 * 1024],
        })
    }

    /// The descriptor to register in the reactor.
    pub fn fd(&self) -> RawFd {
        self.inotify.as_raw_fd()
    }

    /// Watches a directory (again: nothing changes); it must exist.
    pub fn watch(&mut self, path: &str) -> Result<(), String> {
        let abs = std::path::absolute(path).map_err(|e| format!("{path}: {e}"))?;
        if !abs.is_dir() {
            return Err(format!("Path not found: {path} is not a directory"));
        }
        // Writes are reported when the writer closes the file (one `modified` per write, not
        // one per `write` call, and the same however the kernel batches the events).
        let mask = WatchMask::CREATE
            | WatchMask::CLOSE_WRITE
            | WatchMask::DELETE
            | WatchMask::MOVED_FROM
            | WatchMask::MOVED_TO;
        let wd = self
            .inotify
            .watches()
            .add(&abs, mask)
            .map_err(|e| format!("Cannot watch {path}: {e}"))?;
        if !self.dirs.iter().any(|(w, _)| *w == wd) {
            self.dirs.push((wd, abs));
        }
        Ok(())
    }

    /// The changes since the last call (the descriptor is read until it would block).
    pub fn changes(&mut self) -> Vec<(Change, String)> {
        let mut out: Vec<(Change, String)> = Vec::new();
        loop {
            let events = match self.inotify.read_events(&mut self.buf) {
                Ok(events) => events,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => break,
            };
            let mut any = false;
            for ev in events {
                any = true;
                let (Some(name), false) = (ev.name, ev.mask.contains(EventMask::ISDIR)) else {
                    continue;
                };
                let name = name.to_string_lossy();
                if is_own_temp(&name) {
                    continue;
                }
                let Some((_, dir)) = self.dirs.iter().find(|(w, _)| *w == ev.wd) else {
                    continue;
                };
                let change = if ev.mask.intersects(EventMask::CREATE | EventMask::MOVED_TO) {
                    Change::Created
                } else if ev
                    .mask
                    .intersects(EventMask::DELETE | EventMask::MOVED_FROM)
                {
                    Change::Deleted
                } else {
                    Change::Modified
                };
                let path = dir.join(&*name).display().to_string();
                if change == Change::Modified
                    && out.last() == Some(&(Change::Modified, path.clone()))
                {
                    continue;
                }
                out.push((change, path));
            }
            if !any {
                break;
            }
        }
        out
    }
}
