//! `arovm::net::http::client::parse_response` — the outbound client's response parser, with the
//! reactor's body limit (64 MiB), on the whole input with `eof` false and true.
//! Invariant: a response complete before EOF is the same response at EOF.
#![no_main]

use arovm::net::http::client::parse_response;
use libfuzzer_sys::fuzz_target;

const MAX_BODY: usize = 64 * 1024 * 1024;

fuzz_target!(|data: &[u8]| {
    let open = parse_response(data, false, MAX_BODY);
    let closed = parse_response(data, true, MAX_BODY);
    if let Ok(None) = closed {
        panic!("eof=true must give a response or an error");
    }
    if let (Ok(Some(a)), Ok(Some(b))) = (&open, &closed) {
        assert_eq!(a.status, b.status);
        assert_eq!(a.headers, b.headers);
        assert_eq!(a.body, b.body);
    } else if let Ok(Some(_)) = open {
        panic!("complete before EOF but not at EOF: {closed:?}");
    }
    // A smaller limit reaches the 413 paths.
    let _ = parse_response(data, false, 64);
    let _ = parse_response(data, true, 64);
});
