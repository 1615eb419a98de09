//! `arovm::net::ws::session::WsSession::feed` and `arovm::net::ws::upgrade::{wants_upgrade, check}`.
//!
//! As in the reactor: if the input starts with a complete HTTP request (`request::parse`), it is
//! the upgrade request: `wants_upgrade` and `check` run on it (with any origin, and with an
//! allow-list), and the bytes after it are the first WebSocket input. Otherwise the whole input
//! is WebSocket input. That input is fed to one session in several pieces (lengths drawn with
//! `arbitrary` from the input's reversed tail), with small message/frame limits so the 1009 paths
//! are reachable. Invariants: `Finished` is the last event of a feed; after it the reactor stops
//! feeding (so do we); a session that finished has `closing` set.
#![no_main]

use arbitrary::Unstructured;
use arovm::net::http::request::{parse, Parsed};
use arovm::net::ws::config::WsConfig;
use arovm::net::ws::session::{ContextPool, WsEvent, WsSession};
use arovm::net::ws::upgrade::{check, wants_upgrade};
use arovm::reactor::limits::Limits;
use libfuzzer_sys::fuzz_target;

fn cfg(origins: Vec<String>) -> WsConfig {
    WsConfig {
        paths: vec!["/ws".into(), "/chat".into()],
        max_message: 4096,
        max_frame: 2048,
        origins,
        ..WsConfig::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let mut path = "/ws".to_string();
    let mut ws_input = data;
    if let Ok(Parsed::Complete(req, used)) = parse(data, &Limits::default()) {
        let _ = wants_upgrade(&req);
        path = req.path().to_string();
        let same_site = check(&req, &path, &cfg(Vec::new()));
        let any = check(&req, &path, &cfg(vec!["*".into()]));
        let listed = check(&req, &path, &cfg(vec!["http://localhost:8080".into()]));
        if let Ok(bytes) = &any {
            assert!(bytes.starts_with(b"HTTP/1.1 101 "));
        }
        // "*" admits whatever the same-origin default or a list admits.
        if listed.is_ok() || same_site.is_ok() {
            assert!(any.is_ok(), "allowed by a narrower origin policy but not by \"*\"");
        }
        ws_input = &data[used..];
    }

    let tail: Vec<u8> = data.iter().rev().take(24).copied().collect();
    let mut u = Unstructured::new(&tail);
    let pieces = u.int_in_range(1..=8usize).unwrap_or(1);
    let close_at = u.int_in_range(0..=8usize).unwrap_or(8);
    let config = cfg(Vec::new());
    let mut pool = ContextPool::default();
    let mut session = WsSession::new(path.as_str().into());
    let mut rest = ws_input;
    for i in 0..pieces {
        let n = if i + 1 == pieces {
            rest.len()
        } else {
            u.int_in_range(0..=rest.len()).unwrap_or(0)
        };
        let (piece, after) = rest.split_at(n);
        rest = after;
        if i == close_at {
            // The app closes the connection between two reads.
            session.close(1000, "bye", &config, &mut pool);
        }
        let events = session.feed(piece, &config, &mut pool);
        if let Some(k) = events.iter().position(|e| *e == WsEvent::Finished) {
            assert_eq!(k, events.len() - 1, "events after Finished: {events:?}");
            assert!(session.closing);
            break;
        }
        session.output.clear();
        // A session holds a context exactly while a frame or message is in progress, or once
        // it is closing; the pool stays bounded.
        assert!(pool.len() <= ContextPool::MAX);
    }
});
