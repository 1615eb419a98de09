//! Printing values exactly like the reference: the Log form (`to_display`: floats `%.2f`, objects as
//! sorted `key: value` lines) and the description form (`to_description`: interpolation and `++`).

use super::Value;
use std::fmt::Write;

/// The description form of a float (shortest round-trip, `1e+16` / `1e-05` outside the plain range,
/// always a fractional part): used by interpolation, `++` and JSON.
pub fn format_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let a = x.abs();
    if a > 9_007_199_254_740_992.0 || (a != 0.0 && a < 1e-4) {
        let e = format!("{x:e}");
        let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mant}e{sign}{digits:0>2}");
    }
    let s = format!("{x}");
    if s.contains('.') {
        s
    } else {
        s + ".0"
    }
}

/// A float as the reference's Log prints it: C `%.2f` (round half to even on exact ties).
pub fn format_float_log(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format!("{x:.2}")
}

/// The Log form of a value.
pub fn to_display(v: &Value) -> String {
    display_at(v, 0)
}

fn display_at(v: &Value, depth: usize) -> String {
    if depth > super::MAX_NESTING {
        return "…".into();
    }
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format_float_log(*f),
        Value::Str(s) => s.to_string(),
        Value::Bytes(b) => format!("{} bytes", b.len()),
        Value::Stream(s) => super::stream::describe(s),
        Value::List(l) => {
            if l.iter().any(|x| matches!(x, Value::Object(_))) {
                l.iter()
                    .map(|x| display_at(x, depth + 1))
                    .collect::<Vec<_>>()
                    .join("\n\n")
            } else {
                let parts: Vec<String> = l.iter().map(|x| display_at(x, depth + 1)).collect();
                format!("[{}]", parts.join(", "))
            }
        }
        Value::Object(_) => {
            let mut lines = Vec::new();
            flatten(v, "", &mut lines, depth);
            lines.join("\n")
        }
    }
}

fn flatten(v: &Value, prefix: &str, out: &mut Vec<String>, depth: usize) {
    let Value::Object(o) = v else { return };
    if depth > super::MAX_NESTING {
        out.push(format!("{prefix}: …"));
        return;
    }
    for (k, item) in o.sorted() {
        let key = if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        };
        match item {
            Value::Object(_) => flatten(item, &key, out, depth + 1),
            Value::List(l)
                if l.iter()
                    .all(|x| !matches!(x, Value::Object(_) | Value::List(_))) =>
            {
                let mut parts: Vec<String> = l.iter().map(|x| display_at(x, depth + 1)).collect();
                parts.sort();
                out.push(format!("{key}: {}", parts.join(", ")));
            }
            Value::List(_) => {
                let mut text = String::new();
                describe(item, &mut text, false, depth + 1);
                out.push(format!("{key}: {text}"))
            }
            _ => out.push(format!("{key}: {}", display_at(item, depth + 1))),
        }
    }
}

/// Appends the description form of `v` to `out` (what [`to_description`] returns).
pub fn describe_into(v: &Value, out: &mut String) {
    describe(v, out, false, 0);
}

/// The description form of a value (string interpolation, `++`).
pub fn to_description(v: &Value) -> String {
    let mut s = String::new();
    describe(v, &mut s, false, 0);
    s
}

fn describe(v: &Value, out: &mut String, quoted: bool, depth: usize) {
    if depth > super::MAX_NESTING {
        out.push('…');
        return;
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float(*f)),
        Value::Str(s) if quoted => {
            let _ = write!(out, "{:?}", &**s);
        }
        Value::Str(s) => out.push_str(s),
        Value::Bytes(b) => {
            let _ = write!(out, "{} bytes", b.len());
        }
        Value::Stream(s) => out.push_str(&super::stream::describe(s)),
        Value::List(l) => {
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                describe(x, out, true, depth + 1);
            }
            out.push(']');
        }
        Value::Object(o) => {
            if o.entries.is_empty() {
                out.push_str("[:]");
                return;
            }
            out.push('[');
            for (i, (k, x)) in o.entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{:?}: ", &**k);
                describe(x, out, true, depth + 1);
            }
            out.push(']');
        }
    }
}
