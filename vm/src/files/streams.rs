//! Open line streams on the file worker (`Stream the <lines> from "./big.log"`): each is a
//! buffered reader the worker keeps between jobs and reads a chunk of lines from per job, so a
//! file of any size goes through `for each` in bounded memory and never on the event loop.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};

/// How many streams may be open at once; one more fails its `Stream` statement.
pub const MAX_OPEN_STREAMS: usize = 256;
/// A chunk ends after the line that reaches this many bytes (or [`CHUNK_LINES`] lines).
pub const CHUNK_BYTES: usize = 64 << 10;
/// A chunk holds at most this many lines.
pub const CHUNK_LINES: usize = 1024;
/// The longest line a stream yields; a longer one fails the loop instead of filling memory.
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// One open stream: its reader, its path (for errors) and the number of the next line.
struct Open {
    reader: BufReader<File>,
    path: String,
    line: u64,
}

/// The worker's open streams by id.
#[derive(Default)]
pub struct Streams {
    open: HashMap<u64, Open>,
}

impl Streams {
    /// Opens `path` as stream `id`.
    pub fn open(&mut self, id: u64, path: &str) -> Result<(), String> {
        if self.open.len() >= MAX_OPEN_STREAMS {
            return Err(format!(
                "Too many open streams (at most {MAX_OPEN_STREAMS}): cannot stream {path}"
            ));
        }
        let file = File::open(path).map_err(|e| super::paths::why(&e, path, "reading"))?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(format!("Error reading {path}: it is a directory"));
        }
        self.open.insert(
            id,
            Open {
                reader: BufReader::with_capacity(CHUNK_BYTES, file),
                path: path.to_string(),
                line: 1,
            },
        );
        Ok(())
    }

    /// The next chunk of lines of stream `id` (without their `\n` or `\r\n`); an empty chunk at
    /// the end of the file, which also closes it.
    pub fn next(&mut self, id: u64) -> Result<Vec<String>, String> {
        let Some(s) = self.open.get_mut(&id) else {
            return Ok(Vec::new()); // already at its end (or closed)
        };
        let result = chunk(s);
        if matches!(&result, Ok(lines) if lines.is_empty()) || result.is_err() {
            self.open.remove(&id);
        }
        result
    }

    /// Closes stream `id` (its last handle was dropped before the end).
    pub fn close(&mut self, id: u64) {
        self.open.remove(&id);
    }

    /// How many streams are open.
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// True when no stream is open.
    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }
}

fn chunk(s: &mut Open) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    let mut bytes = 0;
    let mut buf = Vec::new();
    while lines.len() < CHUNK_LINES && bytes < CHUNK_BYTES {
        buf.clear();
        let n = (&mut s.reader)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| super::paths::why(&e, &s.path, "reading"))?;
        if n == 0 {
            break;
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        } else if n > MAX_LINE_BYTES {
            return Err(format!(
                "Cannot stream {}: line {} is longer than {MAX_LINE_BYTES} bytes",
                s.path, s.line
            ));
        }
        let text = String::from_utf8(std::mem::take(&mut buf)).map_err(|_| {
            format!(
                "Cannot stream {}: line {} is not UTF-8 text",
                s.path, s.line
            )
        })?;
        bytes += n;
        s.line += 1;
        lines.push(text);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A temporary file removed on drop (std only).
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn s(&self) -> &str {
            self.0.to_str().unwrap()
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn file_with(bytes: &[u8]) -> TempFile {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "arovm-stream-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&p, bytes).unwrap();
        TempFile(p)
    }

    fn all(streams: &mut Streams, id: u64) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        loop {
            let c = streams.next(id)?;
            if c.is_empty() {
                return Ok(out);
            }
            assert!(c.len() <= CHUNK_LINES);
            out.extend(c);
        }
    }

    #[test]
    fn lines_come_without_their_endings_in_chunks_and_the_end_closes_the_file() {
        let mut text = Vec::new();
        for i in 0..3000 {
            write!(text, "line {i}\r\n").unwrap();
        }
        text.extend_from_slice(b"\nlast without newline");
        let f = file_with(&text);
        let mut s = Streams::default();
        s.open(1, f.s()).unwrap();
        let lines = all(&mut s, 1).unwrap();
        assert_eq!(lines.len(), 3002);
        assert_eq!(lines[2999], "line 2999");
        assert_eq!(lines[3000], "");
        assert_eq!(lines[3001], "last without newline");
        assert!(s.is_empty());
    }

    #[test]
    fn a_missing_file_bad_text_and_an_overlong_line_are_errors() {
        let mut s = Streams::default();
        let e = s.open(1, "/nonexistent/arovm/x.log").unwrap_err();
        assert!(e.starts_with("File not found"), "{e}");
        let f = file_with(b"ok\n\xff\xfe\n");
        s.open(2, f.s()).unwrap();
        let e = all(&mut s, 2).unwrap_err();
        assert!(e.contains("line 2 is not UTF-8"), "{e}");
        assert!(s.is_empty());
        let long = vec![b'a'; MAX_LINE_BYTES + 10];
        let f = file_with(&long);
        s.open(3, f.s()).unwrap();
        let e = all(&mut s, 3).unwrap_err();
        assert!(e.contains("longer than"), "{e}");
    }

    #[test]
    fn open_streams_are_bounded() {
        let f = file_with(b"x\n");
        let mut s = Streams::default();
        for id in 0..MAX_OPEN_STREAMS as u64 {
            s.open(id, f.s()).unwrap();
        }
        assert!(s
            .open(9999, f.s())
            .unwrap_err()
            .contains("Too many open streams"));
        s.close(0);
        s.open(9999, f.s()).unwrap();
        assert_eq!(s.len(), MAX_OPEN_STREAMS);
    }
}
