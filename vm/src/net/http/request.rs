//! Sans-IO request parsing: bytes in, a complete [`Request`] (head via httparse, body by
//! Content-Length or chunked) or `Partial` or a named [`HttpError`]. Never touches a socket.
//! The one import running back up the layers is `reactor::limits` (the configured limits).

use super::body::ChunkedDecoder;
use super::errors::HttpError;
use crate::reactor::limits::Limits;
use smallvec::SmallVec;

/// A byte range of [`Request`]'s text.
type Span = (u32, u32);

/// A parsed request. The method, target and every header name and value sit back to back in
/// one string (one allocation per request head, none per header).
#[derive(Clone, Debug, Default)]
pub struct Request {
    text: String,
    method: Span,
    target: Span,
    headers: SmallVec<[(Span, Span); 4]>,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor: u8,
    /// The decoded body.
    pub body: Vec<u8>,
}

impl Request {
    /// A request from its parts (tests, fuzz targets and the parser).
    pub fn new(method: &str, target: &str, minor: u8, headers: &[(&str, &str)]) -> Request {
        let len = method.len()
            + target.len()
            + headers
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>();
        let mut r = Request {
            text: String::with_capacity(len),
            minor,
            ..Request::default()
        };
        r.method = r.push(method);
        r.target = r.push(target);
        for (k, v) in headers {
            let h = (r.push(k), r.push(v));
            r.headers.push(h);
        }
        r
    }

    fn push(&mut self, part: &str) -> Span {
        let start = self.text.len() as u32;
        self.text.push_str(part);
        (start, self.text.len() as u32)
    }

    fn at(&self, (a, b): Span) -> &str {
        &self.text[a as usize..b as usize]
    }

    /// Method (`GET`).
    pub fn method(&self) -> &str {
        self.at(self.method)
    }

    /// Request target in origin form (`/users/7?x=1`).
    pub fn target(&self) -> &str {
        self.at(self.target)
    }

    /// The path part of the target (before `?`).
    pub fn path(&self) -> &str {
        let t = self.target();
        t.split_once('?').map_or(t, |(p, _)| p)
    }

    /// Headers in order, names as sent, values trimmed.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.headers.iter().map(|&(k, v)| (self.at(k), self.at(v)))
    }

    /// A header value by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Whether the connection stays open after this request.
    pub fn keep_alive(&self) -> bool {
        let has = |v: &str, token: &str| {
            v.as_bytes()
                .windows(token.len())
                .any(|w| w.eq_ignore_ascii_case(token.as_bytes()))
        };
        match self.header("connection") {
            Some(v) if has(v, "close") => false,
            Some(v) if has(v, "keep-alive") => true,
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

/// Where [`RequestParser::advance`] got to.
#[derive(Debug)]
pub enum Progress {
    /// More bytes are needed.
    Partial {
        /// The head is complete and the body is still arriving (the body timeout applies).
        in_body: bool,
        /// The head asked for `100 Continue`.
        expects_continue: bool,
    },
    /// A complete request.
    Complete(Request),
}

/// How the body of a request is delimited.
#[derive(Debug)]
enum Framing {
    /// This many bytes are still to come.
    Length(usize),
    /// Chunked transfer coding.
    Chunked(ChunkedDecoder),
}

/// A request whose head is parsed and whose body is arriving.
#[derive(Debug)]
struct InBody {
    req: Request,
    framing: Framing,
    expects_continue: bool,
}

/// One connection's request parser. Input is consumed as it is parsed (the caller drops the
/// consumed bytes), so a body arriving in many reads is handled once, in linear time.
#[derive(Debug, Default)]
pub struct RequestParser {
    body: Option<Box<InBody>>,
}

impl RequestParser {
    /// True between requests (no head parsed whose body is still arriving).
    pub fn is_idle(&self) -> bool {
        self.body.is_none()
    }

    /// Parses from the front of `buf`: `(bytes consumed, progress)`. After an error the
    /// connection must be closed (the framing of what follows is unknown).
    pub fn advance(&mut self, buf: &[u8], limits: &Limits) -> Result<(usize, Progress), HttpError> {
        let mut used = 0;
        if self.body.is_none() {
            let Some((head_len, req)) = parse_head(buf, limits)? else {
                return Ok((
                    0,
                    Progress::Partial {
                        in_body: false,
                        expects_continue: false,
                    },
                ));
            };
            used = head_len;
            let expects_continue = req
                .header("expect")
                .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
            let framing = match body_framing(&req, limits)? {
                None => return Ok((used, Progress::Complete(req))),
                Some(f) => f,
            };
            self.body = Some(Box::new(InBody {
                req,
                framing,
                expects_continue,
            }));
        }
        let Some(b) = self.body.as_mut() else {
            return Err(HttpError::BadRequest("parser state"));
        };
        let rest = &buf[used..];
        let done = match &mut b.framing {
            Framing::Length(left) => {
                let take = (*left).min(rest.len());
                b.req.body.extend_from_slice(&rest[..take]);
                used += take;
                *left -= take;
                *left == 0
            }
            Framing::Chunked(d) => {
                used += d.feed(rest)?;
                d.is_done()
            }
        };
        if !done {
            let expects_continue = b.expects_continue;
            return Ok((
                used,
                Progress::Partial {
                    in_body: true,
                    expects_continue,
                },
            ));
        }
        let Some(b) = self.body.take() else {
            return Err(HttpError::BadRequest("parser state"));
        };
        let mut req = b.req;
        if let Framing::Chunked(d) = b.framing {
            req.body = d.body;
        }
        Ok((used, Progress::Complete(req)))
    }
}

/// Parses one request from the start of `buf` (tests and fuzzing; the reactor keeps a
/// [`RequestParser`] per connection).
pub fn parse(buf: &[u8], limits: &Limits) -> Result<Parsed, HttpError> {
    let mut p = RequestParser::default();
    match p.advance(buf, limits)? {
        (used, Progress::Complete(req)) => Ok(Parsed::Complete(req, used)),
        (
            _,
            Progress::Partial {
                expects_continue, ..
            },
        ) => Ok(Parsed::Partial { expects_continue }),
    }
}

/// The request head: `None` while incomplete. Enforces RFC 9112's rules that keep two parsers
/// from disagreeing on where a request ends (request smuggling).
fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<(usize, Request)>, HttpError> {
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
            return Ok(None);
        }
        Err(httparse::Error::TooManyHeaders) => return Err(HttpError::HeadTooLarge),
        Err(httparse::Error::Version) => return Err(version_error(buf)),
        Err(_) => return Err(HttpError::BadRequest("malformed request line or header")),
    };
    if head_len > limits.max_head {
        return Err(HttpError::HeadTooLarge);
    }
    let method = req.method.unwrap_or("GET");
    let path = req.path.unwrap_or("/");
    let minor = req.version.unwrap_or(1);
    let mut len = method.len() + path.len() + 1;
    for h in req.headers.iter() {
        len += h.name.len() + h.value.len();
    }
    if len > u32::MAX as usize {
        return Err(HttpError::HeadTooLarge);
    }
    let mut request = Request {
        text: String::with_capacity(len),
        minor,
        ..Request::default()
    };
    request.method = request.push(method);
    request.target = origin_form(&mut request, path)?;
    for h in req.headers.iter() {
        let v = std::str::from_utf8(h.value)
            .map_err(|_| HttpError::BadRequest("header value is not UTF-8"))?;
        let span = (request.push(h.name), request.push(v.trim()));
        request.headers.push(span);
    }
    if minor >= 1 {
        let hosts = request
            .headers()
            .filter(|(k, _)| k.eq_ignore_ascii_case("host"))
            .count();
        if hosts != 1 {
            return Err(HttpError::BadRequest(if hosts == 0 {
                "missing Host header"
            } else {
                "more than one Host header"
            }));
        }
    }
    Ok(Some((head_len, request)))
}

/// A request line httparse refused for its version: 505 only for a well-formed line naming
/// another HTTP version; anything else (a space inside the target, say) is malformed.
fn version_error(buf: &[u8]) -> HttpError {
    let line_end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    let line = String::from_utf8_lossy(&buf[..line_end]);
    let parts: Vec<&str> = line.trim_end_matches('\r').split(' ').collect();
    let well_formed = parts.len() == 3
        && parts[2]
            .strip_prefix("HTTP/")
            .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
    if well_formed {
        HttpError::VersionNotSupported
    } else {
        HttpError::BadRequest("malformed request line")
    }
}

/// Appends the target in origin form to `req`'s text: an absolute-form target
/// (`http://host/path?q`, as sent to proxies) is routed by its path.
fn origin_form(req: &mut Request, target: &str) -> Result<Span, HttpError> {
    let starts = |scheme: &str| {
        (target.as_bytes())
            .get(..scheme.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(scheme.as_bytes()))
    };
    let rest = if starts("http://") {
        &target[7..]
    } else if starts("https://") {
        &target[8..]
    } else {
        return Ok(req.push(target));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(HttpError::BadRequest("absolute-form target without a host"));
    }
    Ok(match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => req.push(&rest[i..]),
        Some(i) => {
            let (start, _) = req.push("/");
            let (_, end) = req.push(&rest[i..]);
            (start, end)
        }
        None => req.push("/"),
    })
}

/// How the body is delimited (RFC 9112 §6): `None` for no body. Conflicting or malformed
/// framing is refused, never guessed.
fn body_framing(req: &Request, limits: &Limits) -> Result<Option<Framing>, HttpError> {
    let mut codings: Vec<String> = Vec::new();
    let mut te_seen = false;
    let mut length: Option<usize> = None;
    for (k, v) in req.headers() {
        if k.eq_ignore_ascii_case("transfer-encoding") {
            te_seen = true;
            codings.extend(
                v.split(',')
                    .map(|c| c.trim().to_ascii_lowercase())
                    .filter(|c| !c.is_empty()),
            );
        } else if k.eq_ignore_ascii_case("content-length") {
            // `Content-Length: 5, 5` and repeated identical headers are one length.
            for part in v.split(',') {
                let part = part.trim();
                if part.is_empty() || part.len() > 19 || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(HttpError::BadRequest("invalid Content-Length"));
                }
                let n: usize = part
                    .parse()
                    .map_err(|_| HttpError::BadRequest("invalid Content-Length"))?;
                if length.is_some_and(|l| l != n) {
                    return Err(HttpError::BadRequest("conflicting Content-Length headers"));
                }
                length = Some(n);
            }
        }
    }
    if te_seen {
        if length.is_some() {
            return Err(HttpError::BadRequest(
                "both Content-Length and Transfer-Encoding",
            ));
        }
        let chunked_at = codings.iter().position(|c| c == "chunked");
        return match chunked_at {
            Some(0) if codings.len() == 1 => {
                Ok(Some(Framing::Chunked(ChunkedDecoder::new(limits.max_body))))
            }
            // `chunked` must be the final coding, and only once.
            Some(i) if i + 1 != codings.len() => Err(HttpError::BadRequest(
                "chunked is not the final transfer coding",
            )),
            _ if codings.iter().filter(|c| *c == "chunked").count() > 1 => {
                Err(HttpError::BadRequest("chunked applied more than once"))
            }
            _ => Err(HttpError::NotImplemented),
        };
    }
    match length {
        Some(n) if n > limits.max_body => Err(HttpError::BodyTooLarge),
        Some(0) | None => Ok(None),
        Some(n) => Ok(Some(Framing::Length(n))),
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
                assert_eq!(r.target(), "/a?b=1");
                assert_eq!(n, 32);
                assert!(r.keep_alive());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bodies() {
        match p(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcX") {
            Ok(Parsed::Complete(r, n)) => {
                assert_eq!(r.body, b"abc");
                assert_eq!(n, 50);
            }
            other => panic!("{other:?}"),
        }
        match p(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n") {
            Ok(Parsed::Complete(r, _)) => assert_eq!(r.body, b"abcde"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            p(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"),
            Ok(Parsed::Partial {
                expects_continue: true
            })
        ));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            p(b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"),
            Err(HttpError::BadRequest(_))
        ));
        assert!(matches!(
            p(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n"),
            Err(HttpError::BodyTooLarge)
        ));
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(20_000));
        assert!(matches!(p(big.as_bytes()), Err(HttpError::HeadTooLarge)));
        assert!(matches!(
            p(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"),
            Err(HttpError::NotImplemented)
        ));
    }

    fn status(b: &[u8]) -> Result<&'static str, u16> {
        match p(b) {
            Ok(Parsed::Complete(..)) => Ok("complete"),
            Ok(Parsed::Partial { .. }) => Ok("partial"),
            Err(e) => Err(e.status()),
        }
    }

    #[test]
    fn issue_13_smuggling_rules() {
        let h = "POST / HTTP/1.1\r\nHost: x\r\n";
        let with = |extra: &str, body: &str| format!("{h}{extra}\r\n{body}");
        // Conflicting lengths are refused; identical duplicates are one length.
        let cl = with("Content-Length: 5\r\nContent-Length: 6\r\n", "abcdef");
        assert_eq!(status(cl.as_bytes()), Err(400));
        let same = with("Content-Length: 3\r\nContent-Length: 3\r\n", "abc");
        assert_eq!(status(same.as_bytes()), Ok("complete"));
        assert_eq!(
            status(with("Content-Length: 3, 3\r\n", "abc").as_bytes()),
            Ok("complete")
        );
        for bad in ["+5", "-1", " ", "5a", "0x5", "99999999999999999999999"] {
            let r = with(&format!("Content-Length: {bad}\r\n"), "abcde");
            assert_eq!(status(r.as_bytes()), Err(400), "{bad}");
        }
        // Transfer-Encoding is read from every line; only a final `chunked` alone is decoded.
        let te = |v: &str| with(v, "3\r\nabc\r\n0\r\n\r\n");
        assert_eq!(
            status(te("Transfer-Encoding: chunked\r\n").as_bytes()),
            Ok("complete")
        );
        assert_eq!(
            status(te("Transfer-Encoding: xchunked\r\n").as_bytes()),
            Err(501)
        );
        assert_eq!(
            status(te("Transfer-Encoding: gzip, chunked\r\n").as_bytes()),
            Err(501)
        );
        assert_eq!(
            status(te("Transfer-Encoding: chunked, gzip\r\n").as_bytes()),
            Err(400)
        );
        assert_eq!(
            status(te("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n").as_bytes()),
            Err(400)
        );
        assert_eq!(
            status(te("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n").as_bytes()),
            Err(400)
        );
        assert_eq!(
            status(te("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n").as_bytes()),
            Err(400)
        );
        // Chunk sizes.
        assert_eq!(
            status(with("Transfer-Encoding: chunked\r\n", "+3\r\nabc\r\n").as_bytes()),
            Err(400)
        );
        assert_eq!(
            status(with("Transfer-Encoding: chunked\r\n", " 3 \r\nabc\r\n").as_bytes()),
            Err(400)
        );
        assert_eq!(
            status(with("Transfer-Encoding: chunked\r\n", "3\nabc\n0\n\n").as_bytes()),
            Err(400)
        );
        assert_eq!(
            status(
                with(
                    "Transfer-Encoding: chunked\r\n",
                    "1\r\na\r\nffffffffffffffff\r\nabc\r\n0\r\n\r\n"
                )
                .as_bytes()
            ),
            Err(413)
        );
        // Host: exactly one in HTTP/1.1, optional in 1.0.
        assert_eq!(status(b"GET / HTTP/1.1\r\n\r\n"), Err(400));
        assert_eq!(
            status(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
            Err(400)
        );
        assert_eq!(status(b"GET / HTTP/1.0\r\n\r\n"), Ok("complete"));
        // A space in the target is malformed, not an unsupported version.
        assert_eq!(status(b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n"), Err(400));
        assert_eq!(status(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"), Err(505));
    }

    #[test]
    fn issue_13_absolute_form_is_routed_by_its_path() {
        for (target, want) in [
            ("http://example.com/hello?x=1", "/hello?x=1"),
            ("HTTP://example.com:8080/a/b", "/a/b"),
            ("https://example.com", "/"),
            ("http://example.com?q", "/?q"),
            ("/plain", "/plain"),
        ] {
            let r = format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
            match p(r.as_bytes()) {
                Ok(Parsed::Complete(req, _)) => assert_eq!(req.target(), want),
                other => panic!("{target}: {other:?}"),
            }
        }
    }

    #[test]
    fn incremental_parsing_consumes_input_once() {
        let limits = Limits::default();
        let mut parser = RequestParser::default();
        let mut input =
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for _ in 0..1000 {
            input.extend_from_slice(b"1\r\nz\r\n");
        }
        input.extend_from_slice(b"0\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n");
        let mut buf = Vec::new();
        let mut done = Vec::new();
        for piece in input.chunks(7) {
            buf.extend_from_slice(piece);
            loop {
                let (used, progress) = parser.advance(&buf, &limits).unwrap();
                buf.drain(..used);
                match progress {
                    Progress::Complete(r) => done.push(r),
                    Progress::Partial { .. } => break,
                }
            }
            // Nothing is kept but an unfinished line: the body is never re-decoded.
            assert!(buf.len() < 64, "{}", buf.len());
        }
        assert_eq!(done.len(), 2);
        assert_eq!(done[0].body.len(), 1000);
        assert_eq!(done[1].target(), "/next");
    }
}
