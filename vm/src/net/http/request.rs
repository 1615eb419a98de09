//! Sans-IO request parsing: bytes in, a complete [`Request`] (head via httparse, body by
//! Content-Length or chunked) or `Partial` or a named [`HttpError`]. Never touches a socket.

use super::errors::HttpError;
use crate::reactor::limits::Limits;

/// A parsed request.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// Method (`GET`).
    pub method: String,
    /// Request target as sent (`/users/7?x=1`).
    pub target: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Vec<u8>,
}

impl Request {
    /// A header value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the connection stays open after this request.
    pub fn keep_alive(&self) -> bool {
        let conn = self.header("connection").map(|v| v.to_ascii_lowercase());
        match conn.as_deref() {
            Some(v) if v.contains("close") => false,
            Some(v) if v.contains("keep-alive") => true,
            _ => self.minor >= 1,
        }
    }
}

/// Result of feeding the buffer to the parser.
#[derive(Debug)]
pub enum Parsed {
    /// More bytes are needed; `expects_continue` when the head is complete and asks for
    /// `100 Continue` before sending the body.
    Partial {
        /// The head is complete and has `Expect: 100-continue`.
        expects_continue: bool,
    },
    /// A full request and how many bytes of the buffer it used.
    Complete(Request, usize),
}

/// Parses one request from the start of `buf`.
pub fn parse(buf: &[u8], limits: &Limits) -> Result<Parsed, HttpError> {
    // Header slots on the stack for the usual limit; a larger configured limit uses the heap.
    let mut on_stack = [httparse::EMPTY_HEADER; 128];
    let mut on_heap;
    let headers: &mut [httparse::Header] = if limits.max_headers <= on_stack.len() {
        &mut on_stack[..limits.max_headers]
    } else {
        on_heap = vec![httparse::EMPTY_HEADER; limits.max_headers];
        &mut on_heap
    };
    let mut req = httparse::Request::new(headers);
    let head_len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            if buf.len() > limits.max_head {
                return Err(HttpError::HeadTooLarge);
            }
            return Ok(Parsed::Partial {
                expects_continue: false,
            });
        }
        Err(httparse::Error::TooManyHeaders) => return Err(HttpError::HeadTooLarge),
        Err(httparse::Error::Version) => {
            // `HTTP/2.0` is a version we do not speak; anything else is just malformed.
            let line_end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
            let line = String::from_utf8_lossy(&buf[..line_end]);
            return Err(if line.contains(" HTTP/") {
                HttpError::VersionNotSupported
            } else {
                HttpError::BadRequest("malformed request line")
            });
        }
        Err(_) => return Err(HttpError::BadRequest("malformed request line or header")),
    };
    if head_len > limits.max_head {
        return Err(HttpError::HeadTooLarge);
    }
    let method = req.method.unwrap_or("GET").to_string();
    let target = req.path.unwrap_or("/").to_string();
    let minor = req.version.unwrap_or(1);
    let mut hs = Vec::with_capacity(req.headers.len());
    for h in req.headers.iter() {
        let v = std::str::from_utf8(h.value)
            .map_err(|_| HttpError::BadRequest("header value is not UTF-8"))?;
        hs.push((h.name.to_string(), v.trim().to_string()));
    }
    let mut request = Request {
        method,
        target,
        minor,
        headers: hs,
        body: Vec::new(),
    };
    let expects_continue = request
        .header("expect")
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    let chunked = request
        .header("transfer-encoding")
        .map(|v| v.to_ascii_lowercase());
    let rest = &buf[head_len..];
    if let Some(te) = chunked {
        if te.trim() != "chunked" && !te.ends_with("chunked") {
            return Err(HttpError::NotImplemented);
        }
        if request.header("content-length").is_some() {
            return Err(HttpError::BadRequest(
                "both Content-Length and Transfer-Encoding",
            ));
        }
        return match dechunk(rest, limits.max_body)? {
            Some((body, used)) => {
                request.body = body;
                Ok(Parsed::Complete(request, head_len + used))
            }
            None => Ok(Parsed::Partial { expects_continue }),
        };
    }
    let len = match request.header("content-length") {
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map_err(|_| HttpError::BadRequest("invalid Content-Length"))?,
        None => 0,
    };
    if len > limits.max_body {
        return Err(HttpError::BodyTooLarge);
    }
    if rest.len() < len {
        return Ok(Parsed::Partial { expects_continue });
    }
    request.body = rest[..len].to_vec();
    Ok(Parsed::Complete(request, head_len + len))
}

/// Decodes a chunked body from the start of `buf`; `None` when incomplete.
pub fn dechunk_body(buf: &[u8], max: usize) -> Result<Option<Vec<u8>>, HttpError> {
    Ok(dechunk(buf, max)?.map(|(b, _)| b))
}

/// Decodes a chunked body; `None` when incomplete.
fn dechunk(mut buf: &[u8], max: usize) -> Result<Option<(Vec<u8>, usize)>, HttpError> {
    let start_len = buf.len();
    let mut body = Vec::new();
    loop {
        let Some(line_end) = buf.windows(2).position(|w| w == b"\r\n") else {
            if buf.len() > 1024 {
                return Err(HttpError::BadRequest("chunk size line too long"));
            }
            return Ok(None);
        };
        let line = std::str::from_utf8(&buf[..line_end])
            .map_err(|_| HttpError::BadRequest("invalid chunk size"))?;
        let size_txt = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_txt, 16)
            .map_err(|_| HttpError::BadRequest("invalid chunk size"))?;
        buf = &buf[line_end + 2..];
        if size == 0 {
            // Trailers end with an empty line.
            loop {
                let Some(e) = buf.windows(2).position(|w| w == b"\r\n") else {
                    return Ok(None);
                };
                buf = &buf[e + 2..];
                if e == 0 {
                    return Ok(Some((body, start_len - buf.len())));
                }
            }
        }
        if body.len() + size > max {
            return Err(HttpError::BodyTooLarge);
        }
        if buf.len() < size + 2 {
            return Ok(None);
        }
        if &buf[size..size + 2] != b"\r\n" {
            return Err(HttpError::BadRequest("chunk not terminated by CRLF"));
        }
        body.extend_from_slice(&buf[..size]);
        buf = &buf[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(b: &[u8]) -> Result<Parsed, HttpError> {
        parse(b, &Limits::default())
    }

    #[test]
    fn partial_then_complete() {
        assert!(matches!(
            p(b"GET / HTTP/1.1\r\nHost: x\r\n"),
            Ok(Parsed::Partial { .. })
        ));
        match p(b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /next") {
            Ok(Parsed::Complete(r, n)) => {
                assert_eq!(r.target, "/a?b=1");
                assert_eq!(n, 32);
                assert!(r.keep_alive());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bodies() {
        match p(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcX") {
            Ok(Parsed::Complete(r, n)) => {
                assert_eq!(r.body, b"abc");
                assert_eq!(n, 41);
            }
            other => panic!("{other:?}"),
        }
        match p(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n") {
            Ok(Parsed::Complete(r, _)) => assert_eq!(r.body, b"abcde"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            p(b"POST / HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"),
            Ok(Parsed::Partial {
                expects_continue: true
            })
        ));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            p(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
            Err(HttpError::BadRequest(_))
        ));
        assert!(matches!(
            p(b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n"),
            Err(HttpError::BodyTooLarge)
        ));
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(20_000));
        assert!(matches!(p(big.as_bytes()), Err(HttpError::HeadTooLarge)));
        assert!(matches!(
            p(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"),
            Err(HttpError::NotImplemented)
        ));
    }
}
