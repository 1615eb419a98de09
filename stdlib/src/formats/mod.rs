//! Format-aware file I/O (ARO-0040): which format a path or a qualifier names, and the bytes ↔
//! value conversions of each (JSON, JSON Lines, YAML, XML, TOML, CSV/TSV, Markdown, HTML, plain
//! `key=value` text, SQL, log lines, `.env`, raw). Parsing uses the well-kept crates (serde_json,
//! csv, yaml-rust2, quick-xml, toml); malformed input is an error naming the format and the
//! place, never a silent fallback. Writers sort object keys, as the reference does.

/// Test-only: two values are equal as ARO compares them (`Value` has no `PartialEq`).
#[cfg(test)]
macro_rules! assert_same {
    ($a:expr, $b:expr) => {{
        let (a, b) = (&$a, &$b);
        assert!(crate::value::equals(a, b), "{a:?}\n!=\n{b:?}");
    }};
}

mod csv_format;
mod json_format;
mod markup;
mod text;
mod toml_format;
mod xml_format;
mod yaml_format;

use crate::value::{format_float, Value};

/// A file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `.json`
    Json,
    /// `.jsonl`, `.ndjson`: one JSON value per line.
    JsonLines,
    /// `.yaml`, `.yml`
    Yaml,
    /// `.xml`
    Xml,
    /// `.toml`
    Toml,
    /// `.csv`
    Csv,
    /// `.tsv`
    Tsv,
    /// `.md`, `.markdown`: text; objects and lists are written as tables and lists.
    Markdown,
    /// `.html`, `.htm`: text; objects and lists are written as tables and lists.
    Html,
    /// `.txt`: `key=value` lines.
    Text,
    /// `.sql`: text; objects are written as `INSERT` statements.
    Sql,
    /// `.log`: text; written as timestamped lines.
    Log,
    /// `.env`: `KEY=value` lines.
    Env,
    /// Anything else: text when it is UTF-8, bytes otherwise; written unchanged.
    Raw,
}

impl Format {
    /// The format a path's extension names (case-insensitive); `.env` files by name.
    pub fn of_path(path: &str) -> Format {
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        if name == ".env" || name.ends_with(".env") {
            return Format::Env;
        }
        match name.rsplit_once('.').map(|(_, e)| e) {
            Some("json") => Format::Json,
            Some("jsonl" | "ndjson") => Format::JsonLines,
            Some("yaml" | "yml") => Format::Yaml,
            Some("xml") => Format::Xml,
            Some("toml") => Format::Toml,
            Some("csv") => Format::Csv,
            Some("tsv") => Format::Tsv,
            Some("md" | "markdown") => Format::Markdown,
            Some("html" | "htm") => Format::Html,
            Some("txt") => Format::Text,
            Some("sql") => Format::Sql,
            Some("log") => Format::Log,
            _ => Format::Raw,
        }
    }

    /// The format a result qualifier names (`<x: json>`, case-insensitive); `raw`, `string`,
    /// `binary` and `bin` are [`Format::Raw`].
    pub fn of_qualifier(q: &str) -> Option<Format> {
        Some(match q.to_ascii_lowercase().as_str() {
            "raw" | "string" | "as string" | "binary" | "bin" => Format::Raw,
            "json" => Format::Json,
            "jsonl" | "ndjson" | "json-lines" => Format::JsonLines,
            "yaml" | "yml" => Format::Yaml,
            "xml" => Format::Xml,
            "toml" => Format::Toml,
            "csv" => Format::Csv,
            "tsv" => Format::Tsv,
            "md" | "markdown" => Format::Markdown,
            "html" | "htm" => Format::Html,
            "txt" | "text" => Format::Text,
            "sql" => Format::Sql,
            "log" => Format::Log,
            "env" => Format::Env,
            _ => return None,
        })
    }

    /// The name errors use.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::JsonLines => "JSON Lines",
            Format::Yaml => "YAML",
            Format::Xml => "XML",
            Format::Toml => "TOML",
            Format::Csv => "CSV",
            Format::Tsv => "TSV",
            Format::Markdown => "Markdown",
            Format::Html => "HTML",
            Format::Text => "text",
            Format::Sql => "SQL",
            Format::Log => "log",
            Format::Env => "env",
            Format::Raw => "raw",
        }
    }
}

/// CSV/TSV options from `with { delimiter, header, quote }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// The field separator (default `,`, a tab for TSV; CSV without it detects `;`, `,` or tab).
    pub delimiter: Option<u8>,
    /// Whether the first row is the header (default true).
    pub header: bool,
    /// The quote character (default `"`).
    pub quote: u8,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            delimiter: None,
            header: true,
            quote: b'"',
        }
    }
}

impl Options {
    /// The options of a `with { … }` object; an unusable option is an error naming it.
    pub fn from_value(v: Option<&Value>) -> Result<Options, String> {
        let mut o = Options::default();
        let Some(Value::Object(cfg)) = v else {
            return Ok(o);
        };
        let one_byte = |key: &str, v: &Value| match v.as_str() {
            Some(s) if s.len() == 1 => Ok(s.as_bytes()[0]),
            Some("\\t") => Ok(b'\t'),
            _ => Err(format!("The '{key}' option must be one ASCII character")),
        };
        if let Some(d) = cfg.get("delimiter") {
            o.delimiter = Some(one_byte("delimiter", d)?);
        }
        if let Some(q) = cfg.get("quote") {
            o.quote = one_byte("quote", q)?;
        }
        if let Some(h) = cfg.get("header") {
            o.header = matches!(h, Value::Bool(true));
        }
        Ok(o)
    }
}

/// What a writer may need besides the value.
#[derive(Clone, Debug, Default)]
pub struct WriteContext<'a> {
    /// The written variable's name: XML's root element, SQL's table, TOML's `[[name]]`.
    pub name: &'a str,
    /// The time for `.log` lines (ISO-8601).
    pub now: &'a str,
    /// CSV/TSV options.
    pub options: Options,
}

/// Parses a file's bytes as `format`.
pub fn decode(format: Format, bytes: &[u8], options: &Options) -> Result<Value, String> {
    if format == Format::Raw {
        return Ok(match std::str::from_utf8(bytes) {
            Ok(s) => Value::str(s),
            Err(_) => Value::Bytes(bytes.into()),
        });
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("The file is not UTF-8 text ({e}); read it with <x: raw>"))?;
    decode_text(format, text, options)
}

/// Parses text already known to be UTF-8 as `format` (the file worker checks it off the loop).
pub fn decode_text(format: Format, text: &str, options: &Options) -> Result<Value, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        Format::Json => json_format::decode(text),
        Format::JsonLines => json_format::decode_lines(text),
        Format::Yaml => yaml_format::decode(text),
        Format::Xml => xml_format::decode(text),
        Format::Toml => toml_format::decode(text),
        Format::Csv | Format::Tsv => csv_format::decode(text, format == Format::Tsv, options),
        Format::Text => Ok(text::decode_pairs(text)),
        Format::Env => Ok(text::decode_env(text)),
        Format::Markdown | Format::Html | Format::Sql | Format::Log | Format::Raw => {
            Ok(Value::str(text))
        }
    }
}

/// Serializes `v` as `format`.
pub fn encode(format: Format, v: &Value, cx: &WriteContext) -> Result<Vec<u8>, String> {
    let text = match format {
        Format::Raw => {
            return Ok(match v {
                Value::Bytes(b) => b.to_vec(),
                Value::Str(s) => s.as_bytes().to_vec(),
                other => crate::value::to_json(other).into_bytes(),
            })
        }
        Format::Json => json_format::encode(v),
        Format::JsonLines => json_format::encode_lines(v),
        Format::Yaml => yaml_format::encode(v)?,
        Format::Xml => xml_format::encode(v, cx.name),
        Format::Toml => toml_format::encode(v, cx.name)?,
        Format::Csv | Format::Tsv => csv_format::encode(v, format == Format::Tsv, &cx.options)?,
        Format::Markdown => markup::markdown(v),
        Format::Html => markup::html(v),
        Format::Text => text::encode_pairs(v),
        Format::Env => text::encode_env(v),
        Format::Sql => markup::sql(v, cx.name),
        Format::Log => markup::log(v, cx.now),
    };
    Ok(text.into_bytes())
}

/// A scalar as a cell, a `key=value` value or a TOML/SQL fallback: strings as they are,
/// numbers and booleans in their usual form, lists and objects as compact JSON.
pub(crate) fn cell(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => format_float(*f),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        other => crate::value::to_json(other),
    }
}

/// A cell's text as a value: an integer, a float, `true`/`false` (any case) — surrounding
/// spaces aside — or the text exactly as written.
pub(crate) fn typed(s: &str) -> Value {
    let t = s.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Value::Int(i);
    }
    if !t.is_empty() && t.bytes().any(|b| b.is_ascii_digit()) {
        if let Ok(f) = t.parse::<f64>() {
            if f.is_finite() {
                return Value::Float(f);
            }
        }
    }
    match t.to_ascii_lowercase().as_str() {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => Value::str(s),
    }
}

/// An object's entries sorted by key, or `None` for other values.
pub(crate) fn sorted_entries(v: &Value) -> Option<Vec<(&str, &Value)>> {
    match v {
        Value::Object(o) => Some(o.sorted().into_iter().map(|(k, v)| (&**k, v)).collect()),
        _ => None,
    }
}

/// The columns of a list of objects: the first element's keys, sorted (the reference's rule).
pub(crate) fn columns(list: &[Value]) -> Option<Vec<String>> {
    sorted_entries(list.first()?).map(|e| e.into_iter().map(|(k, _)| k.to_string()).collect())
}
