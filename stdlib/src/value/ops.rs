//! Value semantics shared by expressions and actions: truthiness, equality, ordering.

use super::Value;
use std::cmp::Ordering;

/// Truthiness used by `when`, `where` and `and`/`or`: null, false, 0, "" and empty collections are false.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Float(f) => *f != 0.0,
        Value::Str(s) => !s.is_empty() && &**s != "false",
        Value::List(l) => !l.is_empty(),
        Value::Object(o) => !o.entries.is_empty(),
        Value::Bytes(b) => !b.is_empty(),
        Value::Stream(_) => true,
    }
}

/// Equality as `is` / `==` see it: numbers compare by value across int/float; a number equals
/// its decimal string form; everything else structurally.
pub fn equals(a: &Value, b: &Value) -> bool {
    equals_at(a, b, 0)
}

fn equals_at(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > super::MAX_NESTING {
        return false; // nested deeper than any comparison descends
    }
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            a.as_f64() == b.as_f64()
        }
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::Stream(x), Value::Stream(y)) => std::rc::Rc::ptr_eq(x, y),
        (Value::Str(s), Value::Int(_) | Value::Float(_))
        | (Value::Int(_) | Value::Float(_), Value::Str(s)) => {
            let n = if let Value::Str(_) = a { b } else { a };
            s.trim().parse::<f64>().ok() == n.as_f64()
        }
        (Value::Str(s), Value::Bool(x)) | (Value::Bool(x), Value::Str(s)) => {
            (&**s == "true" && *x) || (&**s == "false" && !*x)
        }
        (Value::List(x), Value::List(y)) => {
            std::rc::Rc::ptr_eq(x, y)
                || (x.len() == y.len()
                    && x.iter()
                        .zip(y.iter())
                        .all(|(p, q)| equals_at(p, q, depth + 1)))
        }
        (Value::Object(x), Value::Object(y)) => {
            std::rc::Rc::ptr_eq(x, y)
                || (x.entries.len() == y.entries.len()
                    && x.entries
                        .iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| equals_at(v, w, depth + 1))))
        }
        _ => false,
    }
}

/// Ordering for `<`, `>`, Sort: numbers numerically, strings lexicographically, else by type.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            a.as_f64()?.partial_cmp(&b.as_f64()?)
        }
        // Dates compare in time order, whatever offsets they are shown with.
        (Value::Str(x), Value::Str(y))
            if !(x.len() == y.len() && x.ends_with('Z') && y.ends_with('Z'))
                && super::date::looks_like_date(x)
                && super::date::looks_like_date(y) =>
        {
            match (super::date::parse_iso(x), super::date::parse_iso(y)) {
                (Some(a), Some(b)) => Some(a.cmp(&b)),
                _ => Some(x.cmp(y)),
            }
        }
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Str(_), Value::Int(_) | Value::Float(_))
        | (Value::Int(_) | Value::Float(_), Value::Str(_)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ => None,
    }
}
