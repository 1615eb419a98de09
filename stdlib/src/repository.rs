//! In-memory repositories (`<name-repository>`): insertion-ordered rows, ids, where-matching, and the
//! change records observers receive. Pure data: the host decides when observers run.
//!
//! Equality lookups (a `Store` finding the row with the same `id`, `name` or `key`; `Retrieve …
//! where <field> is <v>`) go through per-field indexes built on first use and kept up to date by
//! every store, so they cost O(1) instead of a scan; a delete drops the indexes (rebuilt lazily).

use crate::value::{equals, Object, Value};
use std::collections::HashMap;
use std::rc::Rc;

/// A value's equality class: two values that `equals` calls equal always have the same key
/// (numbers and numeric strings by their f64, `true`/`"true"` alike); values with the same key
/// may still differ, so every hit is checked with `equals`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Null,
    Num(u64),
    Text(Rc<str>),
}

fn key_of(v: &Value) -> Option<Key> {
    let num = |f: f64| {
        // -0.0 equals 0.0; NaN equals nothing (any key will do: the check rejects it).
        let f = if f == 0.0 { 0.0 } else { f };
        Key::Num(f.to_bits())
    };
    Some(match v {
        Value::Null => Key::Null,
        Value::Int(i) => num(*i as f64),
        Value::Float(f) => num(*f),
        Value::Bool(b) => Key::Text(Rc::from(if *b { "true" } else { "false" })),
        Value::Str(s) => match s.trim().parse::<f64>() {
            Ok(f) => num(f),
            Err(_) => Key::Text(s.clone()),
        },
        _ => return None,
    })
}

/// Row positions (ascending) by key, for one field; a key held by one or two rows (an id)
/// needs no allocation of its own.
type FieldIndex = HashMap<Key, smallvec::SmallVec<[usize; 2]>>;

fn build_index(rows: &[Value], field: &str) -> FieldIndex {
    let mut idx = FieldIndex::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(k) = r.member(field).as_ref().and_then(key_of) {
            idx.entry(k).or_default().push(i);
        }
    }
    idx
}

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
    /// the rows only while a reader still holds the old list. Changed only through
    /// [`Repositories`], which keeps the indexes in step.
    pub rows: Rc<Vec<Value>>,
    /// Equality indexes by field name, built on first use.
    indexes: HashMap<Rc<str>, FieldIndex>,
}

impl Repository {
    /// Positions of the rows whose `field` equals `v` (ascending), through the field's index.
    fn positions(&mut self, field: &str, v: &Value) -> Vec<usize> {
        let Some(k) = key_of(v) else {
            return self.scan(field, v);
        };
        if !self.indexes.contains_key(field) {
            let idx = build_index(&self.rows, field);
            self.indexes.insert(Rc::from(field), idx);
        }
        let rows = &self.rows;
        self.indexes
            .get(field)
            .and_then(|idx| idx.get(&k))
            .map(|ps| {
                ps.iter()
                    .copied()
                    .filter(|&i| rows[i].member(field).is_some_and(|x| equals(&x, v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn scan(&self, field: &str, v: &Value) -> Vec<usize> {
        (0..self.rows.len())
            .filter(|&i| self.rows[i].member(field).is_some_and(|x| equals(&x, v)))
            .collect()
    }

    /// Appends a row, indexing it.
    fn push(&mut self, row: Value) {
        let i = self.rows.len();
        for (field, idx) in self.indexes.iter_mut() {
            if let Some(k) = row.member(field).as_ref().and_then(key_of) {
                idx.entry(k).or_default().push(i);
            }
        }
        Rc::make_mut(&mut self.rows).push(row);
    }

    /// Replaces row `i`, moving it between index entries; returns the old row.
    fn replace(&mut self, i: usize, row: Value) -> Value {
        for (field, idx) in self.indexes.iter_mut() {
            let old = self.rows[i].member(field).as_ref().and_then(key_of);
            let new = row.member(field).as_ref().and_then(key_of);
            if old == new {
                continue;
            }
            if let Some(ps) = old.and_then(|k| idx.get_mut(&k)) {
                ps.retain(|p| *p != i);
            }
            if let Some(k) = new {
                let ps = idx.entry(k).or_default();
                let at = ps.partition_point(|&p| p < i);
                ps.insert(at, i);
            }
        }
        std::mem::replace(&mut Rc::make_mut(&mut self.rows)[i], row)
    }
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
        let repo = self.get(name);
        match item {
            Value::Object(ref o) => {
                if let Some(id) = o.get("id") {
                    if let Some(&i) = repo.positions("id", id).first() {
                        if equals(&repo.rows[i], &item) {
                            return (item, Change::Unchanged, None);
                        }
                        let old = repo.replace(i, item.clone());
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
                    if let Some(&i) = repo.positions(k, &v).first() {
                        let mut merged: Object = (**o).clone();
                        if let Some(id) = id_of(&repo.rows[i]) {
                            merged.insert(Rc::from("id"), id);
                        }
                        let new = Value::Object(Rc::new(merged));
                        let old = repo.replace(i, new.clone());
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
                if repo.rows.iter().any(|r| equals(r, &other)) {
                    return (other, Change::Unchanged, None);
                }
                repo.push(other.clone());
                (other, Change::Created, None)
            }
        }
    }

    /// Rows whose `field` equals `v`, in insertion order (through the field's index).
    pub fn equal(&mut self, name: &str, field: &str, v: &Value) -> Vec<Value> {
        let repo = self.get(name);
        repo.positions(field, v)
            .into_iter()
            .map(|i| repo.rows[i].clone())
            .collect()
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
        repo.indexes.clear(); // positions move: rebuilt on the next lookup
        let rows = Rc::make_mut(&mut repo.rows);
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
