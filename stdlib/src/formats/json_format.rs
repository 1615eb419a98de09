//! JSON and JSON Lines files: serde_json both ways. Written JSON is pretty (two spaces, keys
//! sorted, `"key" : value` as Foundation writes it); JSON Lines is one compact value per line.

use crate::value::{from_json, to_json_wire, Value, MAX_NESTING};

/// A JSON document; a syntax error names its line and column.
pub(super) fn decode(text: &str) -> Result<Value, String> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => from_json(text).ok_or_else(|| "JSON: invalid document".to_string()),
        Err(e) => Err(format!("JSON: {e}")),
    }
}

/// One JSON value per non-blank line, as a list; a bad line is an error naming it.
pub(super) fn decode_lines(text: &str) -> Result<Value, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(_) => out.push(from_json(line).unwrap_or_default()),
            Err(e) => return Err(format!("JSON Lines: line {}: {e}", i + 1)),
        }
    }
    Ok(Value::list(out))
}

fn to_serde(v: &Value, depth: usize) -> serde_json::Value {
    use serde_json::Value as J;
    if depth > MAX_NESTING {
        return J::String("…".into());
    }
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        // Integral floats as integers, as Foundation writes them.
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => J::from(*f as i64),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Str(s) => J::String(s.to_string()),
        Value::Bytes(b) => J::String(String::from_utf8_lossy(b).into_owned()),
        Value::Stream(s) => J::String(crate::value::stream::describe(s)),
        Value::List(l) => J::Array(l.iter().map(|x| to_serde(x, depth + 1)).collect()),
        Value::Object(o) => J::Object(
            o.sorted()
                .into_iter()
                .map(|(k, x)| (k.to_string(), to_serde(x, depth + 1)))
                .collect(),
        ),
    }
}

/// Pretty printing with Foundation's `" : "` between a key and its value.
struct SpacedColon<'a>(serde_json::ser::PrettyFormatter<'a>);

impl serde_json::ser::Formatter for SpacedColon<'_> {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b" : ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// A pretty JSON document with sorted keys and no trailing newline.
pub(super) fn encode(v: &Value) -> String {
    use serde::Serialize;
    let mut out = Vec::new();
    let fmt = SpacedColon(serde_json::ser::PrettyFormatter::with_indent(b"  "));
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    // Writing to a Vec cannot fail.
    let _ = to_serde(v, 0).serialize(&mut ser);
    String::from_utf8(out).unwrap_or_default()
}

/// One compact value per line (a list's elements; any other value is one line).
pub(super) fn encode_lines(v: &Value) -> String {
    match v {
        Value::List(l) => l.iter().map(to_json_wire).collect::<Vec<_>>().join("\n"),
        other => to_json_wire(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_sorted_and_spaced_like_foundation() {
        let v = from_json(r#"{"name":"Alice","age":30,"tags":["a"]}"#).unwrap();
        assert_eq!(
            encode(&v),
            "{\n  \"age\" : 30,\n  \"name\" : \"Alice\",\n  \"tags\" : [\n    \"a\"\n  ]\n}"
        );
        let e = decode("{\n  \"a\": 1,\n}").unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        assert_same!(
            decode_lines("{\"a\":1}\n\n[2]\n").unwrap(),
            from_json(r#"[{"a":1},[2]]"#).unwrap()
        );
        assert!(decode_lines("{}\nnope").unwrap_err().contains("line 2"));
    }
}
