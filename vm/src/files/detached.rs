//! Values the file worker builds for the loop: a file decoded in its format, directory entries,
//! metadata, a stream's lines. Building them is the slow part of a large Read or List (a 200 MB
//! text is 200 MB to allocate, fault in and copy; 100,000 entries are 700,000 small objects), so
//! it happens on the worker and the loop only receives the finished value.

use super::paths::Entry;
use arovm_stdlib::formats::{self, Format, Options};
use arovm_stdlib::value::date::format_iso;
use arovm_stdlib::value::Value;
use std::rc::Rc;

/// A value built whole on the worker thread and handed to the loop whole.
pub struct Detached(Value);

// SAFETY: `Rc` is not `Send` because two threads could hold clones of one `Rc` and race on its
// count. A `Detached` is made only by the functions below, on the worker, from plain data (bytes,
// `Entry`s, `String`s): every `Rc` in it is new, and its clones (a CSV header's keys shared by the
// rows, a List's field names) all lie inside the same value once the function that built it has
// returned (its temporaries, such as `Keys`, are dropped on the worker before that). The worker keeps nothing of it and the value moves through
// the channel as one piece, so only one thread at a time ever touches those counts. No value in it
// has a thread-local side (`Value::Stream`, whose drop uses one, is never built here).
unsafe impl Send for Detached {}

impl Detached {
    /// The value, on the loop.
    pub fn into_value(self) -> Value {
        self.0
    }
}

/// A file's bytes decoded in `format` (text checked as UTF-8 here; bytes that are not UTF-8 stay
/// bytes where the format allows).
pub fn decode(bytes: Vec<u8>, format: Format, options: &Options) -> Result<Detached, String> {
    let value = match String::from_utf8(bytes) {
        Ok(text) if format == Format::Raw => Value::Str(text.into()),
        Ok(text) => formats::decode_text(format, &text, options)?,
        Err(e) => formats::decode(format, e.as_bytes(), options)?,
    };
    Ok(Detached(value))
}

/// A list of directory entries (`List`).
pub fn entries(es: &[Entry]) -> Detached {
    let keys = Keys::new();
    Detached(Value::list(
        es.iter().map(|e| entry_value(e, false, &keys)).collect(),
    ))
}

/// One path's metadata (`Stat`).
pub fn stat(e: &Entry) -> Detached {
    Detached(entry_value(e, true, &Keys::new()))
}

/// A stream's chunk of lines.
pub fn lines(ls: Vec<String>) -> Detached {
    Detached(Value::list(
        ls.into_iter().map(|l| Value::Str(l.into())).collect(),
    ))
}

/// A boolean (`Exists`).
pub fn boolean(b: bool) -> Detached {
    Detached(Value::Bool(b))
}

/// A string (`Make`'s path).
pub fn text(s: &str) -> Detached {
    Detached(Value::str(s))
}

/// The field names of an entry, made once per List and shared by all its entries (a tenth of
/// the blocks to allocate and, later, to free).
struct Keys([Rc<str>; 10]);

impl Keys {
    fn new() -> Keys {
        Keys(
            [
                "name",
                "path",
                "size",
                "isFile",
                "isDirectory",
                "created",
                "modified",
                "permissions",
                "owner",
                "group",
            ]
            .map(Rc::from),
        )
    }
}

fn entry_value(e: &Entry, stat: bool, keys: &Keys) -> Value {
    let [name, path, size, is_file, is_dir, created, modified, permissions, owner, group] = &keys.0;
    let mut fields: Vec<(Rc<str>, Value)> = Vec::with_capacity(if stat { 10 } else { 7 });
    fields.extend([
        (name.clone(), Value::str(&e.name)),
        (path.clone(), Value::str(&e.path)),
        (size.clone(), Value::Int(e.size as i64)),
        (is_file.clone(), Value::Bool(!e.is_dir)),
        (is_dir.clone(), Value::Bool(e.is_dir)),
    ]);
    if let Some(c) = e.created {
        fields.push((created.clone(), Value::str(&format_iso(c))));
    }
    if let Some(m) = e.modified {
        fields.push((modified.clone(), Value::str(&format_iso(m))));
    }
    if stat {
        fields.push((
            permissions.clone(),
            Value::str(&super::paths::permissions(e.mode)),
        ));
        if let Some(o) = &e.owner {
            fields.push((owner.clone(), Value::str(o)));
        }
        if let Some(g) = &e.group {
            fields.push((group.clone(), Value::str(g)));
        }
    }
    Value::object(fields)
}
