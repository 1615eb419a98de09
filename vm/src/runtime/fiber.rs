//! A fiber: one feature-set execution as plain data (pc, operand stack, slots, loop iterators,
//! framework variables) plus a bumpalo scratch arena. It can be suspended and resumed at any action.

use arovm_stdlib::value::stream::LineStream;
use arovm_stdlib::value::Value;
use bumpalo::Bump;
use std::rc::Rc;

/// Index of a fiber in the scheduler's slab.
pub type FiberId = usize;

/// A running loop's position.
pub enum LoopIter {
    /// `for each`: the items and the next index.
    List(Rc<Vec<Value>>, usize),
    /// `for <i> from a to b`: the next value, the last one, and the next index (no list is
    /// built, however long the range).
    Range {
        /// Next value.
        next: i64,
        /// Last value (inclusive).
        last: i64,
        /// Next index.
        index: usize,
    },
    /// `for each` over a line stream (`Stream`): the current chunk of lines, where the next
    /// one is in it, the next index, and whether the file has ended. An exhausted chunk that
    /// is not the last asks the file worker for the next (the fiber suspends meanwhile).
    Stream {
        /// The stream (kept open while the loop runs).
        stream: Rc<LineStream>,
        /// The current chunk.
        lines: Rc<Vec<Value>>,
        /// The next line in the chunk.
        next: usize,
        /// Next index.
        index: usize,
        /// The file has ended.
        ended: bool,
    },
}

/// The slot a resumed fiber's value goes to when it waited for a stream's next chunk: the
/// innermost loop takes it.
pub const REFILL: u32 = u32::MAX - 1;

impl LoopIter {
    /// The next item and its index, if any.
    pub fn advance(&mut self) -> Option<(Value, usize)> {
        match self {
            LoopIter::List(items, i) => {
                let v = items.get(*i)?.clone();
                *i += 1;
                Some((v, *i - 1))
            }
            LoopIter::Range { next, last, index } => {
                if *next > *last {
                    return None;
                }
                let v = *next;
                // `last` may be i64::MAX: step past it without overflowing.
                match next.checked_add(1) {
                    Some(n) => *next = n,
                    None => *last = i64::MIN,
                }
                *index += 1;
                Some((Value::Int(v), *index - 1))
            }
            LoopIter::Stream {
                lines, next, index, ..
            } => {
                let v = lines.get(*next)?.clone();
                *next += 1;
                *index += 1;
                Some((v, *index - 1))
            }
        }
    }

    /// The stream whose next chunk this loop needs before it can advance, if any.
    pub fn wants_chunk(&self) -> Option<u64> {
        match self {
            LoopIter::Stream {
                stream,
                lines,
                next,
                ended: false,
                ..
            } if *next >= lines.len() => Some(stream.id),
            _ => None,
        }
    }

    /// Takes a stream's next chunk (a list of lines; empty at the end of the file).
    pub fn refill(&mut self, chunk: Value) {
        if let LoopIter::Stream {
            lines, next, ended, ..
        } = self
        {
            *lines = match &chunk {
                Value::List(l) => l.clone(),
                _ => Rc::new(Vec::new()),
            };
            *next = 0;
            *ended = lines.is_empty();
        }
    }
}

/// One running or suspended feature set.
pub struct Fiber {
    /// Feature set index.
    pub fs: usize,
    /// Next instruction.
    pub pc: usize,
    /// Operand stack.
    pub stack: Vec<Value>,
    /// Local variables by slot (`None` = unbound).
    pub slots: Vec<Option<Value>>,
    /// Active `for each` and range loops, innermost last.
    pub iters: Vec<LoopIter>,
    /// Framework-provided variables (`event`, `shutdown`, ...), looked up by name.
    pub env: Vec<(Rc<str>, Value)>,
    /// On resume, bind this slot to the suspended action's value.
    pub pending_bind: Option<(u32, Value)>,
    /// On resume, fail the suspended statement with this reason (an I/O error).
    pub pending_error: Option<String>,
    /// The fiber that waits for this one (an emitter waiting for its handlers).
    pub parent: Option<FiberId>,
    /// Children still running (handlers this fiber emitted).
    pub waiting_for: usize,
    /// Scratch memory for building strings; reset after each use, freed with the fiber.
    pub arena: Bump,
    /// Reused buffer for building strings (`++`).
    pub scratch: String,
    /// Output of the template this fiber renders (`Some` only for template fibers).
    pub template: Option<String>,
    /// A template fiber started by `Include`: its output is appended to the parent's template.
    pub include: bool,
    /// Runs for its parent (an action call, a test's `When`): what the parent gets.
    pub call_result: Option<super::calls::CallResult>,
    /// How many emitting fibers wait above this one (bounded: see `RuntimeLimits`).
    pub depth: u32,
    /// Time this fiber has spent running (its CPU time: the loop runs one thread).
    pub cpu: std::time::Duration,
    /// Subject to the per-handler CPU budget (every fiber but Application-Start/End).
    pub budgeted: bool,
    /// Strings rendered from templates for this fiber: only these are served as HTML.
    pub rendered: Vec<Rc<str>>,
    /// The request or connection this fiber works for (`("request_id", id)`), for log lines.
    pub trace: Option<(&'static str, Rc<str>)>,
    /// When the run started (its duration in the metrics, ARO-0044).
    pub started: std::time::Instant,
    /// Its ending is read only for a failure (an event handler's): no variables are collected
    /// and `Return` builds no response.
    pub quiet: bool,
}

impl Fiber {
    /// Its stack and slot vectors, emptied, for the next fiber (see [`Fiber::reusing`]).
    pub fn into_vectors(self) -> (Vec<Value>, Vec<Option<Value>>) {
        let (mut stack, mut slots) = (self.stack, self.slots);
        stack.clear();
        slots.clear();
        (stack, slots)
    }

    /// A fresh fiber at the start of feature set `fs` with `nslots` locals.
    pub fn new(fs: usize, nslots: usize, env: Vec<(Rc<str>, Value)>) -> Fiber {
        Fiber::reusing(fs, nslots, env, (Vec::with_capacity(8), Vec::new()))
    }

    /// A fresh fiber that reuses an ended fiber's (emptied) stack and slot vectors.
    pub fn reusing(
        fs: usize,
        nslots: usize,
        env: Vec<(Rc<str>, Value)>,
        (stack, mut slots): (Vec<Value>, Vec<Option<Value>>),
    ) -> Fiber {
        slots.resize(nslots, None);
        Fiber {
            fs,
            pc: 0,
            stack,
            slots,
            iters: Vec::new(),
            env,
            pending_bind: None,
            pending_error: None,
            parent: None,
            waiting_for: 0,
            arena: Bump::new(),
            scratch: String::new(),
            template: None,
            include: false,
            call_result: None,
            depth: 0,
            cpu: std::time::Duration::ZERO,
            budgeted: true,
            rendered: Vec::new(),
            trace: None,
            started: std::time::Instant::now(),
            quiet: false,
        }
    }
}
