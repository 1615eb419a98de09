//! Sans-IO body framing: an incremental chunked decoder (RFC 9112 §7.1) that consumes input as
//! it arrives, so a body trickled in many reads is decoded once, in linear time. Chunk sizes are
//! read by httparse and checked against the body limit before any arithmetic can overflow.

use super::errors::HttpError;

/// Longest chunk-size line (size, extensions, CRLF) accepted.
const MAX_SIZE_LINE: usize = 4096;
/// Most bytes of trailer fields accepted after the last chunk.
const MAX_TRAILERS: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Expecting a chunk-size line.
    Size,
    /// Inside chunk data: this many bytes left.
    Data(usize),
    /// Expecting the CRLF after chunk data.
    DataEnd,
    /// After the last chunk: trailer lines until an empty one.
    Trailers,
    /// The body is complete.
    Done,
}

/// Decodes a chunked body piece by piece.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    max: usize,
    trailer_bytes: usize,
    /// The decoded body so far.
    pub body: Vec<u8>,
}

impl ChunkedDecoder {
    /// A decoder that refuses bodies over `max` bytes (413).
    pub fn new(max: usize) -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::Size,
            max,
            trailer_bytes: 0,
            body: Vec::new(),
        }
    }

    /// True once the terminating empty line after the last chunk was read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes from the front of `buf`; returns how many bytes it consumed (the caller drops
    /// them). Stops at the end of the body: bytes after it are not consumed.
    pub fn feed(&mut self, buf: &[u8]) -> Result<usize, HttpError> {
        let mut pos = 0;
        loop {
            let rest = &buf[pos..];
            match self.state {
                State::Done => return Ok(pos),
                State::Size => {
                    // httparse accepts an empty size; RFC 9112 wants at least one hex digit.
                    if rest.first().is_some_and(|b| !b.is_ascii_hexdigit()) {
                        return Err(HttpError::BadRequest("invalid chunk size"));
                    }
                    match httparse::parse_chunk_size(rest) {
                        Ok(httparse::Status::Complete((used, size))) => {
                            pos += used;
                            let left = self.max - self.body.len();
                            if size > left as u64 {
                                return Err(HttpError::BodyTooLarge);
                            }
                            self.state = if size == 0 {
                                State::Trailers
                            } else {
                                State::Data(size as usize)
                            };
                        }
                        Ok(httparse::Status::Partial) => {
                            if rest.len() > MAX_SIZE_LINE {
                                return Err(HttpError::BadRequest("chunk size line too long"));
                            }
                            return Ok(pos);
                        }
                        Err(_) => return Err(HttpError::BadRequest("invalid chunk size")),
                    }
                }
                State::Data(left) => {
                    if rest.is_empty() {
                        return Ok(pos);
                    }
                    let take = left.min(rest.len());
                    self.body.extend_from_slice(&rest[..take]);
                    pos += take;
                    self.state = if take == left {
                        State::DataEnd
                    } else {
                        State::Data(left - take)
                    };
                }
                State::DataEnd => {
                    if rest.len() < 2 {
                        if rest.first().is_some_and(|&b| b != b'\r') {
                            return Err(HttpError::BadRequest("chunk not terminated by CRLF"));
                        }
                        return Ok(pos);
                    }
                    if &rest[..2] != b"\r\n" {
                        return Err(HttpError::BadRequest("chunk not terminated by CRLF"));
                    }
                    pos += 2;
                    self.state = State::Size;
                }
                State::Trailers => {
                    let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
                        if self.trailer_bytes + rest.len() > MAX_TRAILERS {
                            return Err(HttpError::HeadTooLarge);
                        }
                        return Ok(pos);
                    };
                    if nl == 0 || rest[nl - 1] != b'\r' {
                        return Err(HttpError::BadRequest("trailer line not terminated by CRLF"));
                    }
                    self.trailer_bytes += nl + 1;
                    if self.trailer_bytes > MAX_TRAILERS {
                        return Err(HttpError::HeadTooLarge);
                    }
                    pos += nl + 1;
                    if nl == 1 {
                        self.state = State::Done;
                    }
                }
            }
        }
    }
}

/// Decodes a whole chunked body from the start of `buf`: `(body, bytes used)`, or `None` while
/// incomplete. Used by the outbound client, which has the whole response buffered.
pub fn dechunk(buf: &[u8], max: usize) -> Result<Option<(Vec<u8>, usize)>, HttpError> {
    let mut d = ChunkedDecoder::new(max);
    let used = d.feed(buf)?;
    Ok(d.is_done().then_some((d.body, used)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn whole(b: &[u8]) -> Result<Option<Vec<u8>>, HttpError> {
        Ok(dechunk(b, 1 << 20)?.map(|(b, _)| b))
    }

    #[test]
    fn decodes_and_stops_at_the_end() {
        let input = b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        let (body, used) = dechunk(input, 100).unwrap().unwrap();
        assert_eq!(body, b"abcde");
        assert_eq!(&input[used..], b"NEXT");
    }

    #[test]
    fn byte_by_byte_is_the_same_as_whole() {
        let input = b"3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";
        let mut d = ChunkedDecoder::new(100);
        let mut buf = Vec::new();
        for &b in input.iter() {
            buf.push(b);
            let used = d.feed(&buf).unwrap();
            buf.drain(..used);
        }
        assert!(d.is_done());
        assert_eq!(d.body, b"abc0123456789abcdef");
    }

    #[test]
    fn issue_13_huge_chunk_sizes_are_413_not_a_panic() {
        for input in [
            &b"1\r\na\r\nffffffffffffffff\r\nabc\r\n0\r\n\r\n"[..],
            b"2\r\nab\r\nfffffffffffffffe\r\nabc\r\n0\r\n\r\n",
            b"fffffffffffffff\r\n",
        ] {
            let r = whole(input);
            assert!(
                matches!(
                    r,
                    Err(HttpError::BodyTooLarge) | Err(HttpError::BadRequest(_))
                ),
                "{r:?}"
            );
        }
        assert_eq!(
            dechunk(b"1\r\na\r\n11\r\n", 10),
            Err(HttpError::BodyTooLarge)
        );
    }

    #[test]
    fn issue_13_malformed_sizes_and_bare_lf_are_400() {
        for input in [
            &b"+3\r\nabc\r\n0\r\n\r\n"[..],
            b" 3 \r\nabc\r\n0\r\n\r\n",
            b"\r\n",
            b"3\nabc\n0\n\n",
            b"3\r\nabc\n0\r\n\r\n",
            b"3\r\nabcXY",
            b"0\r\nTrailer: x\n\r\n",
            b"zz\r\n",
        ] {
            assert!(
                matches!(whole(input), Err(HttpError::BadRequest(_))),
                "{:?} gave {:?}",
                String::from_utf8_lossy(input),
                whole(input)
            );
        }
    }

    #[test]
    fn long_lines_are_refused() {
        let mut long = b"3;".to_vec();
        long.extend(std::iter::repeat_n(b'x', 5000));
        assert!(whole(&long).is_err());
        let mut trailers = b"0\r\n".to_vec();
        trailers.extend(std::iter::repeat_n(b'x', 20_000));
        assert_eq!(whole(&trailers), Err(HttpError::HeadTooLarge));
    }
}
