//! A min-heap of deadlines with lazy cancellation: each entry carries the generation it was set
//! for, and stale entries are skipped when they surface.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// What a deadline is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimerKey {
    /// A connection's head/idle timeout: (slot, generation).
    Conn(usize, u64),
    /// Retry accepting after `EMFILE`.
    Accept,
    /// An outbound request's timeout: (slot, generation).
    Client(usize, u64),
}

/// Deadlines ordered by time.
#[derive(Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, TimerKey)>>,
}

impl Timers {
    /// Adds a deadline.
    pub fn add(&mut self, at: Instant, key: TimerKey) {
        self.heap.push(Reverse((at, key)));
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Removes and returns every deadline at or before `now`, with its time.
    pub fn expired(&mut self, now: Instant) -> Vec<(Instant, TimerKey)> {
        let mut out = Vec::new();
        while let Some(Reverse((at, key))) = self.heap.peek().copied() {
            if at > now {
                break;
            }
            self.heap.pop();
            out.push((at, key));
        }
        out
    }
}
