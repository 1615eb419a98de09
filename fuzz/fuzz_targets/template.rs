//! `arovm_compiler::template::to_aro` — the template compiler — on arbitrary text, as an `.html`
//! or a plain template (byte 0), then the generated ARO through the real build path:
//! `compile_sources` with the text as resource `templates/page.<ext>` (parsed as the template's
//! feature set body, then codegen). Diagnostics are fine; a panic is not.
#![no_main]

use arovm_compiler::bytecode::Resource;
use arovm_compiler::compile_sources;
use arovm_compiler::template::to_aro;
use libfuzzer_sys::fuzz_target;

const MAIN: &str =
    "(Application-Start: Templates) {\n    Return an <OK: status> for the <startup>.\n}\n";

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let path = if sel & 1 == 0 {
        "page.html"
    } else {
        "page.txt"
    };
    let text = String::from_utf8_lossy(rest);
    let _ = to_aro(path, &text);
    let resources = vec![Resource {
        path: format!("templates/{path}"),
        bytes: rest.to_vec(),
    }];
    let _ = compile_sources(vec![("main.aro".into(), MAIN.into())], resources);
});
