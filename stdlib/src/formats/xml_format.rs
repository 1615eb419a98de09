//! XML files with quick-xml. Reading: the root element is dropped; an element with child
//! elements becomes an object (a repeated name becomes a list; children all named `item` make
//! the element a list), an element with only text a typed scalar, attributes `@name` keys.
//! Writing: the `<?xml?>` prolog, the variable's name as the root element, objects' keys
//! sorted as child elements, list elements as `<item>`, two spaces per level.

use super::{cell, typed};
use crate::value::{Object, Value, MAX_NESTING};
use quick_xml::events::Event;
use std::rc::Rc;

struct Element {
    children: Vec<(Rc<str>, Value)>,
    text: String,
}

fn finish(e: Element) -> Value {
    if e.children.is_empty() {
        return if e.text.trim().is_empty() {
            Value::str("")
        } else {
            typed(&e.text)
        };
    }
    if e.children.iter().all(|(k, _)| &**k == "item") {
        return Value::list(e.children.into_iter().map(|(_, v)| v).collect());
    }
    // Repeated names collect their values in a list, in document order.
    let mut groups: Vec<(Rc<str>, Vec<Value>)> = Vec::new();
    for (k, v) in e.children {
        match groups.iter_mut().find(|(n, _)| *n == k) {
            Some((_, vs)) => vs.push(v),
            None => groups.push((k, vec![v])),
        }
    }
    let mut o = Object::with_capacity(groups.len());
    for (k, mut vs) in groups {
        let v = if vs.len() == 1 {
            vs.pop().unwrap_or_default()
        } else {
            Value::list(vs)
        };
        o.insert(k, v);
    }
    Value::Object(Rc::new(o))
}

/// A start tag's name and its attributes as `@name` children.
fn open(s: &quick_xml::events::BytesStart) -> Result<(Rc<str>, Element), String> {
    let name: Rc<str> = Rc::from(String::from_utf8_lossy(s.name().as_ref()).as_ref());
    let mut el = Element {
        children: Vec::new(),
        text: String::new(),
    };
    for a in s.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let value = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
        let key = format!("@{}", String::from_utf8_lossy(a.key.as_ref()));
        el.children.push((Rc::from(key), typed(&value)));
    }
    Ok((name, el))
}

fn close(stack: &mut Vec<Element>, names: &mut Vec<Rc<str>>, root: &mut Option<Value>) {
    let (Some(el), Some(name)) = (stack.pop(), names.pop()) else {
        return;
    };
    let v = finish(el);
    match stack.last_mut() {
        Some(parent) => parent.children.push((name, v)),
        None => *root = Some(v),
    }
}

pub(super) fn decode(text: &str) -> Result<Value, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut names: Vec<Rc<str>> = Vec::new();
    let mut root: Option<Value> = None;
    let err = |r: &quick_xml::Reader<&[u8]>, e: &dyn std::fmt::Display| -> String {
        format!("XML: at byte {}: {e}", r.buffer_position())
    };
    loop {
        let ev = reader.read_event().map_err(|e| err(&reader, &e))?;
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                let empty = matches!(ev, Event::Empty(_));
                let (name, el) = open(s).map_err(|e| err(&reader, &e))?;
                if stack.len() > MAX_NESTING {
                    return Err(format!("XML: nested deeper than {MAX_NESTING} levels"));
                }
                stack.push(el);
                names.push(name);
                if empty {
                    close(&mut stack, &mut names, &mut root);
                }
            }
            Event::End(_) => close(&mut stack, &mut names, &mut root),
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let t = t.decode().map_err(|e| err(&reader, &e))?;
                    top.text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| err(&reader, &e))? {
                    Some(c) => c.to_string(),
                    None => {
                        let name = r.decode().map_err(|e| err(&reader, &e))?;
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| err(&reader, &format!("unknown entity &{name};")))?
                            .to_string()
                    }
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&resolved);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return Err("XML: the document ends inside an element".into());
    }
    root.ok_or_else(|| "XML: no root element".to_string())
}

fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

fn element(name: &str, v: &Value, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    match v {
        Value::Object(o) if depth <= MAX_NESTING => {
            out.push_str(&format!("{pad}<{name}>\n"));
            for (k, x) in o.sorted() {
                element(k, x, depth + 1, out);
            }
            out.push_str(&format!("{pad}</{name}>\n"));
        }
        Value::List(l) if depth <= MAX_NESTING => {
            out.push_str(&format!("{pad}<{name}>\n"));
            for x in l.iter() {
                element("item", x, depth + 1, out);
            }
            out.push_str(&format!("{pad}</{name}>\n"));
        }
        other => out.push_str(&format!("{pad}<{name}>{}</{name}>\n", escape(&cell(other)))),
    }
}

pub(super) fn encode(v: &Value, name: &str) -> String {
    let name = if name.is_empty() { "root" } else { name };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    element(name, v, 0, &mut out);
    out.pop();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::from_json;

    #[test]
    fn elements_items_and_round_trip() {
        let users = from_json(r#"[{"id":1,"name":"A & B"},{"id":2,"name":"<C>"}]"#).unwrap();
        let text = encode(&users, "users");
        assert!(text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<users>\n  <item>\n    <id>1</id>\n    <name>A &amp; B</name>"), "{text}");
        assert_same!(decode(&text).unwrap(), users);
        let v = decode(
            "<cfg port=\"80\"><host>x</host><tag>a</tag><tag>b</tag><tag>c</tag><empty/></cfg>",
        )
        .unwrap();
        assert_same!(
            v,
            from_json(r#"{"@port":80,"host":"x","tag":["a","b","c"],"empty":""}"#).unwrap()
        );
        assert!(decode("<a><b></a>").is_err());
    }
}
