//! The repositories' equality indexes answer exactly what a scan with `equals` answers, in the
//! same order, through any sequence of stores (new rows, updates, upserts by `name`) and deletes,
//! with ids and values of mixed types (`1`, `"1"`, `1.0`, `"true"`, `true`).

use arovm_stdlib::repository::Repositories;
use arovm_stdlib::value::{equals, Value};
use proptest::prelude::*;
use std::rc::Rc;

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0i64..6).prop_map(Value::Int),
        (0i64..6).prop_map(|i| Value::Float(i as f64)),
        (0i64..6).prop_map(|i| Value::str(&i.to_string())),
        prop::sample::select(vec!["a", "b", " 2 ", "true", "x"]).prop_map(Value::str),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    StoreWithId(Value, Value),
    StoreNamed(Value, Value),
    Delete(Value),
    Lookup(&'static str, Value),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (scalar(), scalar()).prop_map(|(id, v)| Op::StoreWithId(id, v)),
        (scalar(), scalar()).prop_map(|(n, v)| Op::StoreNamed(n, v)),
        scalar().prop_map(Op::Delete),
        (prop::sample::select(vec!["id", "name", "v"]), scalar())
            .prop_map(|(f, v)| Op::Lookup(f, v)),
    ]
}

fn obj(fields: &[(&str, Value)]) -> Value {
    Value::object(
        fields
            .iter()
            .map(|(k, v)| (Rc::from(*k), v.clone()))
            .collect(),
    )
}

proptest! {
    #[test]
    fn indexed_lookups_equal_a_scan(ops in prop::collection::vec(op(), 1..60)) {
        let mut repos = Repositories::default();
        let mut n = 0;
        for op in ops {
            match op {
                Op::StoreWithId(id, v) => {
                    repos.store("r", obj(&[("id", id), ("v", v)]), || unreachable!());
                }
                Op::StoreNamed(name, v) => {
                    n += 1;
                    let id = format!("gen-{n}");
                    repos.store("r", obj(&[("name", name), ("v", v)]), || id);
                }
                Op::Delete(v) => {
                    let pred = |x: &Value| equals(x, &v);
                    repos.delete("r", Some(("v", &pred)));
                }
                Op::Lookup(field, v) => {
                    let scan: Vec<Value> = repos
                        .rows("r")
                        .iter()
                        .filter(|r| r.member(field).is_some_and(|x| equals(&x, &v)))
                        .cloned()
                        .collect();
                    let indexed = repos.equal("r", field, &v);
                    prop_assert_eq!(indexed.len(), scan.len());
                    for (a, b) in indexed.iter().zip(scan.iter()) {
                        prop_assert!(equals(a, b));
                    }
                }
            }
        }
        // A store with an id present updates that row: ids stay unique.
        let ids: Vec<Value> = repos.rows("r").iter().filter_map(|r| r.member("id")).collect();
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                prop_assert!(!equals(a, b), "two rows share an id");
            }
        }
    }
}

#[test]
fn two_hundred_thousand_stores_with_ids_finish() {
    // With the old scan per store this loop did 2·10^10 comparisons and never finished in a
    // test run; with the id index each store is one lookup.
    let mut repos = Repositories::default();
    for i in 0..200_000i64 {
        repos.store(
            "notes",
            obj(&[("id", Value::Int(i)), ("t", Value::Int(i))]),
            || unreachable!(),
        );
    }
    // Every id is found by index, and an update keeps the row count.
    assert_eq!(repos.equal("notes", "id", &Value::str("199999")).len(), 1);
    repos.store(
        "notes",
        obj(&[("id", Value::Int(7)), ("t", Value::Int(0))]),
        || unreachable!(),
    );
    assert_eq!(repos.rows("notes").len(), 200_000);
}
