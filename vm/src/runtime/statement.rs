//! One action statement: its operands resolved into a `Call`, the stdlib action run, the result
//! bound, and the reference's error text (with its `Trace:` entries) when it fails.

use super::calls::CallResult;
use super::context::{Ctx, Halt, Missing};
use super::error::RuntimeError;
use super::fiber::Fiber;
use arovm_compiler::bytecode::{Arg, Desc, FeatureSetCode, NONE};
use arovm_compiler::user_actions;
use arovm_stdlib::action::{Call, Operand, Outcome};
use arovm_stdlib::actions;
use arovm_stdlib::catalog::{self, Role};
use arovm_stdlib::value::{to_description, Value};

/// The error for a bound value over `AROVM_MAX_VALUE_BYTES`, if it is.
pub(super) fn too_large(
    cx: &Ctx,
    fs: &FeatureSetCode,
    st: &arovm_compiler::bytecode::StmtInfo,
    v: &Value,
) -> Option<RuntimeError> {
    let size = v.shallow_size();
    let limit = cx.host.limits.max_value_bytes;
    (size > limit).then(|| {
        let detail = format!(
            "Value too large: {size} bytes, over the limit of {limit} bytes (AROVM_MAX_VALUE_BYTES)"
        );
        RuntimeError::of_statement(cx.prog, fs, st, detail, Vec::new())
    })
}

/// Executes one action statement. `Ok(Some(halt))` ends or suspends the fiber.
pub(super) fn action(
    cx: &mut Ctx,
    f: &mut Fiber,
    fs: &FeatureSetCode,
    i: u32,
) -> Result<Option<Halt>, RuntimeError> {
    let st = &fs.stmts[i as usize];
    let id = catalog::from_u16(st.action).unwrap_or(catalog::ActionId::Log);
    let role = catalog::role(id);
    let repo_action = matches!(
        id,
        catalog::ActionId::Store | catalog::ActionId::Retrieve | catalog::ActionId::Delete
    );
    let n_expr = std::iter::once(&st.result)
        .chain(st.clauses.iter().map(|c| &c.arg))
        .filter(|a| matches!(a, Arg::Expr))
        .count();
    let at = f.stack.len().saturating_sub(n_expr);
    if id == catalog::ActionId::Return && f.quiet && cx.host.profile.is_none() {
        // An event handler's response goes nowhere (Return itself cannot fail): end the
        // fiber without building it.
        f.stack.truncate(at);
        return Ok(Some(Halt::Finished(None)));
    }
    let mut exprs = f
        .stack
        .drain(at..)
        .collect::<smallvec::SmallVec<[Value; 4]>>()
        .into_iter();
    let prog = cx.prog;
    // An unsupported `<metrics>` qualifier fails the statement whatever the action.
    let mut unsupported: Option<String> = None;
    let mut operand =
        |cx: &mut Ctx, f: &Fiber, a: &Arg, apply_path: bool, is_result: bool| -> Operand {
            match *a {
                Arg::Expr => Operand {
                    name: "_expression_",
                    specs: Default::default(),
                    value: exprs.next(),
                    is_expr: true,
                    spec_value: None,
                    missing: None,
                    article: false,
                },
                Arg::Desc(d) => {
                    let desc = &fs.descs[d as usize];
                    // Store, Retrieve and Delete reach a `<name-repository>` by its name; handing
                    // them its rows too would make every Store copy the repository.
                    let by_name = repo_action
                        && desc.specs.is_empty()
                        && prog.s(desc.base).ends_with("-repository");
                    let (value, missing) = if by_name {
                        (None, None)
                    } else if apply_path {
                        match cx.resolve(f, desc) {
                            Ok(v) => (Some(v), None),
                            Err(Missing::Unsupported(why)) => {
                                unsupported.get_or_insert_with(|| why.clone());
                                (None, Some(why))
                            }
                            // An unbound name: `Operand::require` words it (no text built
                            // for the result operand of every statement).
                            Err(Missing::Variable(_)) => (None, None),
                            Err(e) => (None, Some(e.action_text())),
                        }
                    } else {
                        (cx.base(f, desc), None)
                    };
                    let spec_value = match desc.specs.first() {
                        Some(&s) if is_result || value.is_none() => {
                            let slot = fs.slots.iter().position(|&x| x == s);
                            slot.and_then(|i| f.slots[i].clone())
                                .or_else(|| cx.globals.get(&(fs.activity, s)).cloned())
                        }
                        _ => None,
                    };
                    Operand {
                        name: prog.s(desc.base),
                        specs: desc.specs.iter().map(|&s| prog.s(s)).collect(),
                        value,
                        is_expr: false,
                        spec_value,
                        missing,
                        article: false,
                    }
                }
            }
        };
    // Write and Append read their result whole: its qualifier is a format (`<x: json>`).
    let whole_result = matches!(id, catalog::ActionId::Write | catalog::ActionId::Append);
    let result = operand(
        cx,
        f,
        &st.result,
        role == Role::Response && !whole_result,
        true,
    );
    let clauses = st
        .clauses
        .iter()
        .map(|c| {
            // Accept reads the entity whole: its qualifier names the state field.
            let whole = id == catalog::ActionId::Accept && prog.s(c.word) == "on";
            let mut o = operand(cx, f, &c.arg, !whole, false);
            o.article = c.article;
            (prog.s(c.word), o)
        })
        .collect();
    if let Some(why) = unsupported {
        return Err(RuntimeError::of_statement(prog, fs, st, why, Vec::new()));
    }
    let call = Call {
        verb: prog.s(st.verb),
        result,
        clauses,
    };
    if id == catalog::ActionId::CallAction {
        return call_action(cx, f, fs, st, &call);
    }
    if id == catalog::ActionId::When {
        return when(cx, f, fs, st, &call);
    }
    cx.host.feature = prog.strs[fs.name as usize].clone();
    if crate::telemetry::log::format() == crate::telemetry::log::Format::Json {
        cx.host.activity = prog.strs[fs.activity as usize].clone();
        cx.host.trace = f.trace.clone();
    }
    cx.host.template = f.template.take();
    let started = cx.host.profile.is_some().then(std::time::Instant::now);
    let outcome = actions::run(id, &call, cx.host);
    if let (Some(t), Some(p)) = (started, cx.host.profile.as_mut()) {
        p.action(f.fs, st.verb, t.elapsed());
    }
    f.template = cx.host.template.take();
    let result_slot = result_slot(fs, st);
    match outcome {
        Ok(Outcome::Bind(v)) => {
            if let Some(e) = too_large(cx, fs, st, &v) {
                return Err(e);
            }
            if id == catalog::ActionId::Accept {
                rebind_entity(prog, f, fs, st, &v);
            }
            if result_slot != NONE {
                f.slots[result_slot as usize] = Some(v);
            }
        }
        Ok(Outcome::BindAs(name, v)) => bind_named(prog, f, fs, &name, v),
        Ok(Outcome::Nothing) => {}
        Ok(Outcome::Return(r)) => return Ok(Some(Halt::Finished(Some(r)))),
        Ok(Outcome::Suspend(req, v)) => {
            // Response actions (Send, Broadcast, Include, ...) bind nothing when they resume.
            let slot = if role == Role::Response || req.binds_nothing() {
                NONE
            } else {
                result_slot
            };
            f.pending_bind = Some((slot, v));
            return Ok(Some(Halt::Suspended(req)));
        }
        Err(e) => {
            let detail = if e.thrown { String::new() } else { e.detail };
            return Err(RuntimeError::of_statement(
                prog,
                fs,
                st,
                detail,
                trace(cx, f, fs, st),
            ));
        }
    }
    let spawned = cx.host.take_spawns(prog);
    if !spawned.is_empty() {
        if f.depth >= cx.host.limits.max_emit_depth {
            // A handler that (indirectly) emits its own event would recurse until memory ends.
            let detail = format!(
                "Emit depth limit reached: {} handlers deep (AROVM_MAX_EMIT_DEPTH); do the handlers emit their own events?",
                f.depth
            );
            return Err(RuntimeError::of_statement(prog, fs, st, detail, Vec::new()));
        }
        return Ok(Some(Halt::WaitChildren(spawned)));
    }
    Ok(None)
}

/// `Application.Name the <r> with {...}` / `from <v>` (ARO-0081): the fiber waits for the
/// action's feature set, run with `<input>`; the scheduler binds its response to `<r>`.
fn call_action(
    cx: &mut Ctx,
    f: &mut Fiber,
    fs: &FeatureSetCode,
    st: &arovm_compiler::bytecode::StmtInfo,
    call: &Call,
) -> Result<Option<Halt>, RuntimeError> {
    let prog = cx.prog;
    let fail = |detail: String| RuntimeError::of_statement(prog, fs, st, detail, Vec::new());
    let name = call
        .verb
        .strip_prefix(user_actions::HANDLE)
        .unwrap_or(call.verb);
    let Some(target) = prog.user_action(name) else {
        return Err(fail(format!("Unknown user-defined action '{}'", call.verb)));
    };
    let activity = prog.s(prog.program.feature_sets[target].activity);
    let takes = user_actions::takes_field(activity);
    let value = |word: &str| match call.clause(&[word]) {
        Some(o) => o.require().map(Some).map_err(|e| fail(e.detail)),
        None => Ok(None),
    };
    let (with, from) = (value("with")?, value("from")?);
    let input = match (with.or(from), takes) {
        (Some(v @ Value::Object(_)), _) => v,
        (Some(v), Some(field)) => Value::object(vec![(std::rc::Rc::from(field), v)]),
        (Some(v), None) => {
            return Err(fail(format!(
                "'{}' needs an object as its input (it declares no 'takes' field), got {}",
                call.verb,
                v.type_name()
            )))
        }
        (None, _) => Value::object(Vec::new()),
    };
    f.pending_bind = Some((result_slot(fs, st), Value::Null));
    let env = vec![(std::rc::Rc::from("input"), input)];
    Ok(Some(Halt::Call(target, env, CallResult::Response)))
}

/// A test's `When the <r> from the <feature-set>` (ARO-0015): runs the feature set with the
/// test's variables; the scheduler binds `<r>` from its response.
fn when(
    cx: &mut Ctx,
    f: &mut Fiber,
    fs: &FeatureSetCode,
    st: &arovm_compiler::bytecode::StmtInfo,
    call: &Call,
) -> Result<Option<Halt>, RuntimeError> {
    let prog = cx.prog;
    let fail = |detail: String| RuntimeError::of_statement(prog, fs, st, detail, Vec::new());
    let Some(object) = call.clause(&["from"]) else {
        return Err(fail("When needs 'from the <feature-set>'".into()));
    };
    let Some(target) = prog.feature_set(object.name, None) else {
        return Err(fail(format!("Feature set not found: {}", object.name)));
    };
    let mut env: Vec<(std::rc::Rc<str>, Value)> = f.env.clone();
    for (&sym, v) in fs.slots.iter().zip(&f.slots) {
        if let (Some(v), true) = (v, sym != NONE) {
            env.push((prog.strs[sym as usize].clone(), v.clone()));
        }
    }
    f.pending_bind = Some((result_slot(fs, st), Value::Null));
    let name = std::rc::Rc::from(call.result.name);
    Ok(Some(Halt::Call(target, env, CallResult::Named(name))))
}

/// The slot of the statement's result name (`NONE` for an expression result).
fn result_slot(fs: &FeatureSetCode, st: &arovm_compiler::bytecode::StmtInfo) -> u32 {
    match st.result {
        Arg::Desc(d) => fs.descs[d as usize].slot,
        Arg::Expr => NONE,
    }
}

/// Binds `name` (not the statement's result) in this fiber: its slot when the feature set has
/// one, else a fiber variable (`Compare` binds `comparison`).
fn bind_named(
    prog: &crate::loader::Loaded,
    f: &mut Fiber,
    fs: &FeatureSetCode,
    name: &str,
    v: Value,
) {
    if let Some(i) = fs.slots.iter().position(|&s| prog.s(s) == name) {
        f.slots[i] = Some(v);
        return;
    }
    match f.env.iter_mut().find(|(k, _)| &**k == name) {
        Some(entry) => entry.1 = v,
        None => f.env.push((std::rc::Rc::from(name), v)),
    }
}

/// After `Accept`, the entity's own name holds the updated entity too (in this feature set).
fn rebind_entity(
    prog: &crate::loader::Loaded,
    f: &mut Fiber,
    fs: &FeatureSetCode,
    st: &arovm_compiler::bytecode::StmtInfo,
    v: &Value,
) {
    let entity = st.clauses.iter().find_map(|c| match c.arg {
        Arg::Desc(d) if prog.s(c.word) == "on" => Some(fs.descs[d as usize].base),
        _ => None,
    });
    if let Some(base) = entity {
        bind_named(prog, f, fs, prog.s(base), v.clone());
    }
}

/// The reference's `Trace:` entries: the result and object names (bases and specifiers) that are
/// bound, with their description form, sorted by name.
fn trace(
    cx: &mut Ctx,
    f: &Fiber,
    fs: &FeatureSetCode,
    st: &arovm_compiler::bytecode::StmtInfo,
) -> Vec<(String, String)> {
    let object = st.clauses.iter().find(|c| {
        let w = cx.prog.s(c.word);
        !w.starts_with("where") && !matches!(w, "by" | "default" | "unit" | "as")
    });
    let mut names: Vec<u32> = Vec::new();
    for arg in std::iter::once(&st.result).chain(object.map(|c| &c.arg)) {
        if let Arg::Desc(d) = arg {
            let desc = &fs.descs[*d as usize];
            names.push(desc.base);
            names.extend(&desc.specs);
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for sym in names {
        let name = cx.prog.s(sym).to_string();
        if out.iter().any(|(k, _)| *k == name) {
            continue;
        }
        let probe = Desc {
            base: sym,
            slot: fs
                .slots
                .iter()
                .position(|&x| x == sym)
                .map_or(NONE, |i| i as u32),
            specs: Default::default(),
        };
        if let Some(v) = cx.base(f, &probe) {
            if name != "now" && name != "metrics" && !name.ends_with("-repository") {
                out.push((name, to_description(&v)));
            }
        }
    }
    out.sort();
    out
}
