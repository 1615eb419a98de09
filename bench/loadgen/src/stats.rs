//! Measurement helpers: percentiles, timestamps, payload numbers, CPU time and server metrics.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// The `p` quantile (0.0 to 1.0) of `v`, sorting it in place; 0 when empty.
pub(crate) fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[((v.len() - 1) as f64 * p) as usize]
}

/// Microseconds since `origin`, the sender's timestamp carried in each payload.
pub(crate) fn micros(origin: Instant) -> u64 {
    origin.elapsed().as_micros() as u64
}

/// The number after `key` (`"t":`, the sender's timestamp, or `"seq":`, the message number) in
/// a JSON payload, without allocating.
pub(crate) fn number(payload: &[u8], key: &[u8]) -> Option<u64> {
    let at = payload.windows(key.len()).position(|w| w == key)? + key.len();
    let digits = &payload[at..];
    let end = digits
        .iter()
        .position(|d| !d.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    Some(
        digits[..end]
            .iter()
            .fold(0u64, |v, d| v.wrapping_mul(10) + u64::from(d - b'0')),
    )
}

/// CPU time of this (single-threaded) process so far, in ns (`/proc/self/schedstat`).
pub(crate) fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The server's allocation counters (`arovm_heap_allocations_total`,
/// `arovm_heap_allocated_bytes_total`) from its admin `/metrics`, when `LOADGEN_METRICS_PORT`
/// names the admin port (an `arovm` built with `--features count-allocs`).
pub(crate) fn alloc_counters() -> Option<(u64, u64)> {
    let port: u16 = std::env::var("LOADGEN_METRICS_PORT").ok()?.parse().ok()?;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut text = Vec::new();
    let mut buf = [0u8; 16384];
    while !text.ends_with(b"# EOF\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => text.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&text);
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Some((
        value("arovm_heap_allocations_total")?,
        value("arovm_heap_allocated_bytes_total")?,
    ))
}
