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
use smallvec::SmallVec;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// A value's equality class as a 64-bit fingerprint: two values that `equals` calls equal always
/// have the same fingerprint (numbers and numeric strings by their f64, `true`/`"true"` alike);
/// values with the same fingerprint may still differ, so every hit is checked with `equals`.
/// Hashed with foldhash, seeded per index at random (keys come from clients: no chosen collisions).
fn fingerprint(seed: &foldhash::fast::RandomState, v: &Value) -> Option<u64> {
    let num = |f: f64| {
        // -0.0 equals 0.0; NaN equals nothing (any fingerprint will do: the check rejects it).
        let f = if f == 0.0 { 0.0 } else { f };
        seed.hash_one((1u8, f.to_bits()))
    };
    let text = |s: &str| seed.hash_one((2u8, s));
    Some(match v {
        Value::Null => seed.hash_one(0u8),
        Value::Int(i) => num(*i as f64),
        Value::Float(f) => num(*f),
        Value::Bool(b) => text(if *b { "true" } else { "false" }),
        Value::Str(s) => match s.trim().parse::<f64>() {
            Ok(f) => num(f),
            Err(_) => text(s),
        },
        _ => return None,
    })
}

/// The positions (ascending) of the rows in one equality class; one row (an id) needs no
/// allocation. Positions are u32: four billion rows do not fit in a process anyway.
#[derive(Debug)]
enum Slots {
    One(u32),
    /// Boxed so that a class is 16 bytes, not 24: most classes (ids) hold one row.
    #[allow(clippy::box_collection)]
    Many(Box<Vec<u32>>),
}

impl Slots {
    fn as_slice(&self) -> &[u32] {
        match self {
            Slots::One(p) => std::slice::from_ref(p),
            Slots::Many(ps) => ps,
        }
    }

    /// Adds `p` in order.
    fn insert(&mut self, p: u32) {
        match self {
            Slots::One(q) => {
                let (a, b) = if *q < p { (*q, p) } else { (p, *q) };
                *self = Slots::Many(Box::new(vec![a, b]));
            }
            Slots::Many(ps) => {
                let at = ps.partition_point(|&x| x < p);
                ps.insert(at, p);
            }
        }
    }

    /// Removes `p`; true when nothing is left.
    fn remove(&mut self, p: u32) -> bool {
        match self {
            Slots::One(q) => *q == p,
            Slots::Many(ps) => {
                ps.retain(|&x| x != p);
                ps.is_empty()
            }
        }
    }
}

/// A hasher for keys that are already fingerprints: passes the u64 through.
#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// One field's equality index: row positions by fingerprint (24 bytes an entry; the old index
/// of owned keys and `usize` positions took 48).
#[derive(Debug, Default)]
struct FieldIndex {
    seed: foldhash::fast::RandomState,
    slots: HashMap<u64, Slots, std::hash::BuildHasherDefault<Prehashed>>,
}

impl FieldIndex {
    fn build(rows: &[Value], field: &str) -> FieldIndex {
        let mut idx = FieldIndex::default();
        idx.slots.reserve(rows.len());
        for (i, r) in rows.iter().enumerate() {
            idx.add(r, field, i);
        }
        idx
    }

    fn of(&self, row: &Value, field: &str) -> Option<u64> {
        row.member(field).and_then(|v| fingerprint(&self.seed, &v))
    }

    /// Indexes row `i` (appended, or moved into this class).
    fn add(&mut self, row: &Value, field: &str, i: usize) {
        if let Some(h) = self.of(row, field) {
            let p = u32::try_from(i).expect("fewer than 2^32 rows");
            match self.slots.entry(h) {
                Entry::Occupied(mut e) => e.get_mut().insert(p),
                Entry::Vacant(e) => {
                    e.insert(Slots::One(p));
                }
            }
        }
    }

    /// Drops row `i` from class `h`.
    fn drop_position(&mut self, h: u64, i: usize) {
        if let Entry::Occupied(mut e) = self.slots.entry(h) {
            if e.get_mut().remove(i as u32) {
                e.remove();
            }
        }
    }
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
    /// Where the index of `field` is, built on first use.
    fn index_at(&mut self, field: &str) -> usize {
        match self.indexes.iter().position(|(f, _)| &**f == field) {
            Some(at) => at,
            None => {
                let idx = FieldIndex::build(&self.rows, field);
                self.indexes.push((Rc::from(field), idx));
                self.indexes.len() - 1
            }
        }
    }

    /// The first row whose `field` equals `v`, through the field's index.
    fn first_equal(&mut self, field: &str, v: &Value) -> Option<usize> {
        self.positions(field, v, true).first().copied()
    }

    /// Positions of the rows whose `field` equals `v` (ascending; only the first with
    /// `first_only`), through the field's index.
    fn positions(&mut self, field: &str, v: &Value, first_only: bool) -> SmallVec<[usize; 2]> {
        let at = self.index_at(field);
        let idx = &self.indexes[at].1;
        let Some(h) = fingerprint(&idx.seed, v) else {
            return self.scan(field, v).into();
        };
        let mut out = SmallVec::new();
        for &p in idx.slots.get(&h).map_or(&[][..], Slots::as_slice) {
            let i = p as usize;
            if self.rows[i].member(field).is_some_and(|x| equals(&x, v)) {
                out.push(i);
                if first_only {
                    break;
                }
            }
        }
        out
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
            idx.add(&row, field, i);
        }
        Rc::make_mut(&mut self.rows).push(row);
    }

    /// Replaces row `i`, moving it between index entries; returns the old row.
    fn replace(&mut self, i: usize, row: Value) -> Value {
        for (field, idx) in self.indexes.iter_mut() {
            let old = idx.of(&self.rows[i], field);
            let new = idx.of(&row, field);
            if old == new {
                continue;
            }
            if let Some(h) = old {
                idx.drop_position(h, i);
            }
            idx.add(&row, field, i);
        }
        std::mem::replace(&mut Rc::make_mut(&mut self.rows)[i], row)
    }
}

/// All repositories of an application, by name.
#[derive(Debug, Default)]
pub struct Repositories {
    map: HashMap<String, Repository, foldhash::fast::RandomState>,
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

    /// Every repository's name and number of entries (metrics).
    pub fn sizes(&self) -> impl Iterator<Item = (&str, usize)> {
        self.map.iter().map(|(k, r)| (k.as_str(), r.rows.len()))
    }

    /// The repository called `name` (created empty on first use).
    pub fn get(&mut self, name: &str) -> &mut Repository {
        if !self.map.contains_key(name) {
            self.map.insert(name.to_string(), Repository::default());
        }
        self.map.get_mut(name).expect("inserted above")
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
        let clock = self.clock;
        let repo = self.get(name);
        let now = repo.ttl.and(clock).map(|c| c());
        match item {
            Value::Object(ref o) => {
                if let Some(id) = o.get("id") {
                    if let Some(i) = repo.first_equal("id", id) {
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
                    if let Some(i) = repo.first_equal(k, &v) {
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
        let positions = repo.positions(field, v, false);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_index_class_is_sixteen_bytes_and_keeps_its_positions_in_order() {
        assert_eq!(std::mem::size_of::<Slots>(), 16);
        let mut s = Slots::One(7);
        for p in [3, 9, 1, 8] {
            s.insert(p);
        }
        assert_eq!(s.as_slice(), &[1, 3, 7, 8, 9]);
        assert!(!s.remove(7));
        assert_eq!(s.as_slice(), &[1, 3, 8, 9]);
        assert!(Slots::One(4).remove(4));
    }
}
