//! Protocol violations, each mapped to its status code in one match.

/// Why a request could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// Malformed request line, header, chunk or length → 400.
    BadRequest(&'static str),
    /// Head over the limit or too many headers → 431.
    HeadTooLarge,
    /// Body over the limit → 413.
    BodyTooLarge,
    /// The head did not arrive in time → 408.
    Timeout,
    /// A transfer coding other than chunked → 501.
    NotImplemented,
    /// Not HTTP/1.x → 505.
    VersionNotSupported,
}

impl HttpError {
    /// The status code to answer with (the connection is closed afterwards).
    pub fn status(&self) -> u16 {
        match self {
            HttpError::BadRequest(_) => 400,
            HttpError::HeadTooLarge => 431,
            HttpError::BodyTooLarge => 413,
            HttpError::Timeout => 408,
            HttpError::NotImplemented => 501,
            HttpError::VersionNotSupported => 505,
        }
    }

    /// A short human reason for the JSON error body.
    pub fn message(&self) -> &'static str {
        match self {
            HttpError::BadRequest(m) => m,
            HttpError::HeadTooLarge => "request header fields too large",
            HttpError::BodyTooLarge => "request body too large",
            HttpError::Timeout => "request timeout",
            HttpError::NotImplemented => "unsupported transfer encoding",
            HttpError::VersionNotSupported => "HTTP version not supported",
        }
    }
}
