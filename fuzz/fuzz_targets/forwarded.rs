//! `arovm::net::http::forwarded` and the WebSocket `Origin` check — who the client is behind a
//! proxy, and whether a browser's upgrade is same-origin: client-controlled header text.
//!
//! Input: the first line is the trusted-proxy list (`--trusted-proxy` syntax), the second the
//! peer address; every further line is one `Name: value` header of an upgrade request.
#![no_main]

use arovm::net::http::forwarded::{client_address, parse_list, valid_request_id};
use arovm::net::http::request::Request;
use arovm::net::ws::config::WsConfig;
use arovm::net::ws::upgrade::check;
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.split('\n');
    let trusted = parse_list(lines.next().unwrap_or("")).unwrap_or_default();
    let peer: IpAddr = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(IpAddr::from([127, 0, 0, 1]));
    let headers: Vec<(&str, &str)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    let req = Request::new("GET", "/ws", 1, &headers);
    // A peer that is not trusted is always the client, whatever the headers say.
    let client = client_address(&req, peer, &trusted);
    if !trusted.iter().any(|c| c.contains(peer)) {
        assert_eq!(client, peer);
    }
    let _ = req.header("x-request-id").map(valid_request_id);
    for origins in [vec![], vec!["*".to_string()], vec!["https://a.example".to_string()]] {
        let cfg = WsConfig {
            origins,
            ..WsConfig::default()
        };
        let _ = check(&req, "/ws", &cfg);
    }
});
