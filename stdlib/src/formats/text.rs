//! The two `key=value` formats: `.txt` (keys as written, nested objects as `outer.inner`,
//! list items as `[i]`) and `.env` (keys upper-cased and joined with `_`, lines sorted; `#`
//! comments, blank lines and `export ` read past, quotes around values removed).

use super::{cell, typed};
use crate::value::{Object, Value, MAX_NESTING};
use std::rc::Rc;

/// `key=value` lines as an object; a dotted key nests (`a.b=1` → `{a: {b: 1}}`); lines
/// without `=` are skipped.
pub(super) fn decode_pairs(text: &str) -> Value {
    let mut root = Object::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let path: Vec<&str> = k.trim().split('.').filter(|p| !p.is_empty()).collect();
        if path.is_empty() || path.len() > MAX_NESTING {
            continue;
        }
        insert_path(&mut root, &path, typed(v.trim()));
    }
    Value::Object(Rc::new(root))
}

fn insert_path(o: &mut Object, path: &[&str], v: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        o.insert(Rc::from(*first), v);
        return;
    }
    let mut child = match o.get(first) {
        Some(Value::Object(c)) => (**c).clone(),
        _ => Object::default(),
    };
    insert_path(&mut child, rest, v);
    o.insert(Rc::from(*first), Value::Object(Rc::new(child)));
}

fn pairs(prefix: &str, v: &Value, depth: usize, out: &mut Vec<String>) {
    match v {
        Value::Object(o) if depth < MAX_NESTING => {
            for (k, x) in o.sorted() {
                let key = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                pairs(&key, x, depth + 1, out);
            }
        }
        other => out.push(format!("{prefix}={}", cell(other))),
    }
}

/// Objects as `key=value` lines (sorted, nested keys dotted); a list as `[i]=v` / `[i].k=v`;
/// a string as it is.
pub(super) fn encode_pairs(v: &Value) -> String {
    let mut out = Vec::new();
    match v {
        Value::Object(_) => pairs("", v, 0, &mut out),
        Value::List(l) => {
            for (i, x) in l.iter().enumerate() {
                pairs(&format!("[{i}]"), x, 1, &mut out);
            }
        }
        other => return cell(other),
    }
    out.join("\n")
}

/// `.env` lines as an object of typed values.
pub(super) fn decode_env(text: &str) -> Value {
    let mut o = Object::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let unquoted = [('"', '"'), ('\'', '\'')]
            .iter()
            .find_map(|(a, b)| v.strip_prefix(*a).and_then(|x| x.strip_suffix(*b)));
        let value = match unquoted {
            Some(q) => Value::str(q),
            None => typed(v),
        };
        o.insert(Rc::from(k.trim()), value);
    }
    Value::Object(Rc::new(o))
}

fn env_lines(prefix: &str, v: &Value, depth: usize, out: &mut Vec<String>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}_{k}")
        }
    };
    match v {
        Value::Object(o) if depth < MAX_NESTING => {
            for (k, x) in o.sorted() {
                env_lines(&join(k), x, depth + 1, out);
            }
        }
        Value::List(l) if depth < MAX_NESTING => {
            for (i, x) in l.iter().enumerate() {
                env_lines(&join(&i.to_string()), x, depth + 1, out);
            }
        }
        other => out.push(format!("{}={}", prefix.to_ascii_uppercase(), cell(other))),
    }
}

/// An object as sorted `KEY=value` lines (nested keys joined with `_`).
pub(super) fn encode_env(v: &Value) -> String {
    let mut out = Vec::new();
    env_lines("", v, 0, &mut out);
    out.sort();
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::from_json;

    #[test]
    fn pairs_and_env() {
        let v = from_json(r#"{"host":"localhost","port":8080,"db":{"user":"x"}}"#).unwrap();
        let t = encode_pairs(&v);
        assert_eq!(t, "db.user=x\nhost=localhost\nport=8080");
        assert_same!(
            decode_pairs(&t),
            from_json(r#"{"db":{"user":"x"},"host":"localhost","port":8080}"#).unwrap()
        );
        let e = encode_env(
            &from_json(r#"{"database":{"host":"h","port":5432},"app_name":"X"}"#).unwrap(),
        );
        assert_eq!(e, "APP_NAME=X\nDATABASE_HOST=h\nDATABASE_PORT=5432");
        let r = decode_env("# c\nexport A=1\nB=\"two words\"\n\nC='x=y'\n");
        assert_same!(
            r,
            from_json(r#"{"A":1,"B":"two words","C":"x=y"}"#).unwrap()
        );
    }
}
