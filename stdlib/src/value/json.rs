//! Value ↔ JSON via serde_json. Objects serialize with sorted keys, as the reference does.

use super::{format_float, Object, Value};
use std::rc::Rc;

/// Serializes a value as compact JSON.
pub fn to_json(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out, false);
    out
}

/// Serializes like the reference's network responses (Foundation `JSONSerialization` with sorted
/// keys): compact, `/` escaped as `\/`, integral floats without `.0`.
pub fn to_json_wire(v: &Value) -> String {
    let mut out = String::new();
    write_json(v, &mut out, true);
    out
}

fn write_str(s: &str, out: &mut String, wire: bool) {
    let j = serde_json::Value::String(s.to_string()).to_string();
    if wire && j.contains('/') {
        out.push_str(&j.replace('/', "\\/"));
    } else {
        out.push_str(&j);
    }
}

fn write_json(v: &Value, out: &mut String, wire: bool) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                out.push_str("null")
            } else if wire && f.fract() == 0.0 && f.abs() < 1e15 {
                out.push_str(&(*f as i64).to_string())
            } else {
                out.push_str(&format_float(*f))
            }
        }
        Value::Str(s) => write_str(s, out, wire),
        // Bytes travel as text when they are UTF-8 (they usually are), else as a list of numbers.
        Value::Bytes(b) => match std::str::from_utf8(b) {
            Ok(s) => write_str(s, out, wire),
            Err(_) => {
                out.push('[');
                for (i, x) in b.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&x.to_string());
                }
                out.push(']');
            }
        },
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out, wire);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            for (i, (k, item)) in o.sorted().into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out, wire);
                out.push(':');
                write_json(item, out, wire);
            }
            out.push('}');
        }
    }
}

/// Parses JSON text into a value; `None` when it is not valid JSON.
pub fn from_json(text: &str) -> Option<Value> {
    let j: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(convert(j))
}

fn convert(j: serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Str(Rc::from(s)),
        serde_json::Value::Array(a) => Value::list(a.into_iter().map(convert).collect()),
        serde_json::Value::Object(m) => {
            let mut o = Object::default();
            for (k, v) in m {
                o.insert(Rc::from(k), convert(v));
            }
            Value::Object(Rc::new(o))
        }
    }
}
