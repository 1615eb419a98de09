//! File actions (ARO-0036, ARO-0008 §4, ARO-0040): List, Stat, Exists, Make/Touch, Copy,
//! Move/Rename, Append, file Delete, and Read/Write with format-aware conversion. Each turns its
//! statement into a [`FileOp`] the VM carries out off the loop; this module only reads the
//! statement (which path, which format, which options) and never touches the file system.

use crate::action::{ActionError, Call, FileOp, IoRequest, Operand, Outcome, PathOp};
use crate::formats::{Format, Options};
use crate::value::{to_display, Value};

/// Object names that hold a path in their qualifier (`<file: "./a.txt">`, `<directory: dir>`).
const PATH_NAMES: &[&str] = &[
    "file",
    "directory",
    "path",
    "destination",
    "dir",
    "folder",
    "source",
];

fn text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => to_display(other),
    }
}

/// The path an operand names: a string expression (`from "./a.txt"`), the qualifier of a path
/// name (a variable's value when the qualifier names one, else the literal), or a variable
/// holding a string.
pub(crate) fn path_of(o: &Operand) -> Option<String> {
    if o.is_expr {
        return o.value.as_ref().map(text);
    }
    if PATH_NAMES.contains(&o.name) && !o.specs.is_empty() {
        return Some(match &o.spec_value {
            Some(v) => text(v),
            // A bare name with dots (`<file: data.json>`) arrives split at them.
            None => o.specs.join("."),
        });
    }
    match &o.value {
        Some(Value::Str(s)) => Some(s.to_string()),
        _ => None,
    }
}

fn need_path(o: Option<&Operand>, verb: &str, form: &str) -> Result<String, ActionError> {
    o.and_then(path_of)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ActionError::new(format!("{verb} needs a path: {form}")))
}

fn suspend(op: FileOp) -> Result<Outcome, ActionError> {
    Ok(Outcome::Suspend(IoRequest::File(op), Value::Null))
}

fn url_unsupported(o: Option<&Operand>, verb: &str) -> Result<(), ActionError> {
    if o.is_some_and(|o| o.name == "url") {
        return Err(ActionError::new(format!(
            "{verb} of a <url: …> is not supported yet: use Request"
        )));
    }
    Ok(())
}

/// The format of a Read/Write: the result's qualifier (`<x: json>`, `<x: raw>`), else the
/// path's extension. An unknown qualifier is not a format (`<x: config>` is an ordinary
/// qualifier) and leaves the choice to the extension.
fn format_of(call: &Call, path: &str) -> Format {
    call.result
        .specs
        .iter()
        .find_map(|q| Format::of_qualifier(q))
        .unwrap_or_else(|| Format::of_path(path))
}

/// `Read the <x[: format]> from the <file: path>` / `from "./path"` (`with { delimiter,
/// header, quote }` for CSV).
pub(crate) fn read(call: &Call) -> Result<Outcome, ActionError> {
    let o = call.clause(&["from", "in", "at"]).or_else(|| call.object());
    url_unsupported(o, "Read")?;
    let path = need_path(o, "Read", "Read the <x> from the <file: \"./data.json\">")?;
    let format = format_of(call, &path);
    let options = Options::from_value(call.with_value().as_ref()).map_err(ActionError::new)?;
    suspend(FileOp::Read {
        path,
        format,
        options,
    })
}

/// The value a Write writes: the result variable (its qualifier is a format) or, when the
/// qualifier is no format name, the property it names (`<order: customer>`).
fn written_value(call: &Call) -> Result<Value, ActionError> {
    let base = call.result.require()?;
    let specs = &call.result.specs;
    if specs.is_empty() || specs.iter().any(|q| Format::of_qualifier(q).is_some()) {
        return Ok(base);
    }
    let mut v = base;
    for key in specs.iter() {
        v = v.member(key).ok_or_else(|| {
            ActionError::new(format!(
                "Property '{key}' not found on <{}>",
                call.result.name
            ))
        })?;
    }
    Ok(v)
}

/// `Write the <x[: format]> to the <file: path>` (also `into`): replaces the file atomically,
/// creating missing directories.
pub(crate) fn write(call: &Call) -> Result<Outcome, ActionError> {
    let o = call.clause(&["to", "into"]);
    url_unsupported(o, "Write")?;
    let path = need_path(o, "Write", "Write the <x> to the <file: \"./out.json\">")?;
    let value = written_value(call)?;
    let format = format_of(call, &path);
    let options = Options::from_value(call.with_value().as_ref()).map_err(ActionError::new)?;
    suspend(FileOp::Write {
        path,
        value,
        format,
        options,
        name: call.result.name.to_string(),
        append: false,
    })
}

/// `Append the <line> to the <file: path> [with <text>]`: the text at the end of the file
/// (created with its directories when missing), unchanged: no newline, no format.
pub(crate) fn append(call: &Call) -> Result<Outcome, ActionError> {
    let o = call.clause(&["to", "into"]);
    let path = need_path(
        o,
        "Append",
        "Append the <line> to the <file: \"./app.log\">",
    )?;
    let value = match call.with_value() {
        Some(v) => v,
        None => call.result.require()?,
    };
    suspend(FileOp::Write {
        path,
        value,
        format: Format::Raw,
        options: Options::default(),
        name: call.result.name.to_string(),
        append: true,
    })
}

/// `Stream the <lines> from "./big.log"` (also `from the <file: path>`): opens the file as a
/// stream of lines for `for each`. A URL source (SSE, WebSocket) is not supported yet: an error
/// says so.
pub(crate) fn stream(call: &Call) -> Result<Outcome, ActionError> {
    let o = call.clause(&["from", "of"]);
    let path = need_path(o, "Stream", "Stream the <lines> from \"./app.log\"")?;
    let lower = path.to_ascii_lowercase();
    if ["http://", "https://", "ws://", "wss://"]
        .iter()
        .any(|p| lower.starts_with(p))
        || o.is_some_and(|o| o.name == "url")
    {
        return Err(ActionError::new(format!(
            "Stream from a URL ({path}) is not supported by arovm yet: only file line streams"
        )));
    }
    suspend(FileOp::StreamOpen { path })
}

/// `List the <entries[: recursively | "glob"]> from the <directory: path> [matching "glob"]
/// [recursively]`.
pub(crate) fn list(call: &Call) -> Result<Outcome, ActionError> {
    let path = need_path(
        call.clause(&["from", "in", "for", "of"]),
        "List",
        "List the <entries> from the <directory: \"./src\">",
    )?;
    let recursive =
        call.clause(&["recursively"]).is_some() || call.result.specs.contains(&"recursively");
    let pattern = match call.clause(&["matching"]) {
        Some(m) => Some(
            path_of(m)
                .or_else(|| m.value.as_ref().map(text))
                .unwrap_or_default(),
        ),
        None => call
            .result
            .specs
            .iter()
            .find(|s| s.contains(['*', '?']))
            .map(|s| s.to_string()),
    };
    suspend(FileOp::Path(PathOp::List {
        path,
        recursive,
        pattern,
    }))
}

/// `Stat the <info> for the <file: path>`.
pub(crate) fn stat(call: &Call) -> Result<Outcome, ActionError> {
    let path = need_path(
        call.object(),
        "Stat",
        "Stat the <info> for the <file: \"./a.txt\">",
    )?;
    suspend(FileOp::Path(PathOp::Stat { path }))
}

/// `Exists the <found> for the <file: path>` (`<directory: …>` asks for a directory).
pub(crate) fn exists(call: &Call) -> Result<Outcome, ActionError> {
    let o = call.object();
    let path = need_path(
        o,
        "Exists",
        "Exists the <found> for the <file: \"./a.txt\">",
    )?;
    let kind = match o.map(|o| o.name) {
        Some("file") => Some(false),
        Some("directory" | "dir" | "folder") => Some(true),
        _ => None,
    };
    suspend(FileOp::Path(PathOp::Exists { path, dir: kind }))
}

/// `Make the <dir> to the <path: p>` (`mkdir -p`), `Touch the <file> at the <path: p>` (a
/// file, its directories created; an existing one gets a new modification time).
pub(crate) fn make(call: &Call) -> Result<Outcome, ActionError> {
    let path = need_path(
        call.clause(&["to", "at", "for", "in"]),
        call.verb,
        "Make the <dir> to the <path: \"./out\">",
    )?;
    let file = call.verb.eq_ignore_ascii_case("touch") || call.result.name == "file";
    suspend(FileOp::Path(PathOp::Make { path, file }))
}

/// `Copy the <file: src> to the <destination: dst>` and `Move`/`Rename` (directories too;
/// an existing destination is replaced, missing directories created).
pub(crate) fn copy_or_move(call: &Call, moving: bool) -> Result<Outcome, ActionError> {
    let verb = if moving { "Move" } else { "Copy" };
    let form = format!("{verb} the <file: \"./a.txt\"> to the <destination: \"./b.txt\">");
    let from = need_path(Some(&call.result), verb, &form)?;
    let to = need_path(call.clause(&["to", "into"]), verb, &form)?;
    suspend(FileOp::Path(PathOp::Copy { from, to, moving }))
}

/// `Delete the <file: path>` / `Delete the <directory: path>`: removes it (directories with
/// their contents); a missing path is not an error. `None` when the statement is not a file
/// delete (a repository or list delete).
pub(crate) fn delete(call: &Call) -> Option<Result<Outcome, ActionError>> {
    let is_file = matches!(call.result.name, "file" | "directory" | "dir" | "folder")
        && !call.result.specs.is_empty()
        && call.clauses.is_empty();
    if !is_file {
        return None;
    }
    Some(match path_of(&call.result) {
        Some(path) if !path.is_empty() => suspend(FileOp::Path(PathOp::Delete { path })),
        _ => Err(ActionError::new(
            "Delete needs a path: Delete the <file: \"./a.txt\">",
        )),
    })
}
