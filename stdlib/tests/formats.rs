//! Format round trips (ARO-0040) over generated values: whatever a list of flat records holds
//! (strings with commas, quotes, newlines, unicode; integers; floats; booleans), writing it as
//! JSON, JSON Lines, YAML, TOML, XML, CSV or TSV and reading it back gives the same records;
//! objects round-trip through `.txt` and `.env` key=value files; no bytes make a decoder panic.

use arovm_stdlib::formats::{decode, encode, Format, Options, WriteContext};
use arovm_stdlib::value::{equals, Value};
use proptest::prelude::*;
use std::rc::Rc;

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        // Strings that do not read back as numbers or booleans.
        "[a-zA-Z][a-zA-Z ,;\"'|<>&é\u{1F600}-]{0,12}".prop_map(|s| Value::str(&s)),
        (-1_000_000i64..1_000_000).prop_map(Value::Int),
        (-1000i32..1000).prop_map(|x| Value::Float(f64::from(x) + 0.25)),
        any::<bool>().prop_map(Value::Bool),
    ]
}

fn records() -> impl Strategy<Value = Value> {
    (1usize..4, 1usize..5).prop_flat_map(|(cols, rows)| {
        prop::collection::vec(prop::collection::vec(scalar(), cols), rows).prop_map(move |rows| {
            Value::list(
                rows.into_iter()
                    .map(|cells| {
                        Value::object(
                            cells
                                .into_iter()
                                .enumerate()
                                .map(|(i, v)| (Rc::from(format!("c{i}").as_str()), v))
                                .collect(),
                        )
                    })
                    .collect(),
            )
        })
    })
}

fn round_trip(format: Format, v: &Value) -> Result<Value, String> {
    let cx = WriteContext {
        name: "records",
        now: "2026-01-01T00:00:00Z",
        options: Options::default(),
    };
    let bytes = encode(format, v, &cx)?;
    decode(format, &bytes, &Options::default())
}

proptest! {
    #[test]
    fn records_round_trip(v in records()) {
        for f in [Format::Json, Format::JsonLines, Format::Yaml, Format::Toml, Format::Xml, Format::Csv, Format::Tsv] {
            let back = round_trip(f, &v).map_err(|e| TestCaseError::fail(format!("{f:?}: {e}")))?;
            prop_assert!(equals(&back, &v), "{:?}: {:?} became {:?}", f, v, back);
        }
    }

    #[test]
    fn flat_objects_round_trip_through_key_value_files(v in records()) {
        let Value::List(rows) = &v else { unreachable!() };
        let first = &rows[0];
        let Value::Object(o) = first else { unreachable!() };
        // Both formats trim values and end a value at the line's end.
        let plain = o.entries.iter().all(|(_, x)| !matches!(x, Value::Str(s) if s.contains('\n') || s.trim() != &**s));
        if plain {
            prop_assert!(equals(&round_trip(Format::Text, first).unwrap(), first));
        }
        // .env upper-cases keys: compare against the upper-cased object.
        let back = round_trip(Format::Env, first).unwrap();
        let upper = Value::object(o.entries.iter().map(|(k, x)| (Rc::from(k.to_ascii_uppercase().as_str()), x.clone())).collect());
        let strings_only = o.entries.iter().all(|(_, x)| !matches!(x, Value::Str(s) if s.contains('\n') || s.contains('"') || s.contains('\'') || s.starts_with(' ') || s.ends_with(' ')));
        if strings_only {
            prop_assert!(equals(&back, &upper), "{:?} became {:?}", upper, back);
        }
    }

    #[test]
    fn no_bytes_make_a_decoder_panic(bytes in prop::collection::vec(any::<u8>(), 0..200), pick in 0usize..14) {
        let formats = [Format::Json, Format::JsonLines, Format::Yaml, Format::Xml, Format::Toml, Format::Csv, Format::Tsv,
            Format::Markdown, Format::Html, Format::Text, Format::Sql, Format::Log, Format::Env, Format::Raw];
        let _ = decode(formats[pick], &bytes, &Options::default());
    }
}
