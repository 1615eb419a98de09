//! The developer context of ARO-0031 (`--debug`): values with their types (`String("a")`,
//! `Int(1)`, `Double(2.5)`, `Bool(true)`, `Dict { k: … }`, `[…]`) and the final response as a
//! bordered table of flattened keys.

use super::display::format_float;
use super::{Value, MAX_NESTING};

/// A value with its type, as `--debug` prints it (object keys sorted).
pub fn to_developer(v: &Value) -> String {
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

fn write(v: &Value, depth: usize, out: &mut String) {
    if depth > MAX_NESTING {
        out.push('…');
        return;
    }
    match v {
        Value::Null => out.push_str("Null"),
        Value::Bool(b) => out.push_str(&format!("Bool({b})")),
        Value::Int(i) => out.push_str(&format!("Int({i})")),
        Value::Float(f) => out.push_str(&format!("Double({})", format_float(*f))),
        Value::Str(s) => out.push_str(&format!("String(\"{s}\")")),
        Value::Bytes(b) => out.push_str(&format!("Data({} bytes)", b.len())),
        Value::Stream(s) => out.push_str(&super::stream::describe(s)),
        Value::List(l) => {
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(x, depth + 1, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push_str("Dict { ");
            for (i, (k, x)) in o.sorted().into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push_str(": ");
                write(x, depth + 1, out);
            }
            out.push_str(" }");
        }
    }
}

fn flatten(prefix: &str, v: &Value, depth: usize, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(o) if depth < MAX_NESTING => {
            for (k, x) in &o.entries {
                let key = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, depth + 1, out);
            }
        }
        other => out.push((prefix.to_string(), to_developer(other))),
    }
}

/// The final response as a table: `Response<status>`, then `reason` and the data's flattened
/// keys (sorted) with their typed values. Columns are at least 10 and 20 characters wide.
pub fn response_table(status: &str, reason: &str, data: &[(std::rc::Rc<str>, Value)]) -> String {
    let mut rows = vec![("reason".to_string(), to_developer(&Value::str(reason)))];
    let mut flat = Vec::new();
    for (k, v) in data {
        flatten(k, v, 0, &mut flat);
    }
    flat.sort();
    rows.extend(flat);
    let width = |s: &str| s.chars().count();
    let kw = rows.iter().map(|r| width(&r.0)).max().unwrap_or(0).max(10);
    let vw = rows.iter().map(|r| width(&r.1)).max().unwrap_or(0).max(20);
    let header = format!("Response<{status}>");
    let inner = (kw + vw + 3).max(width(&header));
    let vw = inner - kw - 3;
    let pad = |s: &str, n: usize| format!("{s}{}", " ".repeat(n.saturating_sub(width(s))));
    let mut lines = vec![
        format!("┌{}┐", "─".repeat(inner + 2)),
        format!("│ {} │", pad(&header, inner)),
        format!("├{}┬{}┤", "─".repeat(kw + 2), "─".repeat(vw + 2)),
    ];
    for (k, v) in &rows {
        lines.push(format!("│ {} │ {} │", pad(k, kw), pad(v, vw)));
    }
    lines.push(format!("└{}┴{}┘", "─".repeat(kw + 2), "─".repeat(vw + 2)));
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn typed_values_and_an_aligned_table() {
        let user = Value::object(vec![
            (Rc::from("name"), Value::str("Ada")),
            (Rc::from("age"), Value::Int(36)),
        ]);
        assert_eq!(
            to_developer(&user),
            "Dict { age: Int(36), name: String(\"Ada\") }"
        );
        assert_eq!(
            to_developer(&Value::list(vec![Value::Float(2.0), Value::Bool(true)])),
            "[Double(2.0), Bool(true)]"
        );
        let t = response_table("OK", "user", &[(Rc::from("user"), user)]);
        let lines: Vec<&str> = t.lines().collect();
        // Keys at least 10 wide, values at least 20: the header spans both and the separator.
        assert_eq!(lines[1], format!("│ {:<33} │", "Response<OK>"));
        assert_eq!(
            lines[3],
            format!("│ {:<10} │ {:<20} │", "reason", "String(\"user\")")
        );
        assert_eq!(
            lines[4],
            format!("│ {:<10} │ {:<20} │", "user.age", "Int(36)")
        );
        let w = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == w), "{t}");
    }
}
