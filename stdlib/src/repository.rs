//! In-memory repositories (`<name-repository>`): insertion-ordered rows, ids, where-matching, and the
//! change records observers receive. Pure data: the host decides when observers run.
//!
//! Equality lookups (a `Store` finding the row with the same `id`, `name` or `key`; `Retrieve …
//! where <field> is <v>`) go through per-field indexes built on first use and kept up to date by
//! every store, so they cost O(1) instead of a scan; a delete drops the indexes (rebuilt lazily).
//!
//! Limits (the Guide's repository memory limits): `maxSize` evicts the oldest row when a store
//! adds one past it (O(rows) per eviction: meant for logs and caches of modest size); `ttl` hides
//! rows older than that many seconds from every read.

use crate::value::{equals, Object, Value};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

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
    /// Equality indexes by field name, built on first use (a few fields: searched in order,
    /// cheaper than hashing the name on every store).
    indexes: Vec<(Rc<str>, FieldIndex)>,
    /// `maxSize`: a store past it evicts the oldest row.
    max_size: Option<usize>,
    /// `ttl`: rows older than this are not read.
    ttl: Option<Duration>,
    /// With a `ttl`: when each row was stored (parallel to `rows`).
    born: Vec<Instant>,
}

impl Repository {
    /// Positions of the rows whose `field` equals `v` (ascending), through the field's index.
    fn positions(&mut self, field: &str, v: &Value) -> Vec<usize> {
        let Some(k) = key_of(v) else {
            return self.scan(field, v);
        };
        let at = match self.indexes.iter().position(|(f, _)| &**f == field) {
            Some(at) => at,
            None => {
                let idx = build_index(&self.rows, field);
                self.indexes.push((Rc::from(field), idx));
                self.indexes.len() - 1
            }
        };
        let rows = &self.rows;
        self.indexes[at]
            .1
            .get(&k)
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

    /// True when row `i` is older than the repository's `ttl`.
    fn expired(&self, i: usize, now: Option<Instant>) -> bool {
        match (self.ttl, self.born.get(i), now) {
            (Some(ttl), Some(&born), Some(now)) => now.saturating_duration_since(born) > ttl,
            _ => false,
        }
    }

    /// Appends a row stored at `now` (kept only with a `ttl`), indexing it.
    fn push(&mut self, row: Value, now: Option<Instant>) {
        if let (Some(_), Some(now)) = (self.ttl, now) {
            self.born.push(now);
        }
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
    /// The clock `ttl` is measured with, given by the host (the stdlib reads no clock itself);
    /// without one a `ttl` cannot be configured.
    clock: Option<fn() -> Instant>,
    /// Some repository has a `ttl` (reads consult the clock only then).
    ttl_used: bool,
}

fn id_of(v: &Value) -> Option<Value> {
    match v {
        Value::Object(o) => o.get("id").cloned(),
        _ => None,
    }
}

impl Repositories {
    /// Empty repositories whose `ttl`s are measured with `clock`.
    pub fn with_clock(clock: fn() -> Instant) -> Repositories {
        Repositories {
            clock: Some(clock),
            ..Default::default()
        }
    }

    /// The time now by the host's clock, when some repository has a `ttl` (else never read).
    fn now(&self) -> Option<Instant> {
        self.clock.filter(|_| self.ttl_used).map(|c| c())
    }

    /// The time a store into `name` happens, when that repository has a `ttl`.
    fn ttl_clock(&self, name: &str) -> Option<Instant> {
        let ttl = self.map.get(name).and_then(|r| r.ttl);
        ttl.and(self.clock).map(|c| c())
    }

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

    /// The rows of a repository as a list value (O(1) without a `ttl`; empty if it never
    /// existed).
    pub fn list(&self, name: &str) -> Value {
        match self.map.get(name) {
            Some(r) if r.ttl.is_some() => {
                let now = self.now();
                Value::list(
                    (0..r.rows.len())
                        .filter(|&i| !r.expired(i, now))
                        .map(|i| r.rows[i].clone())
                        .collect(),
                )
            }
            Some(r) => Value::List(r.rows.clone()),
            None => Value::list(Vec::new()),
        }
    }

    /// `Configure the <name-repository: maxSize|ttl> with N`: sets a limit (ttl in seconds).
    pub fn configure(&mut self, name: &str, setting: &str, value: &Value) -> Result<(), String> {
        let number = match value {
            Value::Int(n) if *n >= 0 => *n as f64,
            Value::Float(f) if *f >= 0.0 && f.is_finite() => *f,
            other => {
                return Err(format!(
                "Invalid value '{}' for repository {setting}: a non-negative number is required",
                crate::value::to_display(other)
            ))
            }
        };
        let clock = self.clock;
        if setting == "ttl" && clock.is_some() {
            self.ttl_used = true;
        }
        let repo = self.get(name);
        match setting {
            "maxSize" => repo.max_size = Some(number as usize),
            "ttl" => {
                let Some(clock) = clock else {
                    return Err("a repository ttl needs the runtime's clock".into());
                };
                if repo.ttl.is_none() {
                    // Rows already stored count from now.
                    repo.born = vec![clock(); repo.rows.len()];
                }
                repo.ttl = Some(Duration::from_secs_f64(number));
            }
            other => {
                return Err(format!(
                    "Unsupported repository setting '{other}'. Supported: maxSize, ttl"
                ))
            }
        }
        Ok(())
    }

    /// After a store created a row: the oldest row, removed, when the repository is now over its
    /// `maxSize`.
    pub fn evict_over_limit(&mut self, name: &str) -> Option<Value> {
        let repo = self.map.get_mut(name)?;
        let max = repo.max_size?;
        if repo.rows.len() <= max || repo.rows.is_empty() {
            return None;
        }
        repo.indexes.clear(); // positions move: rebuilt on the next lookup
        if !repo.born.is_empty() {
            repo.born.remove(0);
        }
        Some(Rc::make_mut(&mut repo.rows).remove(0))
    }

    /// Stores one item; objects without `id` get `new_id`. Returns the stored value, the change,
    /// and the previous value for updates.
    pub fn store(
        &mut self,
        name: &str,
        item: Value,
        new_id: impl FnOnce() -> String,
    ) -> (Value, Change, Option<Value>) {
        let now = self.ttl_clock(name);
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
                    repo.push(item.clone(), now);
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
                repo.push(v.clone(), now);
                (v, Change::Created, None)
            }
            other => {
                if repo.rows.iter().any(|r| equals(r, &other)) {
                    return (other, Change::Unchanged, None);
                }
                repo.push(other.clone(), now);
                (other, Change::Created, None)
            }
        }
    }

    /// Rows whose `field` equals `v`, in insertion order (through the field's index).
    pub fn equal(&mut self, name: &str, field: &str, v: &Value) -> Vec<Value> {
        let now = self.now();
        let repo = self.get(name);
        let positions = repo.positions(field, v);
        positions
            .into_iter()
            .filter(|&i| !repo.expired(i, now))
            .map(|i| repo.rows[i].clone())
            .collect()
    }

    /// Rows whose `field` satisfies `pred`.
    pub fn matching(&self, name: &str, field: &str, pred: impl Fn(&Value) -> bool) -> Vec<Value> {
        let Some(repo) = self.map.get(name) else {
            return Vec::new();
        };
        let now = self.now();
        (0..repo.rows.len())
            .filter(|&i| !repo.expired(i, now))
            .map(|i| &repo.rows[i])
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
        let mut kept = Vec::with_capacity(repo.born.len());
        let mut i = 0;
        rows.retain(|r| {
            let hit = match filter {
                None => true,
                Some((field, pred)) => r.member(field).is_some_and(|v| pred(&v)),
            };
            if hit {
                removed.push(r.clone());
            } else if let Some(&b) = repo.born.get(i) {
                kept.push(b);
            }
            i += 1;
            !hit
        });
        if !repo.born.is_empty() {
            repo.born = kept;
        }
        removed
    }
}
