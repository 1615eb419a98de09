//! `arovm::net::http::content` — request content → ARO values: `parse_query`, `parse_body` and
//! `request_env` (what a handler sees), then the values rendered as JSON and display text as a
//! response would.
//!
//! Input: byte 0 picks the Content-Type (and whether array query parameters are declared);
//! the rest up to the first `\n` is the request target (path `?` query), the remainder the body.
#![no_main]

use arovm::net::http::content::{parse_body, parse_query, request_env};
use arovm::net::http::request::Request;
use arovm_stdlib::value::{to_display, to_json, to_json_wire, Value};
use libfuzzer_sys::fuzz_target;

const TYPES: &[Option<&str>] = &[
    None,
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("text/plain"),
    Some("application/json; charset=utf-8"),
    Some("application/x-www-form-urlencoded; charset=UTF-8"),
    Some("application/vnd.api+json"),
    Some("multipart/form-data; boundary=x"),
];

fn render(v: &Value) {
    let _ = to_json(v);
    let _ = to_json_wire(v);
    let _ = to_display(v);
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let (target, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let target = String::from_utf8_lossy(target).into_owned();
    let mut headers = vec![("Host", "x")];
    if let Some(ct) = TYPES[sel as usize % TYPES.len()] {
        headers.push(("Content-Type", ct));
    }
    let mut req = Request::new("POST", &target, 1, &headers);
    req.body = body.to_vec();

    let raw_query = req.target().split_once('?').map_or("", |(_, q)| q);
    render(&parse_query(raw_query));
    if let Ok(v) = parse_body(&req) {
        render(&v);
    }
    let arrays: Vec<String> = if sel & 0x80 != 0 {
        vec!["t".into(), "ids".into(), "".into()]
    } else {
        Vec::new()
    };
    let params = vec![("id".to_string(), "7".to_string())];
    if let Ok(env) = request_env(&req, &params, &arrays, "127.0.0.1") {
        for (_, v) in &env {
            render(v);
        }
    }
});
