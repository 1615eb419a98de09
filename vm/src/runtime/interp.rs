//! The interpreter loop: fetch an op, one-line dispatch, until the fiber ends, suspends, fails or
//! runs out of fuel. It never blocks and never recurses: waiting is returned as a [`Halt`].

pub use super::context::{Ctx, Halt};
use super::error::RuntimeError;
use super::fiber::{Fiber, LoopIter, REFILL};
use super::lower::Ins;
use super::ops::{binary, fast_binary, is_type, step};
use super::statement::{action, too_large};
use crate::loader::Loaded;
use arovm_compiler::bytecode::{Const, Desc, FeatureSetCode, Op, NONE};
use arovm_stdlib::action::{FileOp, IoRequest};
use arovm_stdlib::value::{to_description, truthy, Object, Value};
use std::fmt::Write;
use std::rc::Rc;

#[inline]
fn const_value(prog: &Loaded, c: &Const) -> Value {
    match *c {
        Const::Null => Value::Null,
        Const::Bool(b) => Value::Bool(b),
        Const::Int(i) => Value::Int(i),
        Const::Float(f) => Value::Float(f),
        Const::Str(s) => Value::Str(prog.strs[s as usize].clone()),
        Const::Regex(p, f) => Value::object(vec![
            (Rc::from("regex"), Value::Str(prog.strs[p as usize].clone())),
            (Rc::from("flags"), Value::Str(prog.strs[f as usize].clone())),
        ]),
    }
}

/// Runs `f` for at most `fuel` instructions.
pub fn run(cx: &mut Ctx, f: &mut Fiber, fuel: u32) -> Halt {
    let fs: &FeatureSetCode = &cx.prog.program.feature_sets[f.fs];
    if let Some(detail) = f.pending_error.take() {
        // The suspended action (the op before pc) failed in the driver.
        if let Some(Op::Action(i)) = f.pc.checked_sub(1).and_then(|p| fs.code.get(p)) {
            let st = &fs.stmts[*i as usize];
            return Halt::Failed(RuntimeError::of_statement(
                cx.prog,
                fs,
                st,
                detail,
                Vec::new(),
            ));
        }
        return Halt::Failed(RuntimeError::Expr(detail));
    }
    if let Some((slot, v)) = f.pending_bind.take() {
        if slot == REFILL {
            if let Some(it) = f.iters.last_mut() {
                it.refill(v);
            }
        } else if slot != NONE {
            f.slots[slot as usize] = Some(v);
        }
    }
    let code = &cx.prog.code[f.fs];
    let mut fuel = fuel;
    loop {
        if fuel == 0 {
            return Halt::OutOfFuel;
        }
        fuel -= 1;
        let at = f.pc;
        let Some(&ins) = code.get(at) else {
            return Halt::Finished(None);
        };
        f.pc += 1;
        let op = match ins {
            Ins::Op(op) => op,
            fused => match fused_fast(cx, fs, f, fused) {
                Ok(true) => {
                    f.pc = at + fused.width();
                    continue;
                }
                Ok(false) => fused.first(&fs.code, at),
                Err(e) => return guard_or_fail(fs, at, e),
            },
        };
        let r: Result<(), RuntimeError> = match op {
            Op::Const(i) => {
                f.stack.push(const_value(cx.prog, &fs.consts[i as usize]));
                Ok(())
            }
            Op::Load(d) => match load_local(f, &fs.descs[d as usize]) {
                Some(v) => {
                    f.stack.push(v);
                    Ok(())
                }
                None => match cx.resolve(f, &fs.descs[d as usize]) {
                    Ok(v) => {
                        f.stack.push(v);
                        Ok(())
                    }
                    Err(e) => Err(RuntimeError::Expr(e.expr_text())),
                },
            },
            Op::Exists(d) => {
                let ok = cx
                    .resolve(f, &fs.descs[d as usize])
                    .is_ok_and(|v| !matches!(v, Value::Null));
                f.stack.push(Value::Bool(ok));
                Ok(())
            }
            Op::List(n) => {
                let at = f.stack.len().saturating_sub(n as usize);
                let items = f.stack.split_off(at);
                f.stack.push(Value::list(items));
                Ok(())
            }
            Op::Object(shape) => {
                let keys = &fs.shapes[shape as usize];
                let at = f.stack.len().saturating_sub(keys.len());
                let mut o = Object::with_capacity(keys.len());
                for (k, v) in keys.iter().zip(f.stack.drain(at..)) {
                    o.insert(cx.prog.strs[*k as usize].clone(), v);
                }
                f.stack.push(Value::Object(Rc::new(o)));
                Ok(())
            }
            Op::Interp(n) => {
                let at = f.stack.len().saturating_sub(n as usize);
                let parts = f.stack.split_off(at);
                f.arena.reset();
                let mut buf = bumpalo::collections::String::new_in(&f.arena);
                for p in &parts {
                    match p {
                        Value::Str(s) => buf.push_str(s),
                        other => {
                            let _ = write!(buf, "{}", to_description(other));
                        }
                    }
                }
                let v = Value::str(&buf);
                f.stack.push(v);
                Ok(())
            }
            Op::Bin(b) => {
                let n = f.stack.len();
                let fast = match (f.stack.get(n.wrapping_sub(2)), f.stack.last()) {
                    (Some(l), Some(r)) => fast_binary(b, l, r, &mut f.scratch),
                    _ => None,
                };
                match fast {
                    Some(v) => {
                        f.stack.truncate(n - 1);
                        f.stack[n - 2] = v;
                        Ok(())
                    }
                    None => {
                        let r = f.stack.pop().unwrap_or_default();
                        let l = f.stack.pop().unwrap_or_default();
                        binary(b, &l, &r).map(|v| f.stack.push(v))
                    }
                }
            }
            Op::Neg => {
                let v = f.stack.pop().unwrap_or_default();
                match v {
                    Value::Int(i) => {
                        f.stack.push(Value::Int(i.wrapping_neg()));
                        Ok(())
                    }
                    Value::Float(x) => {
                        f.stack.push(Value::Float(-x));
                        Ok(())
                    }
                    other => Err(RuntimeError::Expr(format!(
                        "Type mismatch: Cannot negate {}",
                        other.type_name()
                    ))),
                }
            }
            Op::Not => {
                let v = f.stack.pop().unwrap_or_default();
                f.stack.push(Value::Bool(!truthy(&v)));
                Ok(())
            }
            Op::IsEmpty => {
                let v = f.stack.pop().unwrap_or_default();
                f.stack.push(Value::Bool(v.is_empty()));
                Ok(())
            }
            Op::IsNull => {
                let v = f.stack.pop().unwrap_or_default();
                f.stack.push(Value::Bool(matches!(v, Value::Null)));
                Ok(())
            }
            Op::IsType(t) => {
                let v = f.stack.pop().unwrap_or_default();
                f.stack.push(Value::Bool(is_type(&v, cx.prog.s(t))));
                Ok(())
            }
            Op::Member(m) => {
                let v = f.stack.pop().unwrap_or_default();
                let key = cx.prog.s(m);
                match step(&v, key) {
                    Some(x) => {
                        f.stack.push(x);
                        Ok(())
                    }
                    None => Err(RuntimeError::Expr(format!("Undefined member: {key}"))),
                }
            }
            Op::Index => {
                let i = f.stack.pop().unwrap_or_default();
                let v = f.stack.pop().unwrap_or_default();
                let key = match &i {
                    Value::Str(s) => s.to_string(),
                    other => to_description(other),
                };
                match step(&v, &key) {
                    Some(x) => {
                        f.stack.push(x);
                        Ok(())
                    }
                    None => Err(RuntimeError::Expr(match (&v, i.as_i64()) {
                        (Value::List(l), Some(n)) => {
                            format!("Index {n} out of bounds (count: {})", l.len())
                        }
                        _ => format!("Undefined member: {key}"),
                    })),
                }
            }
            Op::Pop => {
                f.stack.pop();
                Ok(())
            }
            Op::Action(i) => match action(cx, f, fs, i) {
                Ok(None) => Ok(()),
                Ok(Some(h)) => return h,
                Err(e) => Err(e),
            },
            Op::Publish { alias, var } => match cx.resolve(f, &fs.descs[var as usize]) {
                Ok(v) => {
                    if let Some(slot) = fs.slots.iter().position(|&s| s == alias) {
                        f.slots[slot] = Some(v.clone());
                    }
                    cx.globals.insert((fs.activity, alias), v);
                    Ok(())
                }
                Err(e) => Err(RuntimeError::Expr(e.expr_text())),
            },
            Op::Jump(t) => {
                f.pc = t as usize;
                Ok(())
            }
            Op::JumpIfFalse(t) => {
                let c = f.stack.pop().unwrap_or_default();
                if !truthy(&c) {
                    f.pc = t as usize;
                }
                Ok(())
            }
            Op::JumpIfFalseKeep(t) => {
                if !f.stack.last().is_some_and(truthy) {
                    f.pc = t as usize;
                }
                Ok(())
            }
            Op::JumpIfTrueKeep(t) => {
                if f.stack.last().is_some_and(truthy) {
                    f.pc = t as usize;
                }
                Ok(())
            }
            Op::SetSlot(s) => {
                f.slots[s as usize] = f.stack.pop();
                Ok(())
            }
            Op::GetSlot(s) => {
                f.stack
                    .push(f.slots[s as usize].clone().unwrap_or_default());
                Ok(())
            }
            Op::IterStart => {
                let v = f.stack.pop().unwrap_or_default();
                let items = match &v {
                    Value::List(l) => l.clone(),
                    Value::Null => Rc::new(Vec::new()),
                    Value::Object(o) => Rc::new(
                        o.entries
                            .iter()
                            .map(|(k, v)| {
                                Value::object(vec![
                                    (Rc::from("key"), Value::Str(k.clone())),
                                    (Rc::from("value"), v.clone()),
                                ])
                            })
                            .collect(),
                    ),
                    Value::Stream(s) => {
                        // Lines arrive a chunk at a time (the first on the first IterNext).
                        f.iters.push(LoopIter::Stream {
                            stream: s.clone(),
                            lines: Rc::new(Vec::new()),
                            next: 0,
                            index: 0,
                            ended: false,
                        });
                        continue;
                    }
                    _ => Rc::new(vec![v.clone()]),
                };
                f.iters.push(LoopIter::List(items, 0));
                Ok(())
            }
            Op::IterNext {
                item,
                index,
                clear,
                exit,
            } => {
                if let Some(id) = f.iters.last().and_then(LoopIter::wants_chunk) {
                    // Wait for the stream's next chunk, then run this instruction again.
                    f.pc = at;
                    f.pending_bind = Some((REFILL, Value::Null));
                    return Halt::Suspended(IoRequest::File(FileOp::StreamNext { id }));
                }
                let next = f.iters.last_mut().and_then(LoopIter::advance);
                match next {
                    Some((v, i)) => {
                        for &s in &fs.clears[clear as usize] {
                            f.slots[s as usize] = None;
                        }
                        f.slots[item as usize] = Some(v);
                        if index != NONE {
                            f.slots[index as usize] = Some(Value::Int(i as i64));
                        }
                    }
                    None => {
                        f.iters.pop();
                        f.pc = exit as usize;
                    }
                }
                Ok(())
            }
            Op::End => return Halt::Finished(None),
            Op::Range => {
                let b = f.stack.pop().unwrap_or_default();
                let a = f.stack.pop().unwrap_or_default();
                match (a.as_i64(), b.as_i64()) {
                    // A range loop (the compiler always follows Range with IterStart)
                    // iterates without building the list.
                    (Some(a), Some(b)) if fs.code.get(f.pc) == Some(&Op::IterStart) => {
                        f.pc += 1;
                        f.iters.push(LoopIter::Range {
                            next: a,
                            last: b,
                            index: 0,
                        });
                        Ok(())
                    }
                    (Some(a), Some(b)) if b.saturating_sub(a) < 10_000_000 => {
                        f.stack.push(Value::list((a..=b).map(Value::Int).collect()));
                        Ok(())
                    }
                    (Some(_), Some(_)) => Err(RuntimeError::Expr(
                        "Range too large (more than 10,000,000 steps)".into(),
                    )),
                    _ => Err(RuntimeError::Expr(
                        "Type mismatch: range bounds must be integers".into(),
                    )),
                }
            }
            Op::IterPop => {
                f.iters.pop();
                Ok(())
            }
        };
        if let Err(e) = r {
            return guard_or_fail(fs, at, e);
        }
    }
}

/// An error in a handler's `when` guard (a payload without the field it reads) means the
/// handler does not apply: it ends quietly, as in the reference. Elsewhere the fiber fails.
fn guard_or_fail(fs: &FeatureSetCode, at: usize, e: RuntimeError) -> Halt {
    if fs.guard != NONE && (at as u32) < fs.guard {
        return Halt::Finished(None);
    }
    Halt::Failed(e)
}

/// A bound local without qualifiers: the common operand, read without the general lookup.
#[inline]
fn load_local(f: &Fiber, d: &Desc) -> Option<Value> {
    if d.slot == NONE || !d.specs.is_empty() {
        return None;
    }
    f.slots[d.slot as usize].clone()
}

/// A fused instruction's fast case (see [`lower`](super::lower)): `Ok(true)` when it ran,
/// `Ok(false)` when its first op must run instead.
#[inline]
fn fused_fast(
    cx: &Ctx,
    fs: &FeatureSetCode,
    f: &mut Fiber,
    ins: Ins,
) -> Result<bool, RuntimeError> {
    let prog = cx.prog;
    let slot = |d: u32| fs.descs[d as usize].slot as usize;
    let konst = |c: u32| const_value(prog, &fs.consts[c as usize]);
    let v = match ins {
        Ins::LocalConst { a, c, op } => match &f.slots[slot(a)] {
            Some(l) => fast_binary(op, l, &konst(c), &mut f.scratch),
            None => None,
        },
        Ins::ConstLocal { c, a, op } => match &f.slots[slot(a)] {
            Some(r) => fast_binary(op, &konst(c), r, &mut f.scratch),
            None => None,
        },
        Ins::LocalLocal { a, b, op } => match (&f.slots[slot(a)], &f.slots[slot(b)]) {
            (Some(l), Some(r)) => fast_binary(op, l, r, &mut f.scratch),
            _ => None,
        },
        Ins::TopConst { c, op } => {
            let r = konst(c);
            let Some(l) = f.stack.last() else {
                return Ok(false);
            };
            let Some(v) = fast_binary(op, l, &r, &mut f.scratch) else {
                return Ok(false);
            };
            if let Some(top) = f.stack.last_mut() {
                *top = v;
            }
            return Ok(true);
        }
        Ins::Bind { stmt, slot } => {
            // A plain bind: no Call, no action dispatch (profiling counts actions: it runs them).
            if cx.host.profile.is_some() {
                return Ok(false);
            }
            let v = f.stack.pop().unwrap_or_default();
            if let Some(e) = too_large(cx, fs, &fs.stmts[stmt as usize], &v) {
                return Err(e);
            }
            f.slots[slot as usize] = Some(v);
            return Ok(true);
        }
        Ins::Op(_) => None,
    };
    match v {
        Some(v) => {
            f.stack.push(v);
            Ok(true)
        }
        None => Ok(false),
    }
}
