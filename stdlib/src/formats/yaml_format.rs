//! YAML files with yaml-rust2's parser (the one the compiler uses for contracts): anchors,
//! aliases, flow and block styles; a syntax error names its line and column. Aliases share the
//! anchored value, and a document that expands to more than [`MAX_YAML_NODES`] nodes (a
//! "billion laughs") is an error. Written YAML has sorted keys and no `---` line.

use crate::value::{format_float, Object, Value, MAX_NESTING};
use std::rc::Rc;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};
use yaml_rust2::{yaml::Hash, Yaml, YamlEmitter};

/// Nodes a document may expand to, aliases counted at their full size.
pub(super) const MAX_YAML_NODES: usize = 1_000_000;

enum Frame {
    Seq(Vec<Value>, usize, usize),
    Map(Object, Option<Rc<str>>, usize, usize),
}

/// Builds values from parser events; every node counts towards [`MAX_YAML_NODES`] as often as
/// it is reachable.
#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: std::collections::HashMap<usize, (Value, usize)>,
    nodes: usize,
    root: Option<Value>,
    error: Option<String>,
}

impl Builder {
    fn scalar(text: String, style: TScalarStyle) -> Value {
        if style != TScalarStyle::Plain {
            return Value::Str(text.into());
        }
        match Yaml::from_str(&text) {
            Yaml::Integer(i) => Value::Int(i),
            Yaml::Real(r) => r.parse().map_or(Value::Str(text.into()), Value::Float),
            Yaml::Boolean(b) => Value::Bool(b),
            Yaml::Null => Value::Null,
            _ => Value::Str(text.into()),
        }
    }

    /// Adds a finished node (of `size` nodes) to its parent, or makes it the root.
    fn push(&mut self, v: Value, size: usize, anchor: usize) {
        self.nodes = self.nodes.saturating_add(size);
        if self.nodes > MAX_YAML_NODES {
            self.error.get_or_insert_with(|| {
                format!("YAML: expands to more than {MAX_YAML_NODES} nodes")
            });
            return;
        }
        if anchor > 0 {
            self.anchors.insert(anchor, (v.clone(), size));
        }
        match self.stack.last_mut() {
            Some(Frame::Seq(items, total, _)) => {
                items.push(v);
                *total += size;
            }
            Some(Frame::Map(obj, key, total, _)) => {
                *total += size;
                match key.take() {
                    Some(k) => obj.insert(k, v),
                    None => match &v {
                        Value::Str(s) => *key = Some(s.clone()),
                        Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null => {
                            *key = Some(Rc::from(crate::value::to_description(&v)))
                        }
                        _ => {
                            self.error
                                .get_or_insert_with(|| "YAML: a key must be a scalar".into());
                        }
                    },
                }
            }
            None => {
                if self.root.is_none() {
                    self.root = Some(v);
                }
            }
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, _mark: Marker) {
        if self.error.is_some() {
            return;
        }
        if self.stack.len() > MAX_NESTING {
            self.error = Some(format!("YAML: nested deeper than {MAX_NESTING} levels"));
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, _) => {
                self.push(Self::scalar(text, style), 1, anchor)
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some((v, size)) => self.push(v, size, 0),
                None => self.error = Some("YAML: an alias names no anchor".into()),
            },
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(Vec::new(), 1, anchor)),
            Event::MappingStart(anchor, _) => {
                self.stack
                    .push(Frame::Map(Object::default(), None, 1, anchor))
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq(items, size, anchor)) => {
                    self.push(Value::list(items), size, anchor)
                }
                Some(Frame::Map(obj, _, size, anchor)) => {
                    self.push(Value::Object(Rc::new(obj)), size, anchor)
                }
                None => {}
            },
            _ => {}
        }
    }
}

pub(super) fn decode(text: &str) -> Result<Value, String> {
    let mut b = Builder::default();
    Parser::new_from_str(text)
        .load(&mut b, false)
        .map_err(|e| format!("YAML: {e}"))?;
    match b.error {
        Some(e) => Err(e),
        None => Ok(b.root.unwrap_or(Value::Null)),
    }
}

fn to_yaml(v: &Value, depth: usize) -> Yaml {
    if depth > MAX_NESTING {
        return Yaml::String("…".into());
    }
    match v {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Int(i) => Yaml::Integer(*i),
        Value::Float(f) => Yaml::Real(format_float(*f)),
        Value::Str(s) => Yaml::String(s.to_string()),
        Value::Bytes(b) => Yaml::String(String::from_utf8_lossy(b).into_owned()),
        Value::Stream(s) => Yaml::String(crate::value::stream::describe(s)),
        Value::List(l) => Yaml::Array(l.iter().map(|x| to_yaml(x, depth + 1)).collect()),
        Value::Object(o) => {
            let mut h = Hash::new();
            for (k, x) in o.sorted() {
                h.insert(Yaml::String(k.to_string()), to_yaml(x, depth + 1));
            }
            Yaml::Hash(h)
        }
    }
}

pub(super) fn encode(v: &Value) -> Result<String, String> {
    let mut out = String::new();
    YamlEmitter::new(&mut out)
        .dump(&to_yaml(v, 0))
        .map_err(|e| format!("YAML: {e}"))?;
    Ok(out
        .strip_prefix("---\n")
        .or_else(|| out.strip_prefix("--- "))
        .unwrap_or(&out)
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::from_json;

    #[test]
    fn anchors_flow_lists_and_sorted_output() {
        let v = decode("base: &b\n  port: 80\nweb: *b\nlist: [1, two]\n").unwrap();
        assert_same!(
            v.member("list").unwrap(),
            from_json(r#"[1,"two"]"#).unwrap()
        );
        assert_same!(
            v.member("web").unwrap(),
            from_json(r#"{"port":80}"#).unwrap()
        );
        let out =
            encode(&from_json(r#"{"name":"Alice","age":30,"tags":["a:b"]}"#).unwrap()).unwrap();
        assert_same!(
            decode(&out).unwrap(),
            from_json(r#"{"age":30,"name":"Alice","tags":["a:b"]}"#).unwrap()
        );
        assert!(out.starts_with("age: 30\nname: Alice\n"), "{out}");
        assert!(decode("a: [1, 2").unwrap_err().starts_with("YAML:"));
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        assert!(decode(&bomb).unwrap_err().contains("more than"));
    }
}
