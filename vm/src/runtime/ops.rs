//! Operator semantics (ARO-0002 as the reference implements them): int-preserving arithmetic,
//! truncating int division, `++` on description forms, `contains`, `matches`, type checks, and
//! qualifier steps (`<x: a.b>`, ARO-0038 list access, socket packet fields).

use super::error::RuntimeError;
use arovm_compiler::bytecode::BinCode;
use arovm_stdlib::value::{
    compare, date, date_range, describe_into, equals, to_description, Object, Value,
};
use std::cmp::Ordering;

fn num(v: &Value) -> Result<f64, RuntimeError> {
    v.as_f64().ok_or_else(|| {
        RuntimeError::Expr(format!(
            "Type mismatch: Cannot convert {} to number",
            v.type_name()
        ))
    })
}

/// The common cases of [`binary`] that need no error path: integer arithmetic and comparison,
/// and `++` built with one allocation in `scratch`. `None` leaves the operation to [`binary`];
/// `Some` is always what [`binary`] returns (property-tested in `vm/tests/fast_operators.rs`).
#[inline]
pub fn fast_binary(op: BinCode, l: &Value, r: &Value, scratch: &mut String) -> Option<Value> {
    match (op, l, r) {
        (BinCode::Concat, _, _) => {
            scratch.clear();
            describe_into(l, scratch);
            describe_into(r, scratch);
            Some(Value::str(scratch))
        }
        (_, Value::Int(x), Value::Int(y)) => int_binary(op, *x, *y),
        _ => None,
    }
}

/// Integer arithmetic and comparison that cannot fail (no overflow, no division by zero); `None`
/// leaves the operation to [`binary`], which reports errors and widens to floats.
#[inline]
fn int_binary(b: BinCode, x: i64, y: i64) -> Option<Value> {
    Some(match b {
        BinCode::Add => Value::Int(x.checked_add(y)?),
        BinCode::Sub => Value::Int(x.checked_sub(y)?),
        BinCode::Mul => Value::Int(x.checked_mul(y)?),
        BinCode::Div if y != 0 => Value::Int(x.wrapping_div(y)),
        BinCode::Rem if y != 0 => Value::Int(x.wrapping_rem(y)),
        BinCode::Eq => Value::Bool(x == y),
        BinCode::Ne => Value::Bool(x != y),
        BinCode::Lt => Value::Bool(x < y),
        BinCode::Le => Value::Bool(x <= y),
        BinCode::Gt => Value::Bool(x > y),
        BinCode::Ge => Value::Bool(x >= y),
        _ => return None,
    })
}

/// Applies a binary operator.
pub fn binary(op: BinCode, a: &Value, b: &Value) -> Result<Value, RuntimeError> {
    use BinCode::*;
    Ok(match op {
        Add | Sub | Mul => {
            if let (Value::Int(x), Value::Int(y)) = (a, b) {
                let r = match op {
                    Add => x.checked_add(*y),
                    Sub => x.checked_sub(*y),
                    _ => x.checked_mul(*y),
                };
                if let Some(r) = r {
                    return Ok(Value::Int(r));
                }
            }
            if op == Mul {
                if let (Value::Str(s), Value::Int(n)) | (Value::Int(n), Value::Str(s)) = (a, b) {
                    return Ok(Value::str(&s.repeat((*n).max(0) as usize)));
                }
            }
            let (x, y) = (num(a)?, num(b)?);
            Value::Float(match op {
                Add => x + y,
                Sub => x - y,
                _ => x * y,
            })
        }
        Div => match (a, b) {
            (Value::Int(_), Value::Int(0)) => return Err(RuntimeError::DivisionByZero),
            (Value::Int(x), Value::Int(y)) => Value::Int(x.wrapping_div(*y)),
            _ => Value::Float(num(a)? / num(b)?),
        },
        Rem => match (a, b) {
            (Value::Int(_), Value::Int(0)) => return Err(RuntimeError::DivisionByZero),
            (Value::Int(x), Value::Int(y)) => Value::Int(x.wrapping_rem(*y)),
            _ => {
                return Err(RuntimeError::Expr(
                    "Type mismatch: Expected integers for modulo operation".into(),
                ))
            }
        },
        Concat => Value::str(&(to_description(a) + &to_description(b))),
        Eq => Value::Bool(equals(a, b)),
        Ne => Value::Bool(!equals(a, b)),
        Lt | Le | Gt | Ge => {
            let ord = compare(a, b).ok_or_else(|| {
                RuntimeError::Expr(format!(
                    "Type mismatch: Cannot compare {} with {}",
                    a.type_name(),
                    b.type_name()
                ))
            })?;
            Value::Bool(match op {
                Lt => ord == Ordering::Less,
                Le => ord != Ordering::Greater,
                Gt => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            })
        }
        Contains => Value::Bool(match (a, b) {
            (Value::List(l), x) => l.iter().any(|y| equals(x, y)),
            (Value::Str(s), Value::Str(t)) => s.contains(&**t),
            // `<date> in <range>` (ARO-0041): a date range holds the dates between its ends.
            (Value::Object(o), Value::Str(k)) => {
                date_range::contains(o, k).unwrap_or_else(|| o.get(k).is_some())
            }
            _ => false,
        }),
        Matches => {
            let (pat, flags) = match b {
                Value::Object(o) if o.get("regex").is_some() => (
                    o.get("regex")
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_string(),
                    o.get("flags")
                        .and_then(|v| v.as_str())
                        .unwrap_or("")
                        .to_string(),
                ),
                other => (to_description(other), String::new()),
            };
            let mut rb = regex::RegexBuilder::new(&pat);
            rb.case_insensitive(flags.contains('i'))
                .dot_matches_new_line(flags.contains('s'))
                .multi_line(flags.contains('m'));
            let re = rb
                .build()
                .map_err(|e| RuntimeError::Expr(format!("Invalid regex: {e}")))?;
            let text = match a {
                Value::Str(s) => s.to_string(),
                other => to_description(other),
            };
            Value::Bool(re.is_match(&text))
        }
    })
}

/// `x is a Type`.
pub fn is_type(v: &Value, t: &str) -> bool {
    matches!(
        (t, v),
        ("String", Value::Str(_))
            | ("Integer" | "Int" | "Number", Value::Int(_))
            | ("Float" | "Double" | "Number", Value::Float(_))
            | ("Boolean" | "Bool", Value::Bool(_))
            | ("List" | "Array", Value::List(_))
            | ("Map" | "Object" | "Dictionary", Value::Object(_))
            | ("Null", Value::Null)
    )
}

/// Applies one qualifier step: object key, or ARO-0038 list access (`first`, `last`, `N`).
pub fn step(v: &Value, key: &str) -> Option<Value> {
    match v {
        Value::Object(o) => o
            .get(key)
            .cloned()
            .or_else(|| packet_field(o, key))
            .or_else(|| response_body_field(o, key)),
        Value::List(l) => match key {
            "first" => l.first().cloned(),
            "last" => l.last().cloned(),
            "length" | "count" => Some(Value::Int(l.len() as i64)),
            _ => key
                .parse::<usize>()
                .ok()
                .and_then(|i| l.len().checked_sub(i + 1).map(|j| l[j].clone())),
        },
        Value::Str(s) if key == "length" || key == "count" => {
            Some(Value::Int(s.chars().count() as i64))
        }
        Value::Str(s) => date::parse(s).and_then(|m| date::property(&m, key)),
        _ => None,
    }
}

/// A `Request` result (`{body, headers, status}`) passes other keys to its body, as the
/// reference does for compatibility: `<response: users>` is `<response: body.users>`.
fn response_body_field(o: &Object, key: &str) -> Option<Value> {
    let keys: Vec<&str> = o.entries.iter().map(|(k, _)| &**k).collect();
    if keys != ["body", "headers", "status"] {
        return None;
    }
    o.get("body")?.member(key)
}

/// A socket packet's other keys come from its text (the reference's rule): a JSON object's field,
/// a form field (`a=1&b=2`), or a `key: value` line.
fn packet_field(o: &Object, key: &str) -> Option<Value> {
    o.get("buffer")?;
    let text = o.get("text").and_then(|t| t.as_str().map(str::to_string))?;
    let t = text.trim();
    if t.starts_with('{') {
        return arovm_stdlib::value::from_json(t).and_then(|j| j.member(key));
    }
    if t.contains('=') && !t.contains(':') {
        return t.split('&').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k.trim() == key).then(|| Value::str(v.trim()))
        });
    }
    t.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| Value::str(v.trim()))
    })
}
