//! File-system work off the event loop: one worker thread runs the blocking calls of the file
//! actions (open, read, write + fsync + rename, readdir, stat, copy) in the order they were
//! asked for and wakes the reactor (a mio `Waker`) when one is done, so the loop never waits on
//! a disk. The same design as libuv's file operations, with one thread: file actions of one
//! process stay in order, and nothing runs a thread per request.

pub mod detached;
pub mod monitor;
pub mod ops;
pub mod paths;
pub mod streams;

pub use ops::{Job, Output};
pub use paths::Entry;

use std::sync::mpsc;

/// How many file jobs may wait for the worker at once; one more fails its statement with an
/// error instead of queueing without bound.
pub const MAX_QUEUED_JOBS: usize = 1024;

/// A finished job: the tag it was submitted with and its result.
pub struct Done {
    /// The submitter's tag (the driver maps it back to the waiting fiber).
    pub tag: u64,
    /// What the job produced, or the error text.
    pub result: Result<Output, String>,
}

/// The worker thread and its two queues.
pub struct Worker {
    jobs: mpsc::SyncSender<(u64, Job)>,
    done: mpsc::Receiver<Done>,
    in_flight: usize,
}

impl Worker {
    /// Starts the worker; `wake` is called (from the worker thread) after each finished job.
    pub fn start(wake: Box<dyn Fn() + Send>) -> std::io::Result<Worker> {
        let (jobs, rx) = mpsc::sync_channel::<(u64, Job)>(MAX_QUEUED_JOBS);
        let (tx, done) = mpsc::channel();
        std::thread::Builder::new()
            .name("arovm-files".into())
            .spawn(move || {
                let mut streams = streams::Streams::default();
                for (tag, job) in rx {
                    let result = ops::run(job, &mut streams);
                    if tx.send(Done { tag, result }).is_err() {
                        return;
                    }
                    wake();
                }
            })?;
        Ok(Worker {
            jobs,
            done,
            in_flight: 0,
        })
    }

    /// Queues a job; an error when [`MAX_QUEUED_JOBS`] are already waiting.
    pub fn submit(&mut self, tag: u64, job: Job) -> Result<(), String> {
        match self.jobs.try_send((tag, job)) {
            Ok(()) => {
                self.in_flight += 1;
                Ok(())
            }
            Err(mpsc::TrySendError::Full(_)) => Err(format!(
                "Too many file operations in flight (at most {MAX_QUEUED_JOBS})"
            )),
            Err(mpsc::TrySendError::Disconnected(_)) => {
                Err("The file worker has stopped".to_string())
            }
        }
    }

    /// The jobs finished since the last call.
    pub fn finished(&mut self) -> Vec<Done> {
        let done: Vec<Done> = self.done.try_iter().collect();
        self.in_flight -= done.len();
        done
    }

    /// True while some job has not finished.
    pub fn busy(&self) -> bool {
        self.in_flight > 0
    }
}
