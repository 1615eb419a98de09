//! The repositories' equality indexes change nothing but speed: through any sequence of stores
//! (new rows, updates, upserts by `name`), deletes and lookups, with ids and values of mixed
//! types (`1`, `"1"`, `" 2 "`, `1.0`, `"true"`, `true`), the rows and every lookup are what the
//! old scan with `equals` gave (a model of it runs beside).

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

/// The repository as it was before the indexes: a scan with `equals` for every lookup.
#[derive(Default)]
struct Model {
    rows: Vec<Value>,
}

impl Model {
    fn position(&self, field: &str, v: &Value) -> Option<usize> {
        self.rows
            .iter()
            .position(|r| r.member(field).is_some_and(|x| equals(&x, v)))
    }

    fn store_with_id(&mut self, row: Value, id: &Value) {
        match self.position("id", id) {
            // An equal row (loosely: `" 2 "` equals `2.0`) stays as it was.
            Some(i) if equals(&self.rows[i], &row) => {}
            Some(i) => self.rows[i] = row,
            None => self.rows.push(row),
        }
    }

    fn store_named(&mut self, name: &Value, v: &Value, new_id: String) {
        match self.position("name", name) {
            Some(i) => {
                let id = self.rows[i].member("id").unwrap_or_default();
                self.rows[i] = obj(&[("name", name.clone()), ("v", v.clone()), ("id", id)]);
            }
            None => self.rows.push(obj(&[
                ("id", Value::str(&new_id)),
                ("name", name.clone()),
                ("v", v.clone()),
            ])),
        }
    }
}

proptest! {
    #[test]
    fn indexed_repositories_behave_as_the_scan_did(ops in prop::collection::vec(op(), 1..60)) {
        let mut repos = Repositories::default();
        let mut model = Model::default();
        let mut n = 0;
        for op in ops {
            match op {
                Op::StoreWithId(id, v) => {
                    let row = obj(&[("id", id.clone()), ("v", v)]);
                    repos.store("r", row.clone(), || unreachable!());
                    model.store_with_id(row, &id);
                }
                Op::StoreNamed(name, v) => {
                    n += 1;
                    let id = format!("gen-{n}");
                    repos.store("r", obj(&[("name", name.clone()), ("v", v.clone())]), || id.clone());
                    model.store_named(&name, &v, id);
                }
                Op::Delete(v) => {
                    let pred = |x: &Value| equals(x, &v);
                    repos.delete("r", Some(("v", &pred)));
                    model.rows.retain(|r| !r.member("v").is_some_and(|x| equals(&x, &v)));
                }
                Op::Lookup(field, v) => {
                    let scan: Vec<&Value> = model
                        .rows
                        .iter()
                        .filter(|r| r.member(field).is_some_and(|x| equals(&x, &v)))
                        .collect();
                    let indexed = repos.equal("r", field, &v);
                    prop_assert_eq!(indexed.len(), scan.len());
                    for (a, b) in indexed.iter().zip(scan) {
                        prop_assert!(equals(a, b));
                    }
                }
            }
            prop_assert_eq!(repos.rows("r").len(), model.rows.len());
            for (a, b) in repos.rows("r").iter().zip(model.rows.iter()) {
                for field in ["id", "name", "v"] {
                    let (x, y) = (a.member(field), b.member(field));
                    prop_assert!(x.is_some() == y.is_some(), "field {} present in one only", field);
                    if let (Some(x), Some(y)) = (x, y) {
                        prop_assert!(equals(&x, &y), "{}: {:?} vs {:?}", field, x, y);
                    }
                }
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
