//! The upgrade handshake, done by the server itself: `GET` on a WebSocket path with
//! `Upgrade: websocket`, `Connection: upgrade`, `Sec-WebSocket-Version: 13` and a valid key →
//! `101 Switching Protocols`; a wrong version → 426 with `Sec-WebSocket-Version: 13`; a bad or
//! missing key → 400; an `Origin` outside the allow-list → 403.

use super::config::WsConfig;
use crate::net::http::request::Request;
use crate::net::http::response::Response;

/// Whether the request asks for a WebSocket (then it is answered by [`check`]).
pub fn wants_upgrade(req: &Request) -> bool {
    req.header("upgrade")
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

fn key_ok(key: &str) -> bool {
    // A base64 encoding of 16 bytes: 24 characters ending in "==".
    key.len() == 24
        && key.ends_with("==")
        && key[..22]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// Validates an upgrade on `path`; Ok is the 101 response bytes.
pub fn check(req: &Request, path: &str, cfg: &WsConfig) -> Result<Vec<u8>, Response> {
    if !cfg.paths.iter().any(|p| p == path) {
        return Err(Response::error(404, "no WebSocket on this path"));
    }
    if req.method() != "GET" || req.minor < 1 {
        return Err(Response::error(
            400,
            "WebSocket upgrade needs GET over HTTP/1.1",
        ));
    }
    let conn_upgrade = req.header("connection").is_some_and(|v| {
        v.split(',')
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
    });
    if !conn_upgrade {
        return Err(Response::error(400, "missing 'Connection: upgrade'"));
    }
    if req.header("sec-websocket-version").map(str::trim) != Some("13") {
        let mut r = Response::error(426, "unsupported WebSocket version");
        r.headers
            .push(("Sec-WebSocket-Version".into(), "13".into()));
        return Err(r);
    }
    let Some(key) = req
        .header("sec-websocket-key")
        .map(str::trim)
        .filter(|k| key_ok(k))
    else {
        return Err(Response::error(400, "missing or invalid Sec-WebSocket-Key"));
    };
    if !origin_allowed(req, &cfg.origins) {
        return Err(Response::error(403, "origin not allowed"));
    }
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    Ok(format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes())
}

/// Cross-site WebSocket hijacking protection (as Phoenix's `check_origin`): without an
/// allow-list a browser's `Origin` must be the page's own host (`Host`, default ports ignored);
/// `"*"` allows any; a list allows exactly those origins. No `Origin`: not a browser, allowed.
fn origin_allowed(req: &Request, allowed: &[String]) -> bool {
    let Some(origin) = req.header("origin").map(str::trim) else {
        return true;
    };
    if allowed.iter().any(|o| o == "*") {
        return true;
    }
    if !allowed.is_empty() {
        return allowed
            .iter()
            .any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin));
    }
    let authority = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.strip_suffix(":80")
            .or_else(|| s.strip_suffix(":443"))
            .map_or(s.clone(), str::to_string)
    };
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false; // `null` (sandboxed pages, files) and anything else
    };
    let host = req.header("host").unwrap_or("");
    !rest.is_empty() && authority(rest) == authority(host.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        Request::new("GET", "/ws", 1, headers)
    }

    #[test]
    fn rfc_example_and_errors() {
        let cfg = WsConfig::default();
        let with = |version: &str, key: &str| {
            req(&[
                ("Upgrade", "websocket"),
                ("Connection", "keep-alive, Upgrade"),
                ("Sec-WebSocket-Version", version),
                ("Sec-WebSocket-Key", key),
            ])
        };
        let ok = with("13", "dGhlIHNhbXBsZSBub25jZQ==");
        let r = String::from_utf8(check(&ok, "/ws", &cfg).unwrap()).unwrap();
        assert!(r.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        let v = with("8", "dGhlIHNhbXBsZSBub25jZQ==");
        assert_eq!(check(&v, "/ws", &cfg).unwrap_err().status, 426);
        let k = with("13", "short");
        assert_eq!(check(&k, "/ws", &cfg).unwrap_err().status, 400);
    }

    #[test]
    fn cross_site_upgrades_are_refused_unless_allowed() {
        let with = |origin: &str, host: &str| {
            req(&[
                ("Host", host),
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ("Origin", origin),
            ])
        };
        let same = WsConfig::default();
        let status = |r: &Request, c: &WsConfig| check(r, "/ws", c).err().map_or(101, |e| e.status);
        assert_eq!(
            status(&with("http://localhost:8080", "localhost:8080"), &same),
            101
        );
        assert_eq!(
            status(
                &with("https://Chat.Example.com", "chat.example.com:443"),
                &same
            ),
            101
        );
        assert_eq!(
            status(&with("http://evil.example", "localhost:8080"), &same),
            403
        );
        assert_eq!(
            status(&with("http://localhost:9999", "localhost:8080"), &same),
            403
        );
        assert_eq!(status(&with("null", "localhost:8080"), &same), 403);
        let any = WsConfig {
            origins: vec!["*".into()],
            ..WsConfig::default()
        };
        assert_eq!(
            status(&with("http://evil.example", "localhost:8080"), &any),
            101
        );
        let list = WsConfig {
            origins: vec!["https://app.example.com".into()],
            ..WsConfig::default()
        };
        assert_eq!(
            status(&with("https://app.example.com", "api.example.com"), &list),
            101
        );
        assert_eq!(
            status(&with("http://localhost:8080", "localhost:8080"), &list),
            403
        );
        // No Origin: not a browser.
        let plain = req(&[
            ("Host", "localhost:8080"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ]);
        assert_eq!(status(&plain, &same), 101);
    }
}
