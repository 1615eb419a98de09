//! The scheduler: a slab of fibers, a ready queue, a timer heap. It steps fibers with a fuel
//! budget, parks them on timers, on their children, and on I/O the driver performs, and never
//! blocks. `run_until_idle` is the console driver: with nothing ready it sleeps to the next timer.

use super::calls::{action_result, named_result, CallResult};
use super::error::RuntimeError;
use super::fiber::{Fiber, FiberId};
use super::host::HostState;
use super::interp::{run, Ctx, Halt};
use super::metrics::Metrics;
use crate::idmap::{IdMap, IdSet};
use crate::loader::Loaded;
use arovm_stdlib::action::{IoRequest, Response};
use arovm_stdlib::value::graveyard::Graveyard;
use arovm_stdlib::value::Value;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Instructions a fiber may run before others get a turn.
const FUEL: u32 = 10_000;

/// How a tracked fiber ended.
pub enum Ending {
    /// Normally, with its Return response if any, its bound variables, and the strings it
    /// rendered from templates.
    Done(Option<Response>, Vec<(Rc<str>, Value)>, Vec<Rc<str>>),
    /// With a runtime error.
    Failed(RuntimeError),
}

/// Most ended fibers' vectors kept for reuse.
const SPARE: usize = 64;

/// Runs fibers; owns their state.
pub struct Scheduler<'p> {
    prog: &'p Loaded,
    /// Published variables by (business activity, name).
    pub globals: IdMap<(u32, u32), Value>,
    /// Console, repositories, events.
    pub host: HostState,
    /// Every ended run per feature set (ARO-0044): `<metrics>`, and exporters.
    pub metrics: Metrics,
    fibers: Vec<Option<Fiber>>,
    free: Vec<FiberId>,
    /// Stack and slot vectors of ended fibers, reused by the next ones (at most [`SPARE`]).
    spare: Vec<(Vec<Value>, Vec<Option<Value>>)>,
    ready: VecDeque<FiberId>,
    /// Fibers that ran out of fuel: they run again after the reactor had a look at I/O and
    /// signals (a handler that never ends must not stop the loop).
    yielded: Vec<FiberId>,
    timers: BinaryHeap<Reverse<(Instant, FiberId)>>,
    keepalive: Vec<FiberId>,
    io: Vec<(FiberId, IoRequest)>,
    tracked: IdSet<FiberId>,
    endings: IdMap<FiberId, Ending>,
    finished: Vec<FiberId>,
    /// Lists and objects of ended fibers, freed [`SWEEP_BUDGET`] at a time per loop turn.
    graveyard: Graveyard,
}

/// How many values the graveyard frees per loop turn (a millisecond or so of `free`).
const SWEEP_BUDGET: usize = 4096;

impl<'p> Scheduler<'p> {
    /// A scheduler for `prog`.
    pub fn new(prog: &'p Loaded) -> Self {
        let mut s = Scheduler {
            prog,
            globals: IdMap::default(),
            host: HostState::observing(
                prog.program
                    .feature_sets
                    .iter()
                    .filter_map(|f| prog.s(f.activity).strip_suffix(" Observer"))
                    .map(str::to_string)
                    .collect(),
            ),
            metrics: Metrics::new(prog),
            fibers: Vec::new(),
            free: Vec::new(),
            spare: Vec::new(),
            ready: VecDeque::new(),
            yielded: Vec::new(),
            timers: BinaryHeap::new(),
            keepalive: Vec::new(),
            io: Vec::new(),
            tracked: IdSet::default(),
            endings: IdMap::default(),
            finished: Vec::new(),
            graveyard: Graveyard::default(),
        };
        s.seed_repositories();
        s
    }

    /// Fills repositories from the app's `.store` files (ARO-0073) before anything runs.
    fn seed_repositories(&mut self) {
        use arovm_stdlib::action::Host;
        let prefix = arovm_compiler::store_files::PREFIX;
        for r in &self.prog.program.resources {
            let Some(repo) = r.path.strip_prefix(prefix) else {
                continue;
            };
            let text = String::from_utf8_lossy(&r.bytes);
            let Some(seed) = arovm_stdlib::value::from_json(&text) else {
                continue;
            };
            let Value::List(rows) = &seed else { continue };
            for row in rows.iter() {
                let id = matches!(row, Value::Object(o) if o.get("id").is_none())
                    .then(|| self.host.new_id());
                self.host
                    .repos
                    .store(repo, row.clone(), || id.unwrap_or_default());
            }
        }
    }

    /// Starts a fiber for feature set `fs` with framework variables `env`.
    pub fn spawn(&mut self, fs: usize, env: Vec<(Rc<str>, Value)>) -> FiberId {
        let n = self.prog.program.feature_sets[fs].slots.len();
        let fiber = match self.spare.pop() {
            Some(vectors) => Fiber::reusing(fs, n, env, vectors),
            None => Fiber::new(fs, n, env),
        };
        if let Some(p) = self.host.profile.as_mut() {
            p.fiber_started(fs);
        }
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

    /// Starts a fiber whose ending is kept for [`Self::ending`] / [`Self::take_finished`].
    pub fn spawn_tracked(&mut self, fs: usize, env: Vec<(Rc<str>, Value)>) -> FiberId {
        let id = self.spawn(fs, env);
        self.tracked.insert(id);
        id
    }

    /// Tags fiber `id` (and the handlers it emits to) with a request or connection id, which
    /// its log lines carry.
    pub fn set_trace(&mut self, id: FiberId, trace: (&'static str, Rc<str>)) {
        if let Some(Some(f)) = self.fibers.get_mut(id) {
            f.trace = Some(trace);
        }
    }

    /// The ending of a finished tracked fiber.
    pub fn ending(&mut self, id: FiberId) -> Option<Ending> {
        let e = self.endings.remove(&id);
        if e.is_some() {
            self.finished.retain(|&f| f != id);
            self.free.push(id); // the id may be reused only once its ending was taken
        }
        e
    }

    /// Tracked fibers that finished since the last call, with their endings; their ids stay
    /// reserved until [`Self::release`].
    pub fn take_finished(&mut self) -> Vec<(FiberId, Ending)> {
        let ids = std::mem::take(&mut self.finished);
        let out: Vec<(FiberId, Ending)> = ids
            .into_iter()
            .filter_map(|id| self.endings.remove(&id).map(|e| (id, e)))
            .collect();
        out
    }

    /// Lets the ids of finished tracked fibers be reused. The driver calls it after it has handled
    /// their endings: reusing an id earlier would confuse the bookkeeping keyed by it.
    pub fn release(&mut self, ids: impl IntoIterator<Item = FiberId>) {
        self.free.extend(ids);
    }

    /// I/O requests fibers are suspended on, for the driver to perform.
    pub fn take_io(&mut self) -> Vec<(FiberId, IoRequest)> {
        std::mem::take(&mut self.io)
    }

    /// Resumes a fiber suspended on I/O with its result (an error fails its statement).
    pub fn resume(&mut self, id: FiberId, result: Result<Value, String>) {
        if let Some(f) = self.fibers.get_mut(id).and_then(Option::as_mut) {
            match result {
                Ok(v) => {
                    if let Some((_, pending)) = f.pending_bind.as_mut() {
                        *pending = v;
                    }
                }
                Err(e) => {
                    f.pending_bind = None;
                    f.pending_error = Some(e);
                }
            }
            self.ready.push_back(id);
        }
    }

    /// Resumes every fiber waiting in `Keepalive` (shutdown, or nothing left that could wake them).
    pub fn release_keepalive(&mut self) {
        let ids: Vec<_> = self.keepalive.drain(..).collect();
        self.ready.extend(ids);
    }

    /// True while some fiber waits in `Keepalive`.
    pub fn in_keepalive(&self) -> bool {
        !self.keepalive.is_empty()
    }

    /// Fibers that can run now and fibers that wait (I/O, timers, children, Keepalive).
    pub fn fiber_counts(&self) -> (usize, usize) {
        let live = self.fibers.iter().filter(|f| f.is_some()).count();
        let ready = self.ready.len().min(live);
        (ready, live - ready)
    }

    /// True when a fiber can run now.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// The earliest Sleep deadline.
    pub fn next_timer(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse((at, _))| *at)
    }

    /// Makes fibers whose Sleep ended ready.
    pub fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(Reverse((at, id))) = self.timers.peek().copied() {
            if at > now {
                break;
            }
            self.timers.pop();
            self.ready.push_back(id);
        }
    }

    /// Runs ready fibers until none is ready (never sleeps). Fibers that ran out of fuel wait
    /// for the next call: the driver polls I/O in between.
    pub fn run_ready(&mut self) {
        self.ready.extend(self.yielded.drain(..));
        while let Some(id) = self.ready.pop_front() {
            self.step(id);
        }
    }

    /// True when fibers ran out of fuel and wait for the next [`Self::run_ready`].
    pub fn has_yielded(&self) -> bool {
        !self.yielded.is_empty()
    }

    /// Exempts a fiber (Application-Start/End) from the per-handler CPU budget.
    pub fn unbudgeted(&mut self, id: FiberId) {
        if let Some(f) = self.fibers.get_mut(id).and_then(Option::as_mut) {
            f.budgeted = false;
        }
    }

    /// Console driving: runs until nothing is ready, sleeping, or kept alive.
    pub fn run_until_idle(&mut self) {
        loop {
            self.run_ready();
            if self.has_yielded() {
                continue;
            }
            if let Some(at) = self.next_timer() {
                let now = Instant::now();
                if at > now {
                    std::thread::sleep(at - now);
                }
                self.fire_timers();
                continue;
            }
            if !self.io.is_empty() {
                // No reactor in console mode: I/O requests fail their statement.
                for (id, req) in self.take_io() {
                    self.resume(id, Err(format!("{req:?} needs the network reactor")));
                }
                continue;
            }
            if !self.keepalive.is_empty() {
                self.release_keepalive();
                continue;
            }
            return;
        }
    }

    fn step(&mut self, id: FiberId) {
        let Some(mut fiber) = self.fibers[id].take() else {
            return;
        };
        let halt = {
            let mut cx = Ctx {
                prog: self.prog,
                globals: &mut self.globals,
                host: &mut self.host,
                metrics: &self.metrics,
            };
            // A bug in an action must not take the server down: a panic fails this fiber only
            // (an HTTP request then gets a 500).
            let started = Instant::now();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run(&mut cx, &mut fiber, FUEL)
            }));
            let spent = started.elapsed();
            fiber.cpu += spent;
            if let Some(p) = cx.host.profile.as_mut() {
                p.slice(fiber.fs, spent);
            }
            r.unwrap_or_else(|p| {
                let msg = p
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panic".into());
                Halt::Failed(RuntimeError::Expr(format!("Internal error: {msg}")))
            })
        };
        let budget = self.host.limits.handler_cpu.filter(|_| fiber.budgeted);
        let halt = match (halt, budget) {
            (Halt::OutOfFuel, Some(b)) if fiber.cpu > b => {
                Halt::Failed(RuntimeError::Expr(format!(
                    "Handler exceeded its CPU budget of {} ms (AROVM_HANDLER_CPU_MS)",
                    b.as_millis()
                )))
            }
            (h, _) => h,
        };
        match halt {
            Halt::OutOfFuel => {
                self.fibers[id] = Some(fiber);
                self.yielded.push(id);
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
            Halt::Suspended(IoRequest::Render { path, with, append }) => {
                self.render(id, fiber, &path, with, append)
            }
            Halt::Suspended(req) => {
                self.fibers[id] = Some(fiber);
                self.io.push((id, req));
            }
            Halt::WaitChildren(children) => {
                fiber.waiting_for = children.len();
                let depth = fiber.depth + 1;
                let trace = fiber.trace.clone();
                self.fibers[id] = Some(fiber);
                let mut ids = Vec::new();
                for (fs, payload) in children {
                    let env = handler_env(payload);
                    let child = self.spawn(fs, env);
                    self.ready.pop_back();
                    if let Some(c) = self.fibers[child].as_mut() {
                        c.parent = Some(id);
                        c.depth = depth;
                        c.trace = trace.clone();
                    }
                    ids.push(child);
                }
                for c in ids.into_iter().rev() {
                    self.ready.push_front(c);
                }
            }
            Halt::Call(target, env, result) => self.call(id, fiber, target, env, result),
            Halt::Finished(resp) => {
                self.finish(id, fiber, Ending::Done(resp, Vec::new(), Vec::new()))
            }
            Halt::Failed(e) => {
                // A template's or an action's caller reports the failure as its own.
                if !self.tracked.contains(&id)
                    && fiber.template.is_none()
                    && fiber.call_result.is_none()
                {
                    e.log_failure(self.prog, fiber.fs, &[]);
                }
                self.finish(id, fiber, Ending::Failed(e))
            }
        }
    }

    /// Starts the template fiber for `path` with the caller's variables; the caller waits.
    fn render(
        &mut self,
        id: FiberId,
        mut fiber: Fiber,
        path: &str,
        with: Option<Value>,
        append: bool,
    ) {
        let name = format!("template:{path}");
        let Some(fs) = self.prog.feature_set(&name, None) else {
            fiber.pending_bind = None;
            let key = format!("{}{path}", arovm_compiler::TEMPLATE_ERROR_PREFIX);
            let broken = self.prog.program.resources.iter().find(|r| r.path == key);
            fiber.pending_error = Some(match broken {
                Some(r) => format!(
                    "Template ./templates/{path} has an error: {}",
                    String::from_utf8_lossy(&r.bytes)
                ),
                None => format!("Template not found: ./templates/{path}"),
            });
            self.fibers[id] = Some(fiber);
            self.ready.push_back(id);
            return;
        };
        // The template sees the caller's variables (locals, then framework ones) and `with`.
        let code = &self.prog.program.feature_sets[fiber.fs];
        let mut env: Vec<(Rc<str>, Value)> = Vec::new();
        if let Some(Value::Object(o)) = &with {
            env.extend(o.entries.iter().cloned());
        }
        for (&sym, v) in code.slots.iter().zip(&fiber.slots) {
            if let (Some(v), true) = (v, sym != arovm_compiler::bytecode::NONE) {
                env.push((self.prog.strs[sym as usize].clone(), v.clone()));
            }
        }
        env.extend(fiber.env.iter().cloned());
        fiber.waiting_for = 1;
        self.fibers[id] = Some(fiber);
        let child = self.spawn(fs, env);
        self.ready.pop_back();
        if let Some(c) = self.fibers[child].as_mut() {
            c.parent = Some(id);
            c.budgeted = false; // a template is part of its caller's run
            c.template = Some(String::new());
            c.include = append;
        }
        self.ready.push_front(child);
    }

    /// Publishes a domain event from outside any fiber (`--replay`): its handlers are started
    /// and run with the other ready fibers.
    pub fn publish(&mut self, event: &str, payload: Value) {
        use arovm_stdlib::action::Host;
        self.host.emit(event, payload);
        for (fs, p) in self.host.take_spawns(self.prog) {
            self.spawn(fs, handler_env(p));
        }
    }

    /// Starts feature set `target` with `env` for the fiber `id` (a user-defined action, a
    /// test's `When`); the caller waits and gets its result (or its failure).
    fn call(
        &mut self,
        id: FiberId,
        mut fiber: Fiber,
        target: usize,
        env: Vec<(Rc<str>, Value)>,
        result: CallResult,
    ) {
        if fiber.depth >= self.host.limits.max_emit_depth {
            // An action that calls itself without end would recurse until memory ends.
            fiber.pending_bind = None;
            fiber.pending_error = Some(format!(
                "Call depth limit reached: {} calls deep (AROVM_MAX_EMIT_DEPTH); does the action call itself without end?",
                fiber.depth
            ));
            self.fibers[id] = Some(fiber);
            self.ready.push_front(id);
            return;
        }
        fiber.waiting_for = 1;
        let (depth, trace, budgeted) = (fiber.depth + 1, fiber.trace.clone(), fiber.budgeted);
        self.fibers[id] = Some(fiber);
        let child = self.spawn(target, env);
        self.ready.pop_back();
        if let Some(c) = self.fibers[child].as_mut() {
            c.parent = Some(id);
            c.depth = depth;
            c.trace = trace;
            c.budgeted = budgeted;
            c.call_result = Some(result);
        }
        self.ready.push_front(child);
    }

    fn finish(&mut self, id: FiberId, mut fiber: Fiber, ending: Ending) {
        let ok = matches!(ending, Ending::Done(..));
        self.metrics.record(fiber.fs, ok, fiber.started.elapsed());
        if let (Some(p), Some(how)) = (fiber.parent, fiber.call_result.take()) {
            // A called feature set hands its result (or its failure) to the caller.
            let value = match (&ending, &how) {
                (Ending::Done(resp, ..), CallResult::Response) => Ok(action_result(resp.as_ref())),
                (Ending::Done(resp, ..), CallResult::Named(name)) => {
                    let own = self.prog.program.feature_sets[fiber.fs]
                        .slots
                        .iter()
                        .zip(&fiber.slots)
                        .find(|(&s, _)| {
                            s != arovm_compiler::bytecode::NONE && self.prog.s(s) == &**name
                        })
                        .and_then(|(_, v)| v.clone());
                    Ok(named_result(resp.as_ref(), name, own))
                }
                (Ending::Failed(e), _) => Err(e.summary_with_reason()),
            };
            if let Some(parent) = self.fibers[p].as_mut() {
                match value {
                    Err(e) => {
                        parent.pending_bind = None;
                        parent.pending_error = Some(e);
                    }
                    Ok(v) => {
                        if let Some((_, slot)) = parent.pending_bind.as_mut() {
                            *slot = v;
                        }
                    }
                }
            }
        }
        if let (Some(p), Some(text)) = (fiber.parent, fiber.template.take()) {
            // A rendered template hands its text (or its failure) to the caller.
            if let Some(parent) = self.fibers[p].as_mut() {
                match &ending {
                    Ending::Failed(e) => {
                        parent.pending_bind = None;
                        parent.pending_error = Some(e.summary_with_reason());
                    }
                    Ending::Done(..) if fiber.include => {
                        if let Some(t) = parent.template.as_mut() {
                            t.push_str(&text);
                        }
                    }
                    Ending::Done(..) => {
                        if let Some((_, v)) = parent.pending_bind.as_mut() {
                            let html: Rc<str> = Rc::from(text);
                            parent.rendered.push(html.clone());
                            *v = Value::Str(html);
                        }
                    }
                }
            }
        }
        if let Some(p) = fiber.parent {
            if let Some(parent) = self.fibers[p].as_mut() {
                parent.waiting_for = parent.waiting_for.saturating_sub(1);
                if parent.waiting_for == 0 {
                    self.ready.push_front(p);
                }
            }
        }
        if self.tracked.remove(&id) {
            let ending = match ending {
                Ending::Done(r, _, _) if fiber.quiet => {
                    let rendered = std::mem::take(&mut fiber.rendered);
                    self.recycle(fiber);
                    Ending::Done(r, Vec::new(), rendered)
                }
                Ending::Done(r, _, _) => {
                    let fs = &self.prog.program.feature_sets[fiber.fs];
                    let vars = fs
                        .slots
                        .iter()
                        .zip(fiber.slots)
                        .filter_map(|(&s, v)| {
                            let v = v?;
                            (s != arovm_compiler::bytecode::NONE)
                                .then(|| (self.prog.strs[s as usize].clone(), v))
                        })
                        .collect();
                    Ending::Done(r, vars, fiber.rendered)
                }
                e => e,
            };
            self.endings.insert(id, ending);
            self.finished.push(id);
        } else {
            self.free.push(id);
            self.recycle(fiber);
        }
    }

    /// Hands an ending's variables to the graveyard (a request's handler, once answered).
    pub fn bury_ending(&mut self, ending: Ending) {
        if let Ending::Done(_, vars, _) = ending {
            for (_, v) in vars {
                self.graveyard.bury(v);
            }
        }
    }

    /// Frees a share of the ended fibers' values; true while some are left.
    pub fn sweep_graveyard(&mut self) -> bool {
        !self.graveyard.is_empty() && self.graveyard.sweep(SWEEP_BUDGET)
    }

    /// Keeps an ended fiber's vectors for the next fiber (small ones, a bounded number); its
    /// lists and objects go to the graveyard.
    fn recycle(&mut self, mut fiber: Fiber) {
        for v in fiber.stack.drain(..).chain(fiber.slots.drain(..).flatten()) {
            self.graveyard.bury(v);
        }
        if self.spare.len() < SPARE && fiber.stack.capacity() <= 64 && fiber.slots.capacity() <= 256
        {
            self.spare.push(fiber.into_vectors());
        }
    }

    /// Marks a fiber whose ending is read only for a failure (an event handler's): its
    /// variables are not collected and its `Return` builds no response.
    pub fn set_quiet(&mut self, id: FiberId) {
        if let Some(Some(f)) = self.fibers.get_mut(id) {
            f.quiet = true;
        }
    }
}

/// A handler's variables: `event` (the payload) and, as bare names, the payload's fields and
/// those of a notified item (`user`), so `when <age> >= 16` reads the item's `age` (the Guide's
/// rule for handler guards). Names bound in the handler itself take precedence.
fn handler_env(payload: Value) -> Vec<(Rc<str>, Value)> {
    let mut env = vec![(Rc::from("event"), payload.clone())];
    if let Value::Object(o) = &payload {
        let item = match o.get("user") {
            Some(Value::Object(u)) if o.get("target").is_some() => Some(u.clone()),
            _ => None,
        };
        for (k, v) in o
            .entries
            .iter()
            .chain(item.iter().flat_map(|u| u.entries.iter()))
        {
            if !env.iter().any(|(n, _)| n == k) {
                env.push((k.clone(), v.clone()));
            }
        }
    }
    env
}
