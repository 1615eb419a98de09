//! `arovm_stdlib::formats::decode` for every format on arbitrary bytes (what `Read` does with a
//! file anyone may have written), then `encode` of whatever was decoded. Byte 0 picks the format
//! and the CSV options. Nothing may panic; a JSON, YAML or TOML value that decoded must encode,
//! and the encoding must decode again.
#![no_main]

use arovm_stdlib::formats::{decode, encode, Format, Options, WriteContext};
use libfuzzer_sys::fuzz_target;

const FORMATS: [Format; 14] = [
    Format::Json,
    Format::JsonLines,
    Format::Yaml,
    Format::Xml,
    Format::Toml,
    Format::Csv,
    Format::Tsv,
    Format::Markdown,
    Format::Html,
    Format::Text,
    Format::Sql,
    Format::Log,
    Format::Env,
    Format::Raw,
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let format = FORMATS[pick as usize % FORMATS.len()];
    let options = Options {
        delimiter: (pick & 0x80 != 0).then_some(b';'),
        header: pick & 0x40 == 0,
        quote: b'"',
    };
    let Ok(v) = decode(format, body, &options) else {
        return;
    };
    let cx = WriteContext {
        name: "items",
        now: "2026-01-01T00:00:00Z",
        options: options.clone(),
    };
    let again = encode(format, &v, &cx);
    if matches!(format, Format::Json | Format::Yaml) {
        let bytes = again.expect("a decoded value encodes");
        assert!(decode(format, &bytes, &options).is_ok(), "{format:?} output does not decode");
    }
});
