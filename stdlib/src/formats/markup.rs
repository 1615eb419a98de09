//! Writers of the text formats that present data: Markdown and HTML tables and lists, SQL
//! `INSERT` statements and timestamped log lines. Reading them gives their text.

use super::{cell, columns, sorted_entries};
use crate::value::Value;

fn md_cell(v: &Value) -> String {
    cell(v).replace('|', "\\|").replace('\n', " ")
}

/// A list of objects as a table (the first object's sorted keys as columns), another list as
/// `- item` lines, an object as a Key/Value table, a string as it is.
pub(super) fn markdown(v: &Value) -> String {
    match v {
        Value::List(l) => match columns(l) {
            Some(cols) => {
                let mut lines = vec![
                    format!("| {} |", cols.join(" | ")),
                    format!("|{}", "---|".repeat(cols.len())),
                ];
                for x in l.iter() {
                    if let Value::Object(o) = x {
                        let cells: Vec<String> = cols
                            .iter()
                            .map(|c| o.get(c).map(md_cell).unwrap_or_default())
                            .collect();
                        lines.push(format!("| {} |", cells.join(" | ")));
                    }
                }
                lines.join("\n")
            }
            None => l
                .iter()
                .map(|x| format!("- {}", cell(x)))
                .collect::<Vec<_>>()
                .join("\n"),
        },
        Value::Object(_) => {
            let mut lines = vec!["| Key | Value |".to_string(), "|-----|-------|".to_string()];
            for (k, x) in sorted_entries(v).unwrap_or_default() {
                lines.push(format!("| {k} | {} |", md_cell(x)));
            }
            lines.join("\n")
        }
        other => cell(other),
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn table(head: &[String], rows: Vec<Vec<String>>) -> String {
    let th: String = head
        .iter()
        .map(|h| format!("<th>{}</th>", esc(h)))
        .collect();
    let mut out = format!("<table>\n  <thead>\n    <tr>{th}</tr>\n  </thead>\n  <tbody>\n");
    for r in rows {
        let td: String = r.iter().map(|c| format!("<td>{}</td>", esc(c))).collect();
        out.push_str(&format!("    <tr>{td}</tr>\n"));
    }
    out.push_str("  </tbody>\n</table>");
    out
}

/// A list of objects as a `<table>`, another list as `<ul>`, an object as a Key/Value table,
/// anything else as escaped text (write markup unchanged with `<x: raw>`).
pub(super) fn html(v: &Value) -> String {
    match v {
        Value::List(l) => match columns(l) {
            Some(cols) => {
                let rows = l
                    .iter()
                    .filter_map(|x| match x {
                        Value::Object(o) => Some(
                            cols.iter()
                                .map(|c| o.get(c).map(cell).unwrap_or_default())
                                .collect(),
                        ),
                        _ => None,
                    })
                    .collect();
                table(&cols, rows)
            }
            None => {
                let items: String = l
                    .iter()
                    .map(|x| format!("  <li>{}</li>\n", esc(&cell(x))))
                    .collect();
                format!("<ul>\n{items}</ul>")
            }
        },
        Value::Object(_) => table(
            &["Key".to_string(), "Value".to_string()],
            sorted_entries(v)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, x)| vec![k.to_string(), cell(x)])
                .collect(),
        ),
        other => esc(&cell(other)),
    }
}

fn sql_literal(v: &Value) -> String {
    match v {
        Value::Int(i) => i.to_string(),
        Value::Float(f) => crate::value::format_float(*f),
        Value::Bool(true) => "TRUE".into(),
        Value::Bool(false) => "FALSE".into(),
        Value::Null => "NULL".into(),
        other => format!("'{}'", cell(other).replace('\'', "''")),
    }
}

/// One `INSERT INTO <name> (cols) VALUES (…);` per object (a list's objects in order); a
/// string is written as a comment. The table is the written variable's name.
pub(super) fn sql(v: &Value, name: &str) -> String {
    let insert = |x: &Value| {
        let e = sorted_entries(x)?;
        let cols: Vec<&str> = e.iter().map(|(k, _)| *k).collect();
        let vals: Vec<String> = e.iter().map(|(_, x)| sql_literal(x)).collect();
        Some(format!(
            "INSERT INTO {name} ({}) VALUES ({});",
            cols.join(", "),
            vals.join(", ")
        ))
    };
    match v {
        Value::List(l) => l.iter().filter_map(insert).collect::<Vec<_>>().join("\n"),
        Value::Object(_) => insert(v).unwrap_or_default(),
        other => format!("-- {}", cell(other).replace('\n', " ")),
    }
}

/// `<now>: message` lines: a list's elements one per line, anything else one line.
pub(super) fn log(v: &Value, now: &str) -> String {
    match v {
        Value::List(l) => l
            .iter()
            .map(|x| format!("{now}: {}", cell(x)))
            .collect::<Vec<_>>()
            .join("\n"),
        other => format!("{now}: {}", cell(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::from_json;

    #[test]
    fn tables_inserts_and_lines() {
        let users = from_json(r#"[{"id":1,"name":"A|B"},{"id":2,"name":"O'Neil"}]"#).unwrap();
        assert_eq!(
            markdown(&users),
            "| id | name |\n|---|---|\n| 1 | A\\|B |\n| 2 | O'Neil |"
        );
        assert!(html(&users).contains("<tr><td>1</td><td>A|B</td></tr>"));
        assert_eq!(html(&Value::str("<h1>")), "&lt;h1&gt;");
        assert_eq!(
            sql(&users, "users"),
            "INSERT INTO users (id, name) VALUES (1, 'A|B');\nINSERT INTO users (id, name) VALUES (2, 'O''Neil');"
        );
        assert_eq!(log(&Value::str("up"), "T"), "T: up");
    }
}
