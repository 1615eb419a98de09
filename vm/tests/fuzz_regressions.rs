//! Every input the fuzzers ever crashed on (`fuzz/regressions/<target>/`) replayed through the
//! same entry point in `cargo test`, so a fixed crash stays fixed without a fuzzing toolchain.

use arovm::net::http::client::parse_response;
use arovm::net::http::request::{parse, Progress, RequestParser};
use arovm::reactor::limits::Limits;
use arovm_compiler::bytecode::Resource;
use arovm_compiler::compile_sources;
use arovm_compiler::template::to_aro;
use std::path::PathBuf;

/// The regression inputs of one fuzz target.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/regressions")
        .join(target);
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let bytes = std::fs::read(e.path()).unwrap();
            out.push((e.file_name().to_string_lossy().into_owned(), bytes));
        }
    }
    out
}

#[test]
fn http_request_regressions() {
    let all = inputs("http_request");
    assert!(!all.is_empty(), "regressions are found");
    for (name, data) in all {
        let limits = Limits::default();
        let _ = parse(&data, &limits);
        let mut parser = RequestParser::default();
        let mut buf = Vec::new();
        'reads: for piece in data.chunks(3) {
            buf.extend_from_slice(piece);
            loop {
                match parser.advance(&buf, &limits) {
                    Ok((used, Progress::Complete(_))) => drop(buf.drain(..used)),
                    Ok((used, Progress::Partial { .. })) => {
                        buf.drain(..used);
                        break;
                    }
                    Err(_) => break 'reads,
                }
            }
        }
        eprintln!("replayed {name}");
    }
}

#[test]
fn http_response_regressions() {
    for (_, data) in inputs("http_response") {
        let _ = parse_response(&data, false, 1 << 20);
        let _ = parse_response(&data, true, 1 << 20);
    }
}

#[test]
fn compile_regressions() {
    for (_, data) in inputs("compile") {
        let text = String::from_utf8_lossy(&data).into_owned();
        let _ = compile_sources(vec![("main.aro".into(), text)], Vec::new());
    }
}

#[test]
fn template_regressions() {
    const MAIN: &str =
        "(Application-Start: Templates) {\n    Return an <OK: status> for the <startup>.\n}\n";
    for (_, data) in inputs("template") {
        // As the fuzz target reads it: the first byte picks the extension.
        let Some((&sel, rest)) = data.split_first() else {
            continue;
        };
        let path = if sel & 1 == 0 {
            "page.html"
        } else {
            "page.txt"
        };
        let _ = to_aro(path, &String::from_utf8_lossy(rest));
        let resources = vec![Resource {
            path: format!("templates/{path}"),
            bytes: rest.to_vec(),
        }];
        let _ = compile_sources(vec![("main.aro".into(), MAIN.into())], resources);
    }
}
