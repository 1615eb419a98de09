//! Line streams (`Stream the <lines> from "./big.log"`, the Guide's streaming chapter): the
//! value a `for each` pulls lines from, a chunk at a time, without the file ever being in
//! memory. The VM owns the open file; this is only its handle, and dropping the last handle
//! queues the file's closing (the VM drains [`take_dropped`]).

use std::cell::RefCell;

thread_local! {
    static DROPPED: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// A stream of a file's lines, opened by the VM.
#[derive(Debug)]
pub struct LineStream {
    /// The VM's number for the open file.
    pub id: u64,
    /// The path it was opened with (shown when the stream is displayed).
    pub path: String,
}

impl Drop for LineStream {
    fn drop(&mut self) {
        DROPPED.with(|d| d.borrow_mut().push(self.id));
    }
}

/// The ids of the streams whose last handle was dropped since the last call (their files can
/// be closed).
pub fn take_dropped() -> Vec<u64> {
    DROPPED.with(|d| std::mem::take(&mut *d.borrow_mut()))
}

/// How a stream shows where it is used as a value (`Log`, a response): it is never read there.
pub fn describe(s: &LineStream) -> String {
    format!("stream of lines from {}", s.path)
}

/// The error for a use of a stream other than `for each` (the reference's rule: a stream is
/// consumed once, line by line).
pub fn only_iterable(what: &str) -> String {
    format!(
        "Cannot {what} a stream: a stream is read once, line by line, with 'for each'. \
         Use Read instead of Stream to have the whole file"
    )
}
