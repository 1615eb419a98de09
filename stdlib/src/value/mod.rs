//! The value model: null, bool, int, float, string, list, ordered object. Cloning is cheap (`Rc`).

pub mod date;
pub mod date_range;
pub mod developer;
mod display;
pub mod graveyard;
mod json;
mod ops;
pub mod recurrence;
pub mod stream;

pub use display::{describe_into, format_float, format_float_log, to_description, to_display};
pub use json::{from_json, to_json, to_json_wire, to_json_wire_members};
pub use ops::{compare, equals, truthy};

use std::rc::Rc;

/// How deep printing, serializing and comparing descend into nested lists and objects; below
/// it a value prints as `…` (JSON: the string `"…"`). Values may nest deeper (a loop can build
/// them); walking them must not overflow the stack or print quadratic output.
pub const MAX_NESTING: usize = 256;

/// An insertion-ordered object (keys are unique).
#[derive(Clone, Debug, Default)]
pub struct Object {
    /// Entries in insertion order. Change them through [`Object::insert`] and
    /// [`Object::remove`]: those drop the kept source text.
    pub entries: Vec<(Rc<str>, Value)>,
    /// The JSON text this object was parsed from, kept while the object is unchanged, so a
    /// message forwarded as it came goes out as the same bytes (no re-serialization).
    source: Option<Rc<str>>,
}

impl Object {
    /// An empty object with room for `n` entries.
    pub fn with_capacity(n: usize) -> Object {
        Object::from_unique(Vec::with_capacity(n))
    }

    /// An object from entries whose keys the caller knows to be unique.
    pub fn from_unique(entries: Vec<(Rc<str>, Value)>) -> Object {
        Object {
            entries,
            source: None,
        }
    }

    /// The JSON text this object was parsed from, if it is unchanged since (see
    /// [`keep_json_source`]).
    pub fn source(&self) -> Option<&Rc<str>> {
        self.source.as_ref()
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| &**k == key)
            .map(|(_, v)| v)
    }

    /// Sets `key`, replacing an existing value in place or appending.
    pub fn insert(&mut self, key: Rc<str>, value: Value) {
        self.source = None;
        if let Some(slot) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            self.entries.push((key, value));
        }
    }

    /// An object from entries in order; a later duplicate key replaces the earlier value in
    /// place. Linear in the number of entries, however many there are.
    pub fn from_entries(entries: Vec<(Rc<str>, Value)>) -> Object {
        if entries.len() <= 16 {
            let mut o = Object::with_capacity(entries.len());
            for (k, v) in entries {
                o.insert(k, v);
            }
            return o;
        }
        let mut index: std::collections::HashMap<Rc<str>, usize> =
            std::collections::HashMap::with_capacity(entries.len());
        let mut out: Vec<(Rc<str>, Value)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match index.get(&k) {
                Some(&i) => out[i].1 = v,
                None => {
                    index.insert(k.clone(), out.len());
                    out.push((k, v));
                }
            }
        }
        Object::from_unique(out)
    }

    /// Removes `key` if present.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.entries.iter().position(|(k, _)| &**k == key)?;
        self.source = None;
        Some(self.entries.remove(i).1)
    }

    /// Entries sorted by key (the reference prints and serializes objects this way).
    pub fn sorted(&self) -> Vec<&(Rc<str>, Value)> {
        let mut v: Vec<_> = self.entries.iter().collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }
}

/// `parsed` (the value of `from_json(text)`) with `text` kept as its source when it is an
/// object: forwarding it unchanged (a WebSocket or socket send) sends `text` itself.
pub fn keep_json_source(mut parsed: Value, text: &Rc<str>) -> Value {
    if let Value::Object(o) = &mut parsed {
        if let Some(obj) = Rc::get_mut(o) {
            obj.source = Some(text.clone());
        }
    }
    parsed
}

/// An ARO value.
#[derive(Clone, Debug, Default)]
pub enum Value {
    /// `null`
    #[default]
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// A string.
    Str(Rc<str>),
    /// A list.
    List(Rc<Vec<Value>>),
    /// An ordered object.
    Object(Rc<Object>),
    /// Raw bytes (binary WebSocket messages, ARO-0072 `data` buffers).
    Bytes(Rc<[u8]>),
    /// The lines of a file, read a chunk at a time by `for each` (`Stream`).
    Stream(Rc<stream::LineStream>),
}

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    /// A list value.
    pub fn list(v: Vec<Value>) -> Value {
        Value::List(Rc::new(v))
    }

    /// An object value from entries (later duplicates replace earlier ones).
    pub fn object(entries: Vec<(Rc<str>, Value)>) -> Value {
        Value::Object(Rc::new(Object::from_entries(entries)))
    }

    /// The reference's type name (`String`, `Integer`, `Float`, `Boolean`, `List`, `Object`, `Null`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "Null",
            Value::Bool(_) => "Boolean",
            Value::Int(_) => "Integer",
            Value::Float(_) => "Float",
            Value::Str(_) => "String",
            Value::List(_) => "List",
            Value::Object(_) => "Object",
            Value::Bytes(_) => "Bytes",
            Value::Stream(_) => "Stream",
        }
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Numeric view: ints and floats (and numeric strings) as f64.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Integer view: ints, integral floats, integer strings.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Float(f) if f.fract() == 0.0 && f.is_finite() => Some(*f as i64),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Whether this is "empty": null, "", [], {}.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::Str(s) => s.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Object(o) => o.entries.is_empty(),
            Value::Bytes(b) => b.is_empty(),
            _ => false,
        }
    }

    /// Size for the runtime's value limit: strings and bytes by length, lists and objects at 16
    /// bytes per element (not counting what the elements hold). O(1).
    pub fn shallow_size(&self) -> usize {
        match self {
            Value::Str(s) => s.len(),
            Value::Bytes(b) => b.len(),
            Value::List(l) => l.len().saturating_mul(16),
            Value::Object(o) => o.entries.len().saturating_mul(16),
            _ => 0,
        }
    }

    /// Reads a member: object key, or list index by number.
    pub fn member(&self, key: &str) -> Option<Value> {
        match self {
            Value::Object(o) => o.get(key).cloned(),
            Value::List(l) => key.parse::<usize>().ok().and_then(|i| l.get(i).cloned()),
            _ => None,
        }
    }
}

/// The unshared lists and objects directly inside `v`, moved out into `out` (so `v` drops
/// without recursing into them).
pub(crate) fn take_nested(v: &mut Value, out: &mut Vec<Value>) {
    let nested = |x: &Value| matches!(x, Value::List(_) | Value::Object(_));
    match v {
        Value::List(l) => {
            if let Some(items) = Rc::get_mut(l) {
                if items.iter().any(nested) {
                    out.append(items);
                }
            }
        }
        Value::Object(o) => {
            if let Some(o) = Rc::get_mut(o) {
                if o.entries.iter().any(|(_, x)| nested(x)) {
                    out.extend(o.entries.drain(..).map(|(_, x)| x));
                }
            }
        }
        _ => {}
    }
}

impl Drop for Value {
    /// Drops nested lists and objects iteratively: a value nested 200,000 deep (built by a
    /// loop) must not overflow the stack when it goes away.
    #[inline]
    fn drop(&mut self) {
        if matches!(self, Value::List(_) | Value::Object(_)) {
            drop_nested(self);
        }
    }
}

/// The iterative drop of a list or object (kept out of line: scalars and strings never get here).
#[inline(never)]
fn drop_nested(v: &mut Value) {
    let mut pending = Vec::new();
    take_nested(v, &mut pending);
    while let Some(mut v) = pending.pop() {
        take_nested(&mut v, &mut pending);
    }
}
