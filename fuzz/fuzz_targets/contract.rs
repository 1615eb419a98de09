//! `arovm_compiler::contract::parse` — the `openapi.yaml` loader — on arbitrary YAML text, with
//! its diagnostics rendered (`diagnostics::render`, which slices the YAML at the reported
//! spans), then the same text as the `openapi.yaml` of a small app through `compile_sources`
//! (route → handler checks and their diagnostics).
#![no_main]

use arovm_compiler::bytecode::Resource;
use arovm_compiler::compile_sources;
use arovm_compiler::contract::parse;
use arovm_compiler::diagnostics::{render, Diagnostics};
use arovm_compiler::source::SourceMap;
use libfuzzer_sys::fuzz_target;

const MAIN: &str = "(Application-Start: Contract) {\n    Start the <http-server> with <contract>.\n    Return an <OK: status> for the <startup>.\n}\n(listNotes: Notes API) {\n    Return an <OK: status> for the <request>.\n}\n";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let mut sources = SourceMap::default();
    let mut diags = Diagnostics::default();
    let file = sources.add("openapi.yaml".into(), text);
    let contract = parse(file, &sources, &mut diags);
    for r in &contract.routes {
        assert!(!r.method.is_empty());
    }
    let _ = render(&sources, &diags);

    let resources = vec![Resource {
        path: "openapi.yaml".into(),
        bytes: data.to_vec(),
    }];
    let _ = compile_sources(vec![("main.aro".into(), MAIN.into())], resources);
});
