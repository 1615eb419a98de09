//! An object parsed from JSON text keeps that text only while it is unchanged: cloning keeps
//! it, every change drops it (so a forwarded message is never stale bytes).

use arovm_stdlib::value::{from_json, keep_json_source, Value};
use std::rc::Rc;

fn parsed(text: &str) -> Value {
    let text: Rc<str> = Rc::from(text);
    keep_json_source(from_json(&text).expect("json"), &text)
}

fn source(v: &Value) -> Option<String> {
    match v {
        Value::Object(o) => o.source().map(|s| s.to_string()),
        _ => None,
    }
}

#[test]
fn a_parsed_object_keeps_its_text_through_clones() {
    let v = parsed("{ \"b\": 1, \"a\": \"x/y\" }");
    assert_eq!(source(&v).as_deref(), Some("{ \"b\": 1, \"a\": \"x/y\" }"));
    assert_eq!(source(&v.clone()), source(&v));
    // Parsing alone keeps nothing; a list is not an object.
    assert_eq!(source(&from_json("{\"a\":1}").unwrap()), None);
    assert!(matches!(parsed("[1, 2]"), Value::List(_)));
}

#[test]
fn every_change_drops_the_text() {
    let v = parsed("{\"a\": 1, \"b\": 2}");
    let Value::Object(o) = &v else {
        panic!("object")
    };
    let mut inserted = (**o).clone();
    inserted.insert(Rc::from("c"), Value::Int(3));
    assert!(inserted.source().is_none());
    let mut replaced = (**o).clone();
    replaced.insert(Rc::from("a"), Value::Int(1));
    assert!(
        replaced.source().is_none(),
        "even an insert of an equal value"
    );
    let mut removed = (**o).clone();
    removed.remove("a");
    assert!(removed.source().is_none());
    let mut missing = (**o).clone();
    missing.remove("zzz");
    assert!(
        missing.source().is_some(),
        "removing nothing changes nothing"
    );
}
