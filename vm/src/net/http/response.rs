//! Response encoding: status line, headers (Content-Type, Content-Length, Date, Connection), body;
//! and the table from ARO status names (`OK`, `Created`, `NotFound`...) to codes.

use std::borrow::Cow;

/// ARO status names → HTTP codes, the reference's table (names match case-insensitively).
const STATUS: &[(&str, u16)] = &[
    ("OK", 200),
    ("Success", 200),
    ("Created", 201),
    ("Accepted", 202),
    ("NoContent", 204),
    ("No-Content", 204),
    ("BadRequest", 400),
    ("Bad-Request", 400),
    ("Invalid", 400),
    ("Unauthorized", 401),
    ("Forbidden", 403),
    ("NotFound", 404),
    ("Not-Found", 404),
    ("Conflict", 409),
    ("Error", 500),
    ("ServerError", 500),
    ("Server-Error", 500),
];

/// The code of an ARO status name; any other name is 200, as in the reference.
pub fn code_of(name: &str) -> u16 {
    STATUS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or(200, |&(_, c)| c)
}

/// The standard reason phrase of a code.
pub fn reason(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        423 => "Locked",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// A response ready to encode.
#[derive(Clone, Debug, Default)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers (Content-Type included when there is a body).
    pub headers: Vec<(Cow<'static, str>, Cow<'static, str>)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, body: String) -> Response {
        Response {
            status,
            headers: vec![(
                Cow::Borrowed("Content-Type"),
                Cow::Borrowed("application/json"),
            )],
            body: body.into_bytes(),
        }
    }

    /// The JSON error body `{"error": message}` with a status.
    pub fn error(status: u16, message: &str) -> Response {
        let msg = serde_json::Value::String(message.to_string()).to_string();
        Response::json(status, format!("{{\"error\":{msg}}}"))
    }

    /// Encodes the response; `head_only` omits the body (HEAD), `keep_alive` sets Connection.
    pub fn encode(&self, head_only: bool, keep_alive: bool, date: &str) -> Vec<u8> {
        self.encode_for(head_only, keep_alive, date, None)
    }

    /// [`Self::encode`] with an `X-Request-ID` header (unless the response has one).
    pub fn encode_for(
        &self,
        head_only: bool,
        keep_alive: bool,
        date: &str,
        request_id: Option<&str>,
    ) -> Vec<u8> {
        // Pieces are appended, not formatted: this runs once per response.
        let mut h = String::with_capacity(256 + self.body.len());
        let mut digits = itoa::Buffer::new();
        h.push_str("HTTP/1.1 ");
        h.push_str(digits.format(self.status));
        h.push(' ');
        h.push_str(reason(self.status));
        h.push_str("\r\n");
        for (k, v) in &self.headers {
            h.push_str(k);
            h.push_str(": ");
            h.push_str(v);
            h.push_str("\r\n");
        }
        if let Some(id) = request_id {
            if !self
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("x-request-id"))
            {
                h.push_str("X-Request-ID: ");
                h.push_str(id);
                h.push_str("\r\n");
            }
        }
        let no_body = self.status == 204 || self.status == 304 || self.status < 200;
        if !no_body {
            h.push_str("Content-Length: ");
            h.push_str(digits.format(self.body.len()));
            h.push_str("\r\n");
        }
        // No response may be content-sniffed into HTML or script (reflected input).
        h.push_str("Date: ");
        h.push_str(date);
        h.push_str("\r\nServer: arovm\r\nX-Content-Type-Options: nosniff\r\n");
        h.push_str(if keep_alive {
            "Connection: keep-alive\r\n\r\n"
        } else {
            "Connection: close\r\n\r\n"
        });
        let mut out = h.into_bytes();
        if !head_only && !no_body {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) for seconds since the epoch.
pub fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let iso = arovm_stdlib::value::date::format_iso(secs);
    let (y, m, d) = (&iso[0..4], &iso[5..7], &iso[8..10]);
    let dow = DAYS[secs.div_euclid(86_400).rem_euclid(7) as usize];
    let mi: usize = m.parse().unwrap_or(1);
    format!(
        "{dow}, {d} {} {y} {} GMT",
        MONTHS[(mi - 1).min(11)],
        &iso[11..19]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_and_codes() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(code_of("created"), 201);
        assert_eq!(code_of("NotFound"), 404);
        let r = Response::json(200, "{}".into()).encode(false, true, "D");
        assert!(String::from_utf8(r)
            .unwrap()
            .starts_with("HTTP/1.1 200 OK\r\n"));
    }
}
