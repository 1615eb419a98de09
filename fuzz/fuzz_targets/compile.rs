//! `arovm_compiler::compile_sources` — lexer, parser, codegen and app checks on one in-memory
//! `main.aro` (the input, decoded as `compile_dir` does, lossily). Diagnostics are fine; a panic
//! is not. A program that compiles must survive the `.arob` round trip (`arob::write` then
//! `arob::read`, byte-identical on re-write), `Loaded::new` and `disasm`.
#![no_main]

use arovm::loader::Loaded;
use arovm_compiler::bytecode::{arob, disasm::disasm};
use arovm_compiler::compile_sources;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let Ok(program) = compile_sources(vec![("main.aro".into(), text)], Vec::new()) else {
        return;
    };
    let bytes = arob::write(&program);
    let back = match arob::read(&bytes) {
        Ok(p) => p,
        Err(e) => panic!("a compiled program does not load back: {e}"),
    };
    assert_eq!(
        arob::write(&back),
        bytes,
        ".arob round trip changed the program"
    );
    let _ = disasm(&back);
    let _ = Loaded::new(back);
});
