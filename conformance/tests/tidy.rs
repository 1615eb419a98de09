//! Repository invariants ARCHITECTURE.md states, checked on the source text: every Rust file
//! starts with `//!` and stays near the house size; the runtime and the network layers do not
//! import each other (only the driver sees both); `net/` touches no socket; `stdlib` does no I/O
//! and reads no clock; no `dbg!` is left behind.

use std::path::{Path, PathBuf};

/// The repository root (this crate lives in `conformance/`).
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Every `.rs` file below `dir` (relative to the root), with its text.
fn rust_files(dir: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root().join(dir)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "target") {
                    continue;
                }
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap_or_default();
                out.push((p, text));
            }
        }
    }
    assert!(!out.is_empty(), "no Rust files under {dir}");
    out
}

/// The files under `dir` whose text contains any of `needles` (comment lines excluded).
fn mentioning(dir: &str, needles: &[&str]) -> Vec<String> {
    let mut hits = Vec::new();
    for (p, text) in rust_files(dir) {
        for (i, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if let Some(n) = needles.iter().find(|n| code.contains(*n)) {
                hits.push(format!("{}:{}: {n}", p.display(), i + 1));
            }
        }
    }
    hits
}

#[test]
fn every_rust_file_says_what_it_is_and_stays_small() {
    for dir in [
        "compiler/src",
        "vm/src",
        "stdlib/src",
        "conformance/src",
        "bench/loadgen/src",
        "bench/ceiling/src",
        "fuzz/fuzz_targets",
    ] {
        for (p, text) in rust_files(dir) {
            assert!(
                text.starts_with("//!"),
                "{} does not start with a //! line",
                p.display()
            );
            let lines = text.lines().count();
            if dir != "conformance/src" && !dir.starts_with("bench") {
                assert!(
                    lines <= 650,
                    "{} has {lines} lines (house size ~600)",
                    p.display()
                );
            }
        }
    }
}

#[test]
fn the_runtime_and_the_network_layers_do_not_import_each_other() {
    let up = mentioning(
        "vm/src/runtime",
        &["crate::reactor", "crate::net", "crate::driver", "mio::"],
    );
    assert!(up.is_empty(), "runtime/ reaches the network: {up:?}");
    for dir in ["vm/src/reactor", "vm/src/net"] {
        let down = mentioning(dir, &["crate::runtime", "crate::driver"]);
        assert!(down.is_empty(), "{dir} reaches the runtime: {down:?}");
    }
    // The one import running back up the layers: the HTTP request parser reads the limits.
    let net_to_reactor: Vec<String> = mentioning("vm/src/net", &["crate::reactor"])
        .into_iter()
        .filter(|h| !h.contains("http/request.rs"))
        .collect();
    assert!(
        net_to_reactor.is_empty(),
        "net/ imports the reactor: {net_to_reactor:?}"
    );
}

#[test]
fn net_is_sans_io_and_stdlib_does_no_io() {
    let sockets = mentioning(
        "vm/src/net",
        &["mio::", "TcpStream", "TcpListener", "UdpSocket", "std::fs"],
    );
    assert!(
        sockets.is_empty(),
        "net/ touches sockets or files: {sockets:?}"
    );
    let io = mentioning(
        "stdlib/src",
        &[
            "std::fs",
            "std::net",
            "mio::",
            "Instant::now",
            "SystemTime::now",
            "std::process",
        ],
    );
    assert!(io.is_empty(), "stdlib does I/O or reads the clock: {io:?}");
}

#[test]
fn no_debug_macros_are_left_behind() {
    for dir in ["compiler/src", "vm/src", "stdlib/src"] {
        let hits = mentioning(dir, &["dbg!("]);
        assert!(hits.is_empty(), "{hits:?}");
    }
}
