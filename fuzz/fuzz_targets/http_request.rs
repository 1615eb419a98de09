//! `arovm::net::http::request::parse` — the server's request parser.
//!
//! 1. The raw input is parsed once with the default `Limits` (what a single read delivers).
//! 2. The same bytes arrive as several reads, as the reactor sees them: after each read the
//!    growing buffer is parsed again and every complete request is consumed (pipelining). The
//!    number of reads and their lengths are drawn with `arbitrary` from the input's last bytes
//!    (reversed), so mutating the tail moves the split points while the request text stays
//!    intact. Invariants: `used` is in `1..=buf.len()`, and when neither way of feeding ends in an
//!    error, both yield the same requests and the same leftover bytes.
#![no_main]

use arbitrary::Unstructured;
use arovm::net::http::request::{parse, Parsed, Request};
use arovm::reactor::limits::Limits;
use libfuzzer_sys::fuzz_target;

/// Parses and consumes every complete request at the front of `buf`.
fn pump(buf: &mut Vec<u8>, limits: &Limits, out: &mut Vec<Request>) -> Result<(), ()> {
    while !buf.is_empty() {
        match parse(buf, limits) {
            Ok(Parsed::Complete(req, used)) => {
                assert!(
                    used > 0 && used <= buf.len(),
                    "used {used} of {}",
                    buf.len()
                );
                buf.drain(..used);
                out.push(req);
            }
            Ok(Parsed::Partial { .. }) => return Ok(()),
            Err(_) => return Err(()),
        }
    }
    Ok(())
}

/// Read lengths for `data`, drawn from its reversed tail.
fn cuts(data: &[u8]) -> (Vec<usize>, bool) {
    let tail: Vec<u8> = data.iter().rev().take(24).copied().collect();
    let mut u = Unstructured::new(&tail);
    let small_limits = u.arbitrary::<bool>().unwrap_or(false);
    let n = u.int_in_range(1..=8usize).unwrap_or(1);
    let mut left = data.len();
    let mut lens = Vec::new();
    for _ in 1..n {
        let l = u.int_in_range(0..=left).unwrap_or(0);
        lens.push(l);
        left -= l;
    }
    lens.push(left);
    (lens, small_limits)
}

fn key(r: &Request) -> String {
    format!("{r:?} keep_alive={}", r.keep_alive())
}

fuzz_target!(|data: &[u8]| {
    // 1. One read, default limits.
    let defaults = Limits::default();
    if let Ok(Parsed::Complete(req, used)) = parse(data, &defaults) {
        assert!(used > 0 && used <= data.len());
        let _ = req.keep_alive();
    }

    // 2. Several reads, pipelined requests consumed as they complete.
    let (lens, small) = cuts(data);
    let limits = if small {
        // Small limits reach the 413/431 paths; 200 header slots take the heap branch.
        Limits {
            max_head: 512,
            max_body: 256,
            max_headers: 200,
            ..Limits::default()
        }
    } else {
        defaults
    };
    let mut whole_buf = data.to_vec();
    let mut whole = Vec::new();
    let whole_ok = pump(&mut whole_buf, &limits, &mut whole);

    let mut buf = Vec::new();
    let mut split = Vec::new();
    let mut split_ok = Ok(());
    let mut pos = 0;
    for l in lens {
        buf.extend_from_slice(&data[pos..pos + l]);
        pos += l;
        split_ok = pump(&mut buf, &limits, &mut split);
        if split_ok.is_err() {
            break;
        }
    }
    if whole_ok.is_ok() && split_ok.is_ok() {
        let a: Vec<String> = whole.iter().map(key).collect();
        let b: Vec<String> = split.iter().map(key).collect();
        assert_eq!(a, b, "split reads parsed differently");
        assert_eq!(whole_buf, buf, "split reads left different bytes");
    }
});
