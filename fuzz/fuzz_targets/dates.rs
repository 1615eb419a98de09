//! `arovm_stdlib::value::date::parse`, `offset`, `format` and `recurrence::parse` — what a date
//! from a request body, a `Compute <x: +Nd>` qualifier or a `Create <r: recurrence>` pattern
//! reads. No input may panic; a parsed date must print as a date that parses to the same instant
//! and offset; an occurrence must lie strictly after (before) its reference moment.
#![no_main]

use arovm_stdlib::value::{date, recurrence};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (head, tail) = text.split_once('|').unwrap_or((&text, "+1d"));
    if let Some(m) = date::parse(head) {
        assert_eq!(date::parse(&m.iso()), Some(m), "{head:?} does not round-trip");
        let _ = date::format(&m, tail);
        if let Some(moved) = date::offset(&m, tail) {
            assert_eq!(date::parse(&moved.iso()), Some(moved));
        }
        if let Ok(r) = recurrence::parse(tail) {
            if let Some(n) = r.next(&m) {
                assert!(n.ts > m.ts, "{tail:?} next is not after {head:?}");
            }
            if let Some(p) = r.previous(&m) {
                assert!(p.ts < m.ts, "{tail:?} previous is not before {head:?}");
            }
        }
    }
    let _ = recurrence::parse(&text);
});
