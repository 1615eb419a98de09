//! File actions in the driver: a [`FileOp`] becomes a job for the file worker (values encoded
//! here, on the loop), and a finished job resumes its fiber with the value the worker built
//! (`files::detached`). The worker wakes the reactor.

use super::Driver;
use crate::files::{Done, Job, Output, Worker};
use crate::runtime::fiber::FiberId;
use arovm_stdlib::action::FileOp;
use arovm_stdlib::formats::{self, Format, WriteContext};
use arovm_stdlib::value::stream::LineStream;
use arovm_stdlib::value::Value;
use std::rc::Rc;

/// The largest file `Read` takes whole (`AROVM_MAX_FILE_BYTES`, default 256 MiB).
pub(super) const DEFAULT_MAX_FILE_BYTES: u64 = 256 << 20;
/// The most entries one `List` returns (`AROVM_MAX_LIST_ENTRIES`, default 1,000,000).
pub(super) const DEFAULT_MAX_LIST_ENTRIES: u64 = 1_000_000;

/// A bound from the environment, read once per process (not on every file action).
fn env_limit(cell: &'static std::sync::OnceLock<u64>, name: &str, default: u64) -> u64 {
    *cell.get_or_init(|| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    })
}

static MAX_FILE_BYTES: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
static MAX_LIST_ENTRIES: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

/// A large raw text or bytes is copied for its `Write` this many bytes per loop turn (a
/// millisecond or two of memcpy and page faults), not all at once.
pub(super) const COPY_SLICE: usize = 4 << 20;

/// A large raw `Write` whose bytes are being copied, a slice per loop turn.
pub(super) struct SlicedCopy {
    fid: FiberId,
    path: String,
    append: bool,
    src: Value,
    bytes: Vec<u8>,
}

/// The bytes a raw `Write` of `v` writes as they are (a string's or bytes'), if it is one.
fn raw_bytes(v: &Value) -> Option<&[u8]> {
    match v {
        Value::Str(s) => Some(s.as_bytes()),
        Value::Bytes(b) => Some(b),
        _ => None,
    }
}

/// How a finished job becomes the fiber's value.
pub(super) enum Reply {
    /// The value the worker built (or null).
    Plain,
    /// A stream opened: its handle.
    Stream(u64, String),
}

impl Driver<'_> {
    /// Starts a file operation for fiber `fid`; an error fails its statement at once.
    pub(super) fn file_op(&mut self, fid: FiberId, op: FileOp) -> Result<(), String> {
        let (job, reply) = match op {
            FileOp::Read {
                path,
                format,
                options,
            } => (
                Job::Read {
                    path,
                    limit: env_limit(
                        &MAX_FILE_BYTES,
                        "AROVM_MAX_FILE_BYTES",
                        DEFAULT_MAX_FILE_BYTES,
                    ),
                    format,
                    options,
                },
                Reply::Plain,
            ),
            FileOp::Write {
                path,
                value,
                format,
                options,
                name,
                append,
            } => {
                let raw_len = raw_bytes(&value).map(<[u8]>::len);
                if format == Format::Raw && raw_len.is_some_and(|n| n > COPY_SLICE) {
                    // Copied a slice per loop turn (`copy_slices`), then written.
                    self.copies.push(SlicedCopy {
                        fid,
                        path,
                        append,
                        bytes: Vec::with_capacity(raw_len.unwrap_or(0)),
                        src: value,
                    });
                    return Ok(());
                }
                let now = self.sched.host.now_iso();
                let cx = WriteContext {
                    name: &name,
                    now: &now,
                    options,
                };
                let bytes = formats::encode(format, &value, &cx)
                    .map_err(|e| format!("Cannot write {path} as {}: {e}", format.name()))?;
                (
                    Job::Write {
                        path,
                        bytes,
                        append,
                    },
                    Reply::Plain,
                )
            }
            FileOp::StreamOpen { path } => {
                let id = self.next_tag;
                self.next_tag += 1;
                (
                    Job::StreamOpen {
                        id,
                        path: path.clone(),
                    },
                    Reply::Stream(id, path),
                )
            }
            FileOp::StreamNext { id } => (Job::StreamNext(id), Reply::Plain),
            FileOp::Path(op) => (
                Job::Path(
                    op,
                    env_limit(
                        &MAX_LIST_ENTRIES,
                        "AROVM_MAX_LIST_ENTRIES",
                        DEFAULT_MAX_LIST_ENTRIES,
                    ) as usize,
                ),
                Reply::Plain,
            ),
        };
        self.submit_job(fid, job, reply)
    }

    /// Hands a job to the file worker (started on first use) for fiber `fid`.
    fn submit_job(&mut self, fid: FiberId, job: Job, reply: Reply) -> Result<(), String> {
        if self.files.is_none() {
            let waker = self
                .ensure_reactor()?
                .waker(crate::reactor::sources::FILE_WORKER)?;
            let worker = Worker::start(Box::new(move || {
                let _ = waker.wake();
            }))
            .map_err(|e| format!("Cannot start the file worker: {e}"))?;
            self.files = Some(worker);
        }
        self.close_dropped_streams();
        let tag = self.next_tag;
        self.next_tag += 1;
        let worker = self.files.as_mut().ok_or("no file worker")?;
        worker.submit(tag, job)?;
        self.file_waiters.insert(tag, (fid, reply));
        Ok(())
    }

    /// Copies the next slice of every large raw `Write` in progress; a finished copy goes to
    /// the worker. True while some copy is left (the loop must come back without waiting).
    pub(super) fn copy_slices(&mut self) -> bool {
        let mut i = 0;
        while i < self.copies.len() {
            let c = &mut self.copies[i];
            let src = raw_bytes(&c.src).unwrap_or_default();
            let end = (c.bytes.len() + COPY_SLICE).min(src.len());
            c.bytes.extend_from_slice(&src[c.bytes.len()..end]);
            if c.bytes.len() < src.len() {
                i += 1;
                continue;
            }
            let c = self.copies.swap_remove(i);
            let job = Job::Write {
                path: c.path,
                bytes: c.bytes,
                append: c.append,
            };
            if let Err(e) = self.submit_job(c.fid, job, Reply::Plain) {
                self.sched.resume(c.fid, Err(e));
            }
        }
        !self.copies.is_empty()
    }

    /// Closes the files of the streams whose last handle is gone (a loop left early, a fiber
    /// that ended); the worker bounds how many may be open.
    fn close_dropped_streams(&mut self) {
        let dropped = arovm_stdlib::value::stream::take_dropped();
        if let Some(worker) = self.files.as_mut() {
            for id in dropped {
                let tag = self.next_tag;
                self.next_tag += 1;
                // No waiter: the result is dropped. A full queue leaves the file to the bound.
                let _ = worker.submit(tag, Job::StreamClose(id));
            }
        }
    }

    /// Resumes the fibers whose file jobs finished.
    pub(super) fn files_done(&mut self) {
        let done = self
            .files
            .as_mut()
            .map(Worker::finished)
            .unwrap_or_default();
        for Done { tag, result } in done {
            let Some((fid, reply)) = self.file_waiters.remove(&tag) else {
                continue;
            };
            let value = result.map(|out| match (out, reply) {
                (Output::Value(v), _) => v.into_value(),
                (Output::Done, Reply::Stream(id, path)) => {
                    Value::Stream(Rc::new(LineStream { id, path }))
                }
                (Output::Done, Reply::Plain) => Value::Null,
            });
            self.sched.resume(fid, value);
        }
        self.close_dropped_streams();
    }

    /// True while a file job runs (the loop must wait for its waker).
    pub(super) fn files_busy(&self) -> bool {
        self.files.as_ref().is_some_and(Worker::busy)
    }
}

impl Driver<'_> {
    /// `Start the <file-monitor> with "./dir"`: inotify in the reactor; the monitor keeps the
    /// app alive like a listener.
    pub(super) fn start_monitor(&mut self, path: &str) -> Result<Value, String> {
        if self.monitor.is_none() {
            let m = crate::files::monitor::Monitor::new()?;
            self.ensure_reactor()?
                .register_fd(m.fd(), crate::reactor::sources::FILE_MONITOR)?;
            self.monitor = Some(m);
        }
        if let Some(m) = self.monitor.as_mut() {
            m.watch(path)?;
        }
        self.sched
            .host
            .print(&format!("File Monitor started on {path}"));
        Ok(Value::Null)
    }

    /// `Stop the <file-monitor>`.
    pub(super) fn stop_monitor(&mut self) -> Result<Value, String> {
        if self.monitor.take().is_some() {
            self.sched.host.print("File Monitor stopped");
        }
        Ok(Value::Null)
    }

    /// Runs the `File Event Handler`s whose name holds the change's word (`created`,
    /// `modified`, `deleted`), each with `event {path}` and `path`.
    pub(super) fn file_events(&mut self) {
        let Some(m) = self.monitor.as_mut() else {
            return;
        };
        for (change, path) in m.changes() {
            let word = change.word();
            for (i, fs) in self.prog.program.feature_sets.iter().enumerate() {
                let activity = self.prog.s(fs.activity);
                let name = self.prog.s(fs.name).to_ascii_lowercase();
                if !activity.contains("File Event Handler") || !name.contains(word) {
                    continue;
                }
                let p = Value::str(&path);
                let event = Value::object(vec![(Rc::from("path"), p.clone())]);
                self.sched
                    .spawn(i, vec![(Rc::from("event"), event), (Rc::from("path"), p)]);
            }
        }
    }
}
