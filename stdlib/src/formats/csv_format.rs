//! CSV and TSV files with the csv crate (quoted fields, doubled quotes, newlines inside quotes).
//! Reading: the first row is the header (rows become objects with typed cells) unless
//! `header: false` (rows become lists); a `key,value` header gives one object; CSV without a
//! `delimiter` option takes whichever of `;`, `,` and tab splits the first line most.
//! Writing: a list of objects has the first object's sorted keys as columns.

use super::{cell, columns, sorted_entries, typed, Options};
use crate::value::{Object, Value};
use std::rc::Rc;

fn detect(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let mut best = (b',', 0);
    for d in [b';', b',', b'\t'] {
        let n = first.bytes().filter(|&b| b == d).count();
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

pub(super) fn decode(text: &str, tsv: bool, o: &Options) -> Result<Value, String> {
    let delimiter = o
        .delimiter
        .unwrap_or(if tsv { b'\t' } else { detect(text) });
    let name = if tsv { "TSV" } else { "CSV" };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .quote(o.quote)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for r in reader.records() {
        let r = r.map_err(|e| format!("{name}: {e}"))?;
        if r.len() == 1 && r.get(0) == Some("") {
            continue;
        }
        rows.push(r.iter().map(str::to_string).collect::<Vec<_>>());
    }
    if !o.header {
        return Ok(Value::list(
            rows.iter()
                .map(|r| Value::list(r.iter().map(|c| typed(c)).collect()))
                .collect(),
        ));
    }
    let mut rows = rows.into_iter();
    let Some(header) = rows.next() else {
        return Ok(Value::list(Vec::new()));
    };
    let header: Vec<Rc<str>> = header.iter().map(|h| Rc::from(h.trim())).collect();
    if header.len() == 2
        && header[0].eq_ignore_ascii_case("key")
        && header[1].eq_ignore_ascii_case("value")
    {
        let mut obj = Object::default();
        for r in rows.filter(|r| r.len() >= 2) {
            obj.insert(Rc::from(r[0].trim()), typed(r[1].trim()));
        }
        return Ok(Value::Object(Rc::new(obj)));
    }
    let out = rows
        .map(|r| {
            let mut obj = Object::with_capacity(header.len());
            for (h, c) in header.iter().zip(r.iter()) {
                obj.insert(h.clone(), typed(c));
            }
            Value::Object(Rc::new(obj))
        })
        .collect();
    Ok(Value::list(out))
}

pub(super) fn encode(v: &Value, tsv: bool, o: &Options) -> Result<String, String> {
    let delimiter = o.delimiter.unwrap_or(if tsv { b'\t' } else { b',' });
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .quote(o.quote)
        .terminator(csv::Terminator::Any(b'\n'))
        .flexible(true)
        .from_writer(Vec::new());
    let mut put = |fields: Vec<String>| w.write_record(&fields).map_err(|e| e.to_string());
    match v {
        Value::List(l) => match columns(l) {
            Some(cols) => {
                if o.header {
                    put(cols.clone())?;
                }
                for x in l.iter() {
                    if let Value::Object(obj) = x {
                        put(cols
                            .iter()
                            .map(|c| obj.get(c).map(cell).unwrap_or_default())
                            .collect())?;
                    }
                }
            }
            None => {
                for x in l.iter() {
                    match x {
                        Value::List(row) => put(row.iter().map(cell).collect())?,
                        other => put(vec![cell(other)])?,
                    }
                }
            }
        },
        Value::Object(_) => {
            if o.header {
                put(vec!["key".into(), "value".into()])?;
            }
            for (k, x) in sorted_entries(v).unwrap_or_default() {
                put(vec![k.to_string(), cell(x)])?;
            }
        }
        other => return Ok(cell(other)),
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    let mut text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::from_json;

    #[test]
    fn quoted_commas_newlines_and_round_trips() {
        let o = Options::default();
        let v = decode(
            "name,note,age\r\n\"Lee, Ann\",\"two\nlines\",41\nBob,\"say \"\"hi\"\"\",7\n",
            false,
            &o,
        )
        .unwrap();
        let want = from_json(
            r#"[{"name":"Lee, Ann","note":"two\nlines","age":41},{"name":"Bob","note":"say \"hi\"","age":7}]"#,
        )
        .unwrap();
        assert_same!(v, want);
        let text = encode(&want, false, &o).unwrap();
        assert_eq!(
            text,
            "age,name,note\n41,\"Lee, Ann\",\"two\nlines\"\n7,Bob,\"say \"\"hi\"\"\""
        );
        assert_same!(decode(&text, false, &o).unwrap(), want);
        assert_eq!(detect("a;b;c\n1;2;3"), b';');
        let kv = decode("key,value\nport,8080\nhost,x\n", false, &o).unwrap();
        assert_same!(kv, from_json(r#"{"port":8080,"host":"x"}"#).unwrap());
    }
}
