//! Value ↔ JSON via serde_json. Objects serialize with sorted keys, as the reference does.

use super::{format_float, Object, Value};
use std::fmt::Write;
use std::rc::Rc;

/// Serializes a value as compact JSON.
pub fn to_json(v: &Value) -> String {
    let mut out = String::with_capacity(64);
    write_json(v, &mut out, false, 0);
    out
}

/// Serializes like the reference's network responses (Foundation `JSONSerialization` with sorted
/// keys): compact, `/` escaped as `\/`, integral floats without `.0`.
pub fn to_json_wire(v: &Value) -> String {
    let mut out = String::with_capacity(64);
    write_json(v, &mut out, true, 0);
    out
}

/// Serializes object members given in key order, each key once, like [`to_json_wire`]
/// serializes an object (a response built without an intermediate object).
pub fn to_json_wire_members(members: &[(Rc<str>, Value)]) -> String {
    let mut out = String::with_capacity(64);
    out.push('{');
    for (i, (k, item)) in members.iter().enumerate() {
        write_member(i, k, item, &mut out, true, 0);
    }
    out.push('}');
    out
}

/// A JSON string literal with serde_json's escapes (`"`, `\\`, control characters; non-ASCII
/// raw), plus `\/` on the wire. Written straight into `out`: no allocation per string.
fn write_str(s: &str, out: &mut String, wire: bool) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            b'/' if wire => "\\/",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if short.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(short);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn write_json(v: &Value, out: &mut String, wire: bool, depth: usize) {
    if depth > super::MAX_NESTING {
        out.push_str("\"…\"");
        return;
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => {
            if !f.is_finite() {
                out.push_str("null")
            } else if wire && f.fract() == 0.0 && f.abs() < 1e15 {
                let _ = write!(out, "{}", *f as i64);
            } else {
                out.push_str(&format_float(*f))
            }
        }
        Value::Str(s) => write_str(s, out, wire),
        Value::Stream(s) => write_str(&super::stream::describe(s), out, wire),
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
                write_json(item, out, wire, depth + 1);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            // Usually already in key order (objects built from literals are): no sorted copy.
            if o.entries.windows(2).all(|w| w[0].0 <= w[1].0) {
                for (i, (k, item)) in o.entries.iter().enumerate() {
                    write_member(i, k, item, out, wire, depth);
                }
            } else {
                for (i, (k, item)) in o.sorted().into_iter().enumerate() {
                    write_member(i, k, item, out, wire, depth);
                }
            }
            out.push('}');
        }
    }
}

/// One `"key":value` member of an object, after a comma unless it is the first.
fn write_member(i: usize, k: &str, item: &Value, out: &mut String, wire: bool, depth: usize) {
    if i > 0 {
        out.push(',');
    }
    write_str(k, out, wire);
    out.push(':');
    write_json(item, out, wire, depth + 1);
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
            // serde_json's keys are unique already: no per-key search (40k keys stay linear).
            let entries = m
                .into_iter()
                .map(|(k, v)| (Rc::from(k), convert(v)))
                .collect();
            Value::Object(Rc::new(Object::from_unique(entries)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_exactly_as_serde_json_does() {
        let mut all_controls = String::new();
        for c in 0u8..0x20 {
            all_controls.push(c as char);
        }
        let cases = [
            "",
            "plain",
            "quote \" backslash \\ slash /",
            "tab\tnew\nline\rcr",
            "é ü 日本 🎉 \u{7f} \u{2028}",
            &all_controls,
        ];
        for s in cases {
            let expected = serde_json::Value::String(s.to_string()).to_string();
            let mut out = String::new();
            write_str(s, &mut out, false);
            assert_eq!(out, expected, "{s:?}");
            let mut wire = String::new();
            write_str(s, &mut wire, true);
            assert_eq!(wire, expected.replace('/', "\\/"), "{s:?}");
        }
    }

    #[test]
    fn objects_serialize_with_sorted_keys_whatever_their_order() {
        let v = Value::object(vec![
            (Rc::from("b"), Value::Int(2)),
            (Rc::from("a"), Value::Float(1.0)),
            (
                Rc::from("c"),
                Value::list(vec![Value::Null, Value::Bool(true)]),
            ),
        ]);
        assert_eq!(to_json_wire(&v), r#"{"a":1,"b":2,"c":[null,true]}"#);
        assert_eq!(
            to_json(&from_json(r#"{"x":"1/2","a":-3}"#).unwrap()),
            r#"{"a":-3,"x":"1/2"}"#
        );
    }
}
