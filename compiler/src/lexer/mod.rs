//! Lexer: source bytes → tokens. Never fails: bad input becomes an `Error` token plus a diagnostic.
//! Comments `(* ... *)` (nesting) and `// ...` are skipped here.

mod literal;
mod token;

pub use token::{StrPart, Token, TokenKind};

use crate::diagnostics::Diagnostics;
use crate::source::{FileId, Span};

/// Lexes `text[lo..hi]` of file `file` into tokens ending with `Eof`.
pub fn lex(file: FileId, text: &str, lo: usize, hi: usize, diags: &mut Diagnostics) -> Vec<Token> {
    let mut lx = Lexer {
        file,
        src: text.as_bytes(),
        text,
        pos: lo,
        end: hi.min(text.len()),
        diags,
        out: Vec::new(),
    };
    lx.run();
    lx.out
}

pub(crate) struct Lexer<'a> {
    file: FileId,
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    end: usize,
    diags: &'a mut Diagnostics,
    out: Vec<Token>,
}

impl<'a> Lexer<'a> {
    fn span(&self, lo: usize, hi: usize) -> Span {
        Span {
            file: self.file,
            lo: lo as u32,
            hi: hi as u32,
        }
    }

    fn peek(&self, ahead: usize) -> u8 {
        let i = self.pos + ahead;
        if i < self.end {
            self.src[i]
        } else {
            0
        }
    }

    fn push(&mut self, kind: TokenKind, lo: usize) {
        let span = self.span(lo, self.pos);
        self.out.push(Token { kind, span });
    }

    fn run(&mut self) {
        loop {
            self.skip_trivia();
            if self.pos >= self.end {
                let span = self.span(self.end, self.end);
                self.out.push(Token {
                    kind: TokenKind::Eof,
                    span,
                });
                return;
            }
            self.token();
        }
    }

    fn skip_trivia(&mut self) {
        while self.pos < self.end {
            let c = self.peek(0);
            if c.is_ascii_whitespace() {
                self.pos += 1;
            } else if c == b'(' && self.peek(1) == b'*' {
                let lo = self.pos;
                self.pos += 2;
                let mut depth = 1;
                while self.pos < self.end && depth > 0 {
                    if self.peek(0) == b'(' && self.peek(1) == b'*' {
                        depth += 1;
                        self.pos += 2;
                    } else if self.peek(0) == b'*' && self.peek(1) == b')' {
                        depth -= 1;
                        self.pos += 2;
                    } else {
                        self.pos += 1;
                    }
                }
                if depth > 0 {
                    let span = self.span(lo, lo + 2);
                    self.diags.error_hint(
                        span,
                        "Unterminated block comment",
                        "close the comment with '*)'",
                    );
                }
            } else if c == b'/' && self.peek(1) == b'/' {
                while self.pos < self.end && self.peek(0) != b'\n' {
                    self.pos += 1;
                }
            } else {
                return;
            }
        }
    }

    /// Whether a `/` here starts a regex literal rather than division: after a word like
    /// `by`/`matches`/`case`/`with` or at the start of an operand.
    fn regex_allowed(&self) -> bool {
        match self.out.last() {
            None => true,
            Some(t) => match t.kind {
                TokenKind::Word => {
                    let w = &self.text[t.span.lo as usize..t.span.hi as usize];
                    matches!(
                        w,
                        "by" | "matches" | "case" | "with" | "regex" | "from" | "is" | "where"
                    )
                }
                TokenKind::LParen | TokenKind::Comma | TokenKind::LBracket | TokenKind::Colon => {
                    true
                }
                _ => false,
            },
        }
    }

    fn token(&mut self) {
        let lo = self.pos;
        let c = self.peek(0);
        if c == b'<' && self.guard_follows() {
            // A handler's field guard (`Handler<status:paid,settled;region:eu>`, ARO-0022) is one
            // word of the header: its `;`, `.` and `,` are not the statement's.
            let close = self.text[lo..self.end]
                .find(['>', '\n'])
                .map(|i| lo + i)
                .filter(|&i| self.text.as_bytes()[i] == b'>');
            if let Some(hi) = close {
                self.pos = hi + 1;
                self.push(TokenKind::Word, lo);
                return;
            }
        }
        let single = |k| Some((k, 1));
        let two = |k| Some((k, 2));
        let punct = match c {
            b'(' => single(TokenKind::LParen),
            b')' => single(TokenKind::RParen),
            b'{' => single(TokenKind::LBrace),
            b'}' => single(TokenKind::RBrace),
            b'[' => single(TokenKind::LBracket),
            b']' => single(TokenKind::RBracket),
            b'<' if self.peek(1) == b'=' => two(TokenKind::Le),
            b'<' => single(TokenKind::Lt),
            b'>' if self.peek(1) == b'=' => two(TokenKind::Ge),
            b'>' => single(TokenKind::Gt),
            b'=' if self.peek(1) == b'=' => two(TokenKind::EqEq),
            b'=' => single(TokenKind::EqEq),
            b'!' if self.peek(1) == b'=' => two(TokenKind::Ne),
            b':' => single(TokenKind::Colon),
            b'.' => single(TokenKind::Dot),
            b',' => single(TokenKind::Comma),
            b'+' if self.peek(1) == b'+' => two(TokenKind::PlusPlus),
            b'+' => single(TokenKind::Plus),
            b'-' => single(TokenKind::Minus),
            b'*' => single(TokenKind::Star),
            b'%' => single(TokenKind::Percent),
            b'|' if self.peek(1) == b'>' => two(TokenKind::Pipe),
            b'/' if !self.regex_allowed() => single(TokenKind::Slash),
            _ => None,
        };
        if let Some((kind, n)) = punct {
            self.pos += n;
            self.push(kind, lo);
            return;
        }
        match c {
            b'"' => self.string(),
            b'\'' => self.raw_string(),
            b'/' => self.regex(),
            b'0'..=b'9' => self.number(),
            c if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 => self.word(),
            _ => {
                let ch_len = self.text[lo..].chars().next().map_or(1, |c| c.len_utf8());
                self.pos += ch_len;
                let span = self.span(lo, self.pos);
                let ch = &self.text[lo..self.pos];
                self.diags
                    .error(span, format!("Unexpected character '{ch}'"));
                self.push(TokenKind::Error, lo);
            }
        }
    }

    /// `<` directly after the word `Handler` or `StateObserver` (no space): a field guard.
    fn guard_follows(&self) -> bool {
        self.out.last().is_some_and(|t| {
            t.kind == TokenKind::Word
                && t.span.hi as usize == self.pos
                && matches!(
                    &self.text[t.span.lo as usize..t.span.hi as usize],
                    "Handler" | "StateObserver"
                )
        })
    }

    fn word(&mut self) {
        let lo = self.pos;
        loop {
            let c = self.peek(0);
            if c.is_ascii_alphanumeric() || c == b'_' {
                self.pos += 1;
            } else if c >= 0x80 {
                let ch = self.text[self.pos..].chars().next();
                match ch {
                    Some(ch) if ch.is_alphanumeric() => self.pos += ch.len_utf8(),
                    _ => break,
                }
            } else if c == b'-' && (self.peek(1).is_ascii_alphanumeric() || self.peek(1) == b'_') {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == lo {
            // A non-alphanumeric non-ASCII character.
            let ch_len = self.text[lo..].chars().next().map_or(1, |c| c.len_utf8());
            self.pos += ch_len;
            let span = self.span(lo, self.pos);
            let ch = &self.text[lo..self.pos];
            self.diags
                .error(span, format!("Unexpected character '{ch}'"));
            self.push(TokenKind::Error, lo);
            return;
        }
        self.push(TokenKind::Word, lo);
    }
}
