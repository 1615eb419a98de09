//! What the interpreter and an action statement read: the context (program, published
//! variables, host, metrics), how a descriptor resolves to a value, and why a run halted.

use super::error::RuntimeError;
use super::fiber::Fiber;
use super::host::HostState;
use super::metrics::Metrics;
use super::ops::step;
use crate::loader::Loaded;
use arovm_compiler::bytecode::{Desc, NONE};
use arovm_stdlib::action::{IoRequest, Response};
use arovm_stdlib::value::Value;
use std::rc::Rc;

/// Why a descriptor has no value.
pub(super) enum Missing {
    /// The base name is not bound (the program's interned name).
    Variable(std::rc::Rc<str>),
    /// A qualifier step found nothing: (key, type of the value it was applied to).
    Member(String, &'static str),
    /// A qualifier `<metrics>` does not support: the reason, naming the supported ones.
    Unsupported(String),
}

impl Missing {
    /// The reference's expression-error text.
    pub(super) fn expr_text(&self) -> String {
        match self {
            Missing::Variable(n) => format!("Undefined variable: {n}"),
            Missing::Member(k, _) => format!("Undefined member: {k}"),
            Missing::Unsupported(why) => why.clone(),
        }
    }

    /// The reason an action reports.
    pub(super) fn action_text(&self) -> String {
        match self {
            Missing::Variable(n) => format!("Undefined variable: '{n}'"),
            Missing::Member(k, t) => format!("Property '{k}' not found on type '{t}'"),
            Missing::Unsupported(why) => why.clone(),
        }
    }
}

/// Why the interpreter returned.
pub enum Halt {
    /// The feature set ended (with its Return response, if any).
    Finished(Option<Response>),
    /// Waiting for I/O or time.
    Suspended(IoRequest),
    /// Waiting for the handler fibers it emitted.
    WaitChildren(Vec<(usize, Value)>),
    /// Waiting for another feature set (a user-defined action, a test's `When`) run with
    /// these variables; its outcome becomes this fiber's result as `CallResult` says.
    Call(
        usize,
        Vec<(std::rc::Rc<str>, Value)>,
        super::calls::CallResult,
    ),
    /// Fuel exhausted; runnable again.
    OutOfFuel,
    /// A runtime error.
    Failed(RuntimeError),
}

/// Everything the interpreter reads besides the fiber.
pub struct Ctx<'a> {
    /// The program.
    pub prog: &'a Loaded,
    /// Published variables, by (business activity, name): ARO-0001 makes a published name
    /// visible to the feature sets of the same business activity only.
    pub globals: &'a mut crate::idmap::IdMap<(u32, u32), Value>,
    /// The host (console, repositories, events).
    pub host: &'a mut HostState,
    /// Feature set runs so far, for `<metrics>` (ARO-0044).
    pub metrics: &'a Metrics,
}

impl Ctx<'_> {
    /// A name the fiber holds itself: a bound local slot or a framework variable.
    fn own(&self, f: &Fiber, d: &Desc) -> Option<Value> {
        if d.slot != NONE {
            if let Some(v) = &f.slots[d.slot as usize] {
                return Some(v.clone());
            }
        }
        let name = self.prog.s(d.base);
        f.env
            .iter()
            .find(|(k, _)| &**k == name)
            .map(|(_, v)| v.clone())
    }

    /// The value of a base name: local slot, framework variable, `<metrics>` (its plain text),
    /// published variable, magic name.
    pub(super) fn base(&mut self, f: &Fiber, d: &Desc) -> Option<Value> {
        if let Some(v) = self.own(f, d) {
            return Some(v);
        }
        if self.metrics.names_it(d.base) {
            return self.metrics.value(&[]).ok();
        }
        let name = self.prog.s(d.base);
        let activity = self.prog.program.feature_sets[f.fs].activity;
        if let Some(v) = self.globals.get(&(activity, d.base)) {
            return Some(v.clone());
        }
        match name {
            "now" => Some(Value::str(&self.host.now_iso())),
            // ARO-0041 §5: midnight (UTC) of this day, the one before and the one after.
            "today" => Some(Value::str(&self.host.midnight_iso(0))),
            "yesterday" => Some(Value::str(&self.host.midnight_iso(-1))),
            "tomorrow" => Some(Value::str(&self.host.midnight_iso(1))),
            // ARO-0047 and the reference's environment object.
            "parameter" => Some(self.host.parameters.clone()),
            "env" => Some(self.host.environment()),
            // The reference's magic object: the listening server's port once started, before
            // that the contract's (`ARO_HTTP_PORT` first).
            "http-server" | "httpServer" => Some(match &self.host.http_server {
                Some(v) => v.clone(),
                None => {
                    let env = std::env::var("ARO_HTTP_PORT").ok();
                    let port = env.and_then(|p| p.trim().parse().ok());
                    http_server_value(
                        self.prog,
                        port.unwrap_or(self.prog.program.http_port),
                        "0.0.0.0",
                    )
                }
            }),
            _ if name.ends_with("-repository") => Some(self.host.repos.list(name)),
            _ => None,
        }
    }

    /// Base value with the qualifier path applied; Err names the first missing step.
    pub(super) fn resolve(&mut self, f: &Fiber, d: &Desc) -> Result<Value, Missing> {
        let mut steps = &d.specs[..];
        let mut v = if self.metrics.names_it(d.base) && self.own(f, d).is_none() {
            // ARO-0044: the first qualifier picks a text format or a field.
            let path: Vec<&str> = steps.iter().map(|&s| self.prog.s(s)).collect();
            steps = steps.get(1..).unwrap_or_default();
            self.metrics.value(&path).map_err(Missing::Unsupported)?
        } else {
            let Some(v) = self.base(f, d) else {
                return Err(Missing::Variable(
                    self.prog
                        .strs
                        .get(d.base as usize)
                        .cloned()
                        .unwrap_or_else(|| "".into()),
                ));
            };
            v
        };
        for &s in steps {
            let key = self.prog.s(s);
            v = step(&v, key).ok_or_else(|| Missing::Member(key.to_string(), v.type_name()))?;
        }
        Ok(v)
    }
}

/// The `<http-server>` object: `{port, hostname, routes, routeCount}` (the contract's paths, in
/// its order).
pub fn http_server_value(prog: &Loaded, port: u16, hostname: &str) -> Value {
    let routes: Vec<Value> = prog
        .program
        .routes
        .iter()
        .map(|r| Value::Str(prog.strs[r.path as usize].clone()))
        .collect();
    Value::object(vec![
        (Rc::from("port"), Value::Int(i64::from(port))),
        (Rc::from("hostname"), Value::str(hostname)),
        (Rc::from("routeCount"), Value::Int(routes.len() as i64)),
        (Rc::from("routes"), Value::list(routes)),
    ])
}
