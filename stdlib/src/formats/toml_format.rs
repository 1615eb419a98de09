//! TOML files with the toml crate. A document whose only key holds an array of tables
//! (`[[users]]`) reads as that list, and a list of objects is written as `[[name]]` tables of
//! the written variable's name, so such a list round-trips. Keys are written sorted.

use crate::value::{format_float, Object, Value, MAX_NESTING};
use std::rc::Rc;

fn to_value(t: &toml::Value) -> Value {
    match t {
        toml::Value::String(s) => Value::str(s),
        toml::Value::Integer(i) => Value::Int(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::str(&d.to_string()),
        toml::Value::Array(a) => Value::list(a.iter().map(to_value).collect()),
        toml::Value::Table(t) => table(t),
    }
}

fn table(t: &toml::Table) -> Value {
    let mut o = Object::with_capacity(t.len());
    for (k, v) in t {
        o.insert(Rc::from(k.as_str()), to_value(v));
    }
    Value::Object(Rc::new(o))
}

pub(super) fn decode(text: &str) -> Result<Value, String> {
    let t: toml::Table = text.parse().map_err(|e| format!("TOML: {e}"))?;
    if t.len() == 1 {
        if let Some((_, toml::Value::Array(a))) = t.iter().next() {
            if !a.is_empty() && a.iter().all(toml::Value::is_table) {
                return Ok(Value::list(a.iter().map(to_value).collect()));
            }
        }
    }
    Ok(table(&t))
}

fn to_toml(v: &Value, depth: usize) -> Option<toml::Value> {
    if depth > MAX_NESTING {
        return Some(toml::Value::String("…".into()));
    }
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => toml::Value::Boolean(*b),
        Value::Int(i) => toml::Value::Integer(*i),
        Value::Float(f) => toml::Value::Float(*f),
        Value::Str(s) => toml::Value::String(s.to_string()),
        Value::Bytes(b) => toml::Value::String(String::from_utf8_lossy(b).into_owned()),
        Value::Stream(s) => toml::Value::String(crate::value::stream::describe(s)),
        Value::List(l) => {
            toml::Value::Array(l.iter().filter_map(|x| to_toml(x, depth + 1)).collect())
        }
        Value::Object(o) => toml::Value::Table(
            o.entries
                .iter()
                .filter_map(|(k, x)| Some((k.to_string(), to_toml(x, depth + 1)?)))
                .collect(),
        ),
    })
}

pub(super) fn encode(v: &Value, name: &str) -> Result<String, String> {
    let doc = match v {
        Value::Object(_) => to_toml(v, 0),
        Value::List(_) => {
            let name = if name.is_empty() { "items" } else { name };
            let mut t = toml::Table::new();
            if let Some(a) = to_toml(v, 1) {
                t.insert(name.to_string(), a);
            }
            Some(toml::Value::Table(t))
        }
        Value::Float(f) => return Ok(format_float(*f)),
        other => return Ok(super::cell(other)),
    };
    let Some(toml::Value::Table(t)) = doc else {
        return Ok(String::new());
    };
    let text = toml::to_string(&t).map_err(|e| format!("TOML: {e}"))?;
    Ok(text.trim_end_matches('\n').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::from_json;

    #[test]
    fn tables_and_arrays_of_tables_round_trip() {
        let users = from_json(r#"[{"id":1,"name":"A"},{"id":2,"name":"B"}]"#).unwrap();
        let text = encode(&users, "users").unwrap();
        assert_eq!(
            text,
            "[[users]]\nid = 1\nname = \"A\"\n\n[[users]]\nid = 2\nname = \"B\""
        );
        assert_same!(decode(&text).unwrap(), users);
        let cfg = decode("title = \"x\"\n[server]\nport = 8080\n").unwrap();
        assert_same!(
            cfg,
            from_json(r#"{"server":{"port":8080},"title":"x"}"#).unwrap()
        );
        assert!(decode("a = ").unwrap_err().starts_with("TOML:"));
    }
}
