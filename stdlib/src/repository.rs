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
    /// Rows in insertion order, shared: reading a whole repository is O(1); a write copies
    /// the rows only while a reader still holds the old list.
    pub rows: Rc<Vec<Value>>,
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
    /// Every repository's name and number of entries (metrics).
    pub fn sizes(&self) -> impl Iterator<Item = (&str, usize)> {
        self.map.iter().map(|(k, r)| (k.as_str(), r.rows.len()))
    }

    /// The repository called `name` (created empty on first use).
    pub fn get(&mut self, name: &str) -> &mut Repository {
        self.map.entry(name.to_string()).or_default()
    }

    /// Rows of a repository (empty if it never existed).
    pub fn rows(&self, name: &str) -> &[Value] {
        self.map.get(name).map_or(&[], |r| r.rows.as_slice())
    }

    /// The rows of a repository as a list value (O(1); empty if it never existed).
    pub fn list(&self, name: &str) -> Value {
        match self.map.get(name) {
            Some(r) => Value::List(r.rows.clone()),
            None => Value::list(Vec::new()),
        }
    }

    /// Stores one item; objects without `id` get `new_id`. Returns the stored value, the change,
    /// and the previous value for updates.
    pub fn store(
        &mut self,
        name: &str,
        item: Value,
        new_id: impl FnOnce() -> String,
    ) -> (Value, Change, Option<Value>) {
        let repo = Rc::make_mut(&mut self.get(name).rows);
        match item {
            Value::Object(ref o) => {
                if let Some(id) = o.get("id") {
                    if let Some(i) = repo
                        .iter()
                        .position(|r| id_of(r).is_some_and(|x| equals(&x, id)))
                    {
                        if equals(&repo[i], &item) {
                            return (item, Change::Unchanged, None);
                        }
                        let old = std::mem::replace(&mut repo[i], item.clone());
                        return (item, Change::Updated, Some(old));
                    }
                    repo.push(item.clone());
                    return (item, Change::Created, None);
                }
                // No id: a row with the same `name` (else `key`) is updated in place (upsert).
                let natural = ["name", "key"]
                    .into_iter()
                    .find_map(|k| o.get(k).map(|v| (k, v.clone())));
                if let Some((k, v)) = natural {
                    if let Some(i) = repo
                        .iter()
                        .position(|r| r.member(k).is_some_and(|x| equals(&x, &v)))
                    {
                        let mut merged: Object = (**o).clone();
                        if let Some(id) = id_of(&repo[i]) {
                            merged.insert(Rc::from("id"), id);
                        }
                        let new = Value::Object(Rc::new(merged));
                        let old = std::mem::replace(&mut repo[i], new.clone());
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
                repo.push(v.clone());
                (v, Change::Created, None)
            }
            other => {
                if repo.iter().any(|r| equals(r, &other)) {
                    return (other, Change::Unchanged, None);
                }
                repo.push(other.clone());
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
        let rows = Rc::make_mut(&mut self.get(name).rows);
        let mut removed = Vec::new();
        rows.retain(|r| {
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
