//! In-memory repositories (`<name-repository>`): insertion-ordered rows, ids, where-matching, and the
//! change records observers receive. Pure data: the host decides when observers run.

use crate::value::{equals, Object, Value};
use std::collections::HashMap;
use std::rc::Rc;

/// What a store did to one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new row.
    Created,
    /// An existing row was replaced.
    Updated,
    /// Nothing changed (identical value).
    Unchanged,
}

/// A field name and a predicate on that field's value.
pub type RowFilter<'a> = (&'a str, &'a dyn Fn(&Value) -> bool);

/// One repository.
#[derive(Debug, Default)]
pub struct Repository {
    /// Rows in insertion order.
    pub rows: Vec<Value>,
}

/// All repositories of an application, by name.
#[derive(Debug, Default)]
pub struct Repositories {
    map: HashMap<String, Repository>,
}

fn id_of(v: &Value) -> Option<Value> {
    match v {
        Value::Object(o) => o.get("id").cloned(),
        _ => None,
    }
}

impl Repositories {
    /// The repository called `name` (created empty on first use).
    pub fn get(&mut self, name: &str) -> &mut Repository {
        self.map.entry(name.to_string()).or_default()
    }

    /// Rows of a repository (empty if it never existed).
    pub fn rows(&self, name: &str) -> &[Value] {
        self.map.get(name).map_or(&[], |r| r.rows.as_slice())
    }

    /// Stores one item; objects without `id` get `new_id`. Returns the stored value, the change,
    /// and the previous value for updates.
    pub fn store(
        &mut self,
        name: &str,
        item: Value,
        new_id: impl FnOnce() -> String,
    ) -> (Value, Change, Option<Value>) {
        let repo = self.get(name);
        match item {
            Value::Object(ref o) => {
                if let Some(id) = o.get("id") {
                    if let Some(i) = repo
                        .rows
                        .iter()
                        .position(|r| id_of(r).is_some_and(|x| equals(&x, id)))
                    {
                        if equals(&repo.rows[i], &item) {
                            return (item, Change::Unchanged, None);
                        }
                        let old = std::mem::replace(&mut repo.rows[i], item.clone());
                        return (item, Change::Updated, Some(old));
                    }
                    repo.rows.push(item.clone());
                    return (item, Change::Created, None);
                }
                // No id: a row with the same `name` (else `key`) is updated in place (upsert).
                let natural = ["name", "key"]
                    .into_iter()
                    .find_map(|k| o.get(k).map(|v| (k, v.clone())));
                if let Some((k, v)) = natural {
                    if let Some(i) = repo
                        .rows
                        .iter()
                        .position(|r| r.member(k).is_some_and(|x| equals(&x, &v)))
                    {
                        let mut merged: Object = (**o).clone();
                        if let Some(id) = id_of(&repo.rows[i]) {
                            merged.insert(Rc::from("id"), id);
                        }
                        let new = Value::Object(Rc::new(merged));
                        let old = std::mem::replace(&mut repo.rows[i], new.clone());
                        return (new, Change::Updated, Some(old));
                    }
                }
                let mut obj: Object = (**o).clone();
                let mut ordered = Object::default();
                ordered.insert(Rc::from("id"), Value::str(&new_id()));
                for (k, v) in obj.entries.drain(..) {
                    ordered.insert(k, v);
                }
                let v = Value::Object(Rc::new(ordered));
                repo.rows.push(v.clone());
                (v, Change::Created, None)
            }
            other => {
                if repo.rows.iter().any(|r| equals(r, &other)) {
                    return (other, Change::Unchanged, None);
                }
                repo.rows.push(other.clone());
                (other, Change::Created, None)
            }
        }
    }

    /// Rows whose `field` satisfies `pred`.
    pub fn matching(&self, name: &str, field: &str, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        self.rows(name)
            .iter()
            .filter(|r| r.member(field).is_some_and(|v| pred(&v)))
            .cloned()
            .collect()
    }

    /// Removes rows matching (or all rows when `field` is None); returns them.
    pub fn delete(&mut self, name: &str, filter: Option<RowFilter>) -> Vec<Value> {
        let repo = self.get(name);
        let mut removed = Vec::new();
        repo.rows.retain(|r| {
            let hit = match filter {
                None => true,
                Some((field, pred)) => r.member(field).is_some_and(|v| pred(&v)),
            };
            if hit {
                removed.push(r.clone());
            }
            !hit
        });
        removed
    }
}
