//! The outbound HTTP client, sans-IO: URL parsing, request encoding, and response parsing
//! (Content-Length, chunked, or until close). The reactor moves the bytes.

use super::body::dechunk;
use super::errors::HttpError;

/// A parsed `http://host[:port]/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Host name or IP literal.
    pub host: String,
    /// Port (80 by default).
    pub port: u16,
    /// Path and query (`/` by default).
    pub path: String,
    /// `https://`: the connection speaks TLS.
    pub tls: bool,
}

/// Parses an `http://` or `https://` URL.
pub fn parse_url(url: &str) -> Result<Url, String> {
    let (rest, tls) = if let Some(r) = url.strip_prefix("http://") {
        (r, false)
    } else if let Some(r) = url.strip_prefix("https://") {
        (r, true)
    } else {
        return Err(format!(
            "Invalid URL '{url}': must start with http:// or https://"
        ));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("Invalid URL '{url}': bad port"))?,
        ),
        _ => (authority, if tls { 443 } else { 80 }),
    };
    if host.is_empty() {
        return Err(format!("Invalid URL '{url}': no host"));
    }
    Ok(Url {
        host: host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port,
        path: path.to_string(),
        tls,
    })
}

/// Encodes a request (with `Connection: close`, so the response ends with the connection).
pub fn encode(
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    body: Option<&[u8]>,
) -> Vec<u8> {
    let mut h = format!("{method} {} HTTP/1.1\r\nHost: {}", url.path, url.host);
    if url.port != 80 {
        h.push_str(&format!(":{}", url.port));
    }
    h.push_str("\r\nConnection: close\r\n");
    let has = |n: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
    if !has("user-agent") {
        h.push_str("User-Agent: ARO-HTTP-Client/1.0\r\n");
    }
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        if !has("content-type") {
            h.push_str("Content-Type: application/json\r\n");
        }
        h.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    h.push_str("\r\n");
    let mut out = h.into_bytes();
    if let Some(b) = body {
        out.extend_from_slice(b);
    }
    out
}

/// A received response.
#[derive(Debug, Clone)]
pub struct ClientResponse {
    /// Status code.
    pub status: u16,
    /// Headers as sent.
    pub headers: Vec<(String, String)>,
    /// Decoded body.
    pub body: Vec<u8>,
}

/// Parses a response from `buf`; `None` while incomplete (`eof` = the server closed).
pub fn parse_response(
    buf: &[u8],
    eof: bool,
    max_body: usize,
) -> Result<Option<ClientResponse>, HttpError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut resp = httparse::Response::new(&mut headers);
    let head = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if eof => {
            return Err(HttpError::BadRequest(
                "connection closed before the response head",
            ))
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(HttpError::BadRequest("malformed response")),
    };
    let status = resp.code.unwrap_or(0);
    let hs: Vec<(String, String)> = resp
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect();
    let find = |n: &str| {
        hs.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    let rest = &buf[head..];
    let body =
        if find("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")) {
            match dechunk(rest, max_body)? {
                Some((b, _)) => b,
                None if eof => return Err(HttpError::BadRequest("truncated chunked response")),
                None => return Ok(None),
            }
        } else if let Some(len) = find("content-length").and_then(|l| l.parse::<usize>().ok()) {
            if len > max_body {
                return Err(HttpError::BodyTooLarge);
            }
            if rest.len() < len {
                if eof {
                    return Err(HttpError::BadRequest("truncated response body"));
                }
                return Ok(None);
            }
            rest[..len].to_vec()
        } else if status == 204 || status == 304 || (100..200).contains(&status) {
            Vec::new()
        } else if eof {
            rest.to_vec()
        } else {
            if rest.len() > max_body {
                return Err(HttpError::BodyTooLarge);
            }
            return Ok(None);
        };
    Ok(Some(ClientResponse {
        status,
        headers: hs,
        body,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_responses() {
        let u = parse_url("http://127.0.0.1:8080/a?b=1").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("127.0.0.1", 8080, "/a?b=1")
        );
        assert!(parse_url("ftp://x").is_err());
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
            false,
            100,
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.body, b"hi");
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n\r\nabc", false, 100)
            .unwrap()
            .is_none());
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\n\r\nabc", true, 100)
                .unwrap()
                .unwrap()
                .body,
            b"abc"
        );
    }
}
