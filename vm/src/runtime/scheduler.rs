//! The scheduler: a slab of fibers, a ready queue, a timer heap. It steps fibers with a fuel
//! budget, parks them on timers and on their children, and never blocks while work is ready. With
//! no network reactor (console apps) the only wait is for the next timer.

use super::error::RuntimeError;
use super::fiber::{Fiber, FiberId};
use super::host::HostState;
use super::interp::{run, Ctx, Halt};
use crate::loader::Loaded;
use arovm_stdlib::action::{IoRequest, Response};
use arovm_stdlib::value::Value;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Instructions a fiber may run before others get a turn.
const FUEL: u32 = 10_000;

/// How a root fiber ended.
pub enum Ending {
    /// Normally, with its Return response if any.
    Done(Option<Response>, Vec<(String, Value)>),
    /// With a runtime error.
    Failed(RuntimeError),
}

/// Runs fibers to completion.
pub struct Scheduler<'p> {
    prog: &'p Loaded,
    /// Published variables.
    pub globals: HashMap<(u32, Rc<str>), Value>,
    /// Console, repositories, events.
    pub host: HostState,
    fibers: Vec<Option<Fiber>>,
    free: Vec<FiberId>,
    ready: VecDeque<FiberId>,
    timers: BinaryHeap<Reverse<(Instant, FiberId)>>,
    keepalive: Vec<FiberId>,
    endings: HashMap<FiberId, Ending>,
}

impl<'p> Scheduler<'p> {
    /// A scheduler for `prog`.
    pub fn new(prog: &'p Loaded) -> Self {
        Scheduler {
            prog,
            globals: HashMap::new(),
            host: HostState::default(),
            fibers: Vec::new(),
            free: Vec::new(),
            ready: VecDeque::new(),
            timers: BinaryHeap::new(),
            keepalive: Vec::new(),
            endings: HashMap::new(),
        }
    }

    /// Starts a fiber for feature set `fs`; `root` fibers keep their ending for [`Self::ending`].
    pub fn spawn(&mut self, fs: usize, env: Vec<(Rc<str>, Value)>) -> FiberId {
        let n = self.prog.program.feature_sets[fs].slots.len();
        let fiber = Fiber::new(fs, n, env);
        let id = match self.free.pop() {
            Some(id) => {
                self.fibers[id] = Some(fiber);
                id
            }
            None => {
                self.fibers.push(Some(fiber));
                self.fibers.len() - 1
            }
        };
        self.ready.push_back(id);
        id
    }

    /// The ending of a finished root fiber.
    pub fn ending(&mut self, id: FiberId) -> Option<Ending> {
        self.endings.remove(&id)
    }

    /// Runs until no fiber is ready, sleeping, or kept alive.
    pub fn run_until_idle(&mut self, roots: &[FiberId]) {
        loop {
            if let Some(id) = self.ready.pop_front() {
                self.step(id, roots);
                continue;
            }
            if let Some(Reverse((at, _))) = self.timers.peek().copied() {
                let now = Instant::now();
                if at > now {
                    std::thread::sleep(at - now);
                }
                while let Some(Reverse((at, id))) = self.timers.peek().copied() {
                    if at > Instant::now() {
                        break;
                    }
                    self.timers.pop();
                    self.ready.push_back(id);
                }
                continue;
            }
            if !self.keepalive.is_empty() {
                // Nothing can wake the app any more (no event sources): keepalive returns.
                let ids: Vec<_> = self.keepalive.drain(..).collect();
                self.ready.extend(ids);
                continue;
            }
            return;
        }
    }

    fn step(&mut self, id: FiberId, roots: &[FiberId]) {
        let Some(mut fiber) = self.fibers[id].take() else {
            return;
        };
        let halt = {
            let mut cx = Ctx {
                prog: self.prog,
                globals: &mut self.globals,
                host: &mut self.host,
            };
            run(&mut cx, &mut fiber, FUEL)
        };
        match halt {
            Halt::OutOfFuel => {
                self.fibers[id] = Some(fiber);
                self.ready.push_back(id);
            }
            Halt::Suspended(IoRequest::Sleep(ms)) => {
                self.fibers[id] = Some(fiber);
                let at = Instant::now() + Duration::from_millis(ms);
                self.timers.push(Reverse((at, id)));
            }
            Halt::Suspended(IoRequest::Keepalive) => {
                self.fibers[id] = Some(fiber);
                self.keepalive.push(id);
            }
            Halt::WaitChildren(children) => {
                fiber.waiting_for = children.len();
                self.fibers[id] = Some(fiber);
                let mut ids = Vec::new();
                for (fs, payload) in children {
                    let env = vec![(Rc::from("event"), payload)];
                    let child = self.spawn(fs, env);
                    self.ready.pop_back();
                    if let Some(c) = self.fibers[child].as_mut() {
                        c.parent = Some(id);
                    }
                    ids.push(child);
                }
                for c in ids.into_iter().rev() {
                    self.ready.push_front(c);
                }
            }
            Halt::Finished(resp) => self.finish(id, fiber, Ending::Done(resp, Vec::new()), roots),
            Halt::Failed(e) => {
                if !roots.contains(&id) {
                    let name = self.prog.s(self.prog.program.feature_sets[fiber.fs].name);
                    eprintln!("[{name}] Handler error: {}", e.render());
                }
                self.finish(id, fiber, Ending::Failed(e), roots)
            }
        }
    }

    fn finish(&mut self, id: FiberId, fiber: Fiber, ending: Ending, roots: &[FiberId]) {
        if let Some(p) = fiber.parent {
            if let Some(parent) = self.fibers[p].as_mut() {
                parent.waiting_for = parent.waiting_for.saturating_sub(1);
                if parent.waiting_for == 0 {
                    self.ready.push_front(p);
                }
            }
        }
        if roots.contains(&id) {
            let ending = match ending {
                Ending::Done(r, _) => {
                    let fs = &self.prog.program.feature_sets[fiber.fs];
                    let vars = fs
                        .slots
                        .iter()
                        .zip(fiber.slots)
                        .filter_map(|(&s, v)| {
                            let v = v?;
                            (s != arovm_compiler::bytecode::NONE)
                                .then(|| (self.prog.s(s).to_string(), v))
                        })
                        .collect();
                    Ending::Done(r, vars)
                }
                e => e,
            };
            self.endings.insert(id, ending);
        }
        self.free.push(id);
    }
}
