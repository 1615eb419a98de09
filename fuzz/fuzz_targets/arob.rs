//! The `.arob` loader: `arovm_compiler::bytecode::arob::read` and `arovm::loader::Loaded::from_bytes`
//! (what `arovm run app.arob` calls) on arbitrary bytes; every truncation or bit flip must be a
//! clean error. Most mutations only hit the checksum, so the input is loaded a second time with
//! its header repaired (magic, version, body length and FNV-1a checksum rewritten to fit the
//! body), which sends the mutated body into the decoder and the index validation. A program that
//! loads is disassembled and must re-encode to a loadable file.
#![no_main]

use arovm::loader::Loaded;
use arovm_compiler::bytecode::arob::{read, write, FORMAT_VERSION, MAGIC};
use arovm_compiler::bytecode::disasm::disasm;
use libfuzzer_sys::fuzz_target;

const HEADER_LEN: usize = 20;

fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn load(bytes: &[u8]) {
    let direct = read(bytes);
    let loaded = Loaded::from_bytes(bytes);
    assert_eq!(direct.is_ok(), loaded.is_ok());
    if let Ok(p) = direct {
        let _ = disasm(&p);
        let again = write(&p);
        assert!(
            read(&again).is_ok(),
            "a loaded program does not re-encode loadably"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    load(data);
    if data.len() >= HEADER_LEN {
        let mut fixed = data.to_vec();
        fixed[..4].copy_from_slice(MAGIC);
        fixed[4..6].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        let body_len = (fixed.len() - HEADER_LEN) as u64;
        let sum = fnv1a(&fixed[HEADER_LEN..]);
        fixed[8..12].copy_from_slice(&sum.to_le_bytes());
        fixed[12..20].copy_from_slice(&body_len.to_le_bytes());
        load(&fixed);
    }
});
