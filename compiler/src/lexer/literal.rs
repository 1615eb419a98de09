//! Literal lexing: numbers (with `_` separators, hex, binary, exponents), double-quoted strings
//! (escapes, `${expr}` interpolation), single-quoted raw strings, and `/regex/flags`.

use super::{Lexer, StrPart, TokenKind};

impl Lexer<'_> {
    pub(super) fn number(&mut self) {
        let lo = self.pos;
        if self.peek(0) == b'0' && matches!(self.peek(1), b'x' | b'X' | b'b' | b'B') {
            let radix = if matches!(self.peek(1), b'x' | b'X') {
                16
            } else {
                2
            };
            self.pos += 2;
            let digits_lo = self.pos;
            while self.peek(0).is_ascii_hexdigit() || self.peek(0) == b'_' {
                self.pos += 1;
            }
            let digits: String = self.text[digits_lo..self.pos]
                .chars()
                .filter(|&c| c != '_')
                .collect();
            match i64::from_str_radix(&digits, radix) {
                Ok(v) => self.push(TokenKind::Int(v), lo),
                Err(_) => self.bad_number(lo),
            }
            return;
        }
        self.digits();
        let mut is_float = false;
        if self.peek(0) == b'.' && self.peek(1).is_ascii_digit() {
            is_float = true;
            self.pos += 1;
            self.digits();
        }
        if matches!(self.peek(0), b'e' | b'E') {
            // As in the reference, `e` after digits always starts an exponent: `3e`, `3em` are
            // invalid numbers rather than a number followed by a word.
            is_float = true;
            self.pos += 1;
            if matches!(self.peek(0), b'+' | b'-') {
                self.pos += 1;
            }
            if !self.peek(0).is_ascii_digit() {
                while self.peek(0).is_ascii_alphanumeric() {
                    self.pos += 1;
                }
                return self.bad_number(lo);
            }
            self.digits();
        }
        let text: String = self.text[lo..self.pos]
            .chars()
            .filter(|&c| c != '_')
            .collect();
        if is_float {
            match text.parse::<f64>() {
                Ok(v) => self.push(TokenKind::Float(v), lo),
                Err(_) => self.bad_number(lo),
            }
        } else {
            match text.parse::<i64>() {
                Ok(v) => self.push(TokenKind::Int(v), lo),
                Err(_) => self.bad_number(lo),
            }
        }
    }

    /// Digits with single `_` separators between them.
    fn digits(&mut self) {
        while self.peek(0).is_ascii_digit()
            || (self.peek(0) == b'_' && self.peek(1).is_ascii_digit())
        {
            self.pos += 1;
        }
    }

    fn bad_number(&mut self, lo: usize) {
        let span = self.span(lo, self.pos);
        self.diags.error(
            span,
            format!("Invalid number literal '{}'", &self.text[lo..self.pos]),
        );
        self.push(TokenKind::Error, lo);
    }

    /// `"""` multi-line string: the opener ends its line; the indentation before the closing
    /// `"""` is removed from every line; escapes work, interpolation does not.
    fn triple_string(&mut self) {
        let lo = self.pos;
        self.pos += 3;
        while matches!(self.peek(0), b' ' | b'\t' | b'\r') {
            self.pos += 1;
        }
        if self.peek(0) != b'\n' {
            let span = self.span(lo, lo + 3);
            self.diags.error_hint(
                span,
                "Unterminated string literal",
                "a \"\"\" string starts on the line after its opening quotes",
            );
            self.push(TokenKind::Error, lo);
            return;
        }
        self.pos += 1;
        let body_lo = self.pos;
        let Some(rel) = self.text[body_lo..self.end].find("\"\"\"") else {
            self.pos = self.end;
            let span = self.span(lo, lo + 3);
            self.diags
                .error_hint(span, "Unterminated string literal", "close it with \"\"\"");
            self.push(TokenKind::Error, lo);
            return;
        };
        let body = &self.text[body_lo..body_lo + rel];
        self.pos = body_lo + rel + 3;
        let (content, indent) = match body.rfind('\n') {
            Some(i) if body[i + 1..].trim().is_empty() => (&body[..i], &body[i + 1..]),
            _ => (body, ""),
        };
        let mut out = String::new();
        for (n, line) in content.split('\n').enumerate() {
            if n > 0 {
                out.push('\n');
            }
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() {
                continue;
            }
            out.push_str(line.strip_prefix(indent).unwrap_or(line.trim_start()));
        }
        let mut text = String::new();
        let mut chars = out.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\\' {
                text.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => text.push('\n'),
                Some('t') => text.push('\t'),
                Some('r') => text.push('\r'),
                Some('0') => text.push('\0'),
                Some(o) => text.push(o),
                None => text.push('\\'),
            }
        }
        self.push(TokenKind::Str(vec![StrPart::Text(text)]), lo);
    }

    pub(super) fn string(&mut self) {
        if self.peek(1) == b'"' && self.peek(2) == b'"' {
            return self.triple_string();
        }
        let lo = self.pos;
        self.pos += 1;
        let mut parts = Vec::new();
        let mut buf = String::new();
        loop {
            if self.pos >= self.end || self.peek(0) == b'\n' {
                let span = self.span(lo, lo + 1);
                self.diags
                    .error_hint(span, "Unterminated string literal", "close it with '\"'");
                self.push(TokenKind::Error, lo);
                return;
            }
            let c = self.peek(0);
            match c {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => self.escape(&mut buf),
                b'$' if self.peek(1) == b'{' => {
                    if !buf.is_empty() {
                        parts.push(StrPart::Text(std::mem::take(&mut buf)));
                    }
                    self.pos += 2;
                    let inner_lo = self.pos;
                    let mut depth = 1;
                    while self.pos < self.end {
                        match self.peek(0) {
                            b'{' => depth += 1,
                            b'}' => {
                                depth -= 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            b'"' => break,
                            _ => {}
                        }
                        self.pos += 1;
                    }
                    if self.peek(0) != b'}' {
                        let span = self.span(inner_lo - 2, self.pos);
                        self.diags
                            .error(span, "Unterminated interpolation: expected '}'");
                        continue;
                    }
                    parts.push(StrPart::Interp(self.span(inner_lo, self.pos)));
                    self.pos += 1;
                }
                _ => {
                    let ch = self.text[self.pos..].chars().next().unwrap_or('\u{FFFD}');
                    buf.push(ch);
                    self.pos += ch.len_utf8().max(1);
                }
            }
        }
        if !buf.is_empty() || parts.is_empty() {
            parts.push(StrPart::Text(buf));
        }
        self.push(TokenKind::Str(parts), lo);
    }

    fn escape(&mut self, buf: &mut String) {
        let lo = self.pos;
        let c = self.peek(1);
        self.pos += 2;
        match c {
            b'n' => buf.push('\n'),
            b'r' => buf.push('\r'),
            b't' => buf.push('\t'),
            b'0' => buf.push('\0'),
            b'\\' => buf.push('\\'),
            b'"' => buf.push('"'),
            b'\'' => buf.push('\''),
            b'$' => buf.push('$'),
            b'u' if self.peek(0) == b'{' => {
                let start = self.pos + 1;
                let mut end = start;
                while end < self.end && self.src[end].is_ascii_hexdigit() {
                    end += 1;
                }
                let ch = u32::from_str_radix(&self.text[start..end], 16)
                    .ok()
                    .and_then(char::from_u32);
                if end < self.end && self.src[end] == b'}' {
                    if let Some(ch) = ch {
                        buf.push(ch);
                        self.pos = end + 1;
                        return;
                    }
                }
                self.pos = end.min(self.end);
                let span = self.span(lo, self.pos);
                self.diags.error(span, "Invalid unicode escape");
            }
            _ => {
                self.pos = (lo
                    + 1
                    + self.text[lo + 1..]
                        .chars()
                        .next()
                        .map_or(1, |c| c.len_utf8()))
                .min(self.end);
                let span = self.span(lo, self.pos);
                let esc = &self.text[lo..self.pos];
                self.diags.error_hint(
                    span,
                    format!("Invalid escape sequence '{esc}'"),
                    "use a raw string '...' for backslashes",
                );
            }
        }
    }

    pub(super) fn raw_string(&mut self) {
        let lo = self.pos;
        self.pos += 1;
        let mut buf = String::new();
        loop {
            if self.pos >= self.end || self.peek(0) == b'\n' {
                let span = self.span(lo, lo + 1);
                self.diags
                    .error_hint(span, "Unterminated string literal", "close it with \"'\"");
                self.push(TokenKind::Error, lo);
                return;
            }
            match self.peek(0) {
                b'\'' => {
                    self.pos += 1;
                    break;
                }
                b'\\' if self.peek(1) == b'\'' => {
                    buf.push('\'');
                    self.pos += 2;
                }
                _ => {
                    let ch = self.text[self.pos..].chars().next().unwrap_or('\u{FFFD}');
                    buf.push(ch);
                    self.pos += ch.len_utf8().max(1);
                }
            }
        }
        self.push(TokenKind::Str(vec![StrPart::Text(buf)]), lo);
    }

    pub(super) fn regex(&mut self) {
        let lo = self.pos;
        self.pos += 1;
        let mut body = String::new();
        loop {
            if self.pos >= self.end || self.peek(0) == b'\n' {
                let span = self.span(lo, lo + 1);
                self.diags
                    .error_hint(span, "Unterminated regex literal", "close it with '/'");
                self.push(TokenKind::Error, lo);
                return;
            }
            match self.peek(0) {
                b'/' => {
                    self.pos += 1;
                    break;
                }
                b'\\' if self.peek(1) == b'/' => {
                    body.push('/');
                    self.pos += 2;
                }
                _ => {
                    let ch = self.text[self.pos..].chars().next().unwrap_or('\u{FFFD}');
                    body.push(ch);
                    self.pos += ch.len_utf8().max(1);
                }
            }
        }
        let flags_lo = self.pos;
        while matches!(self.peek(0), b'i' | b's' | b'm' | b'g' | b'x') {
            self.pos += 1;
        }
        let flags = self.text[flags_lo..self.pos].to_string();
        self.push(TokenKind::Regex(body, flags), lo);
    }
}
