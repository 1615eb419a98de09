//! Operator semantics (ARO-0002 as the reference implements them): int-preserving arithmetic,
//! truncating int division, `++` on description forms, `contains`, `matches`, type checks.

use super::error::RuntimeError;
use arovm_compiler::bytecode::BinCode;
use arovm_stdlib::value::{compare, equals, to_description, Value};
use std::cmp::Ordering;

fn num(v: &Value) -> Result<f64, RuntimeError> {
    v.as_f64().ok_or_else(|| {
        RuntimeError::Expr(format!(
            "Type mismatch: Cannot convert {} to number",
            v.type_name()
        ))
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
            (Value::Object(o), Value::Str(k)) => o.get(k).is_some(),
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
