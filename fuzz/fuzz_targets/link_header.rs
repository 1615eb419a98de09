//! `arovm_stdlib::actions::link_header::parse` — what `Parse the <r: link-header> from <src>`
//! reads: header text from an HTTP response, so anything a server sends. Every pair it returns
//! must be two slices of the input with a non-empty URL (an empty rel, from `rel=""`, is kept and
//! may point anywhere), and parsing must not depend on anything but the text.
#![no_main]

use arovm_stdlib::actions::link_header::parse;
use libfuzzer_sys::fuzz_target;

/// True when `part` is a slice of `whole` (not merely equal to some text in it).
fn within(part: &str, whole: &str) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let pairs = parse(&text);
    for (rel, url) in &pairs {
        assert!(!url.is_empty(), "an empty URL was kept");
        assert!((rel.is_empty() || within(rel, &text)) && within(url, &text));
    }
    assert_eq!(pairs, parse(&text));
});
