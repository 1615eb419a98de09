//! Feature set headers `(Name: Business Activity) [when <guard>] { ... }` and blocks of statements.

use super::{PResult, Parser, Reported};
use crate::ast::{FeatureSet, Stmt};
use crate::lexer::TokenKind;

impl Parser<'_> {
    pub(super) fn file_items(&mut self, imports: &mut Vec<super::Import>) -> Vec<FeatureSet> {
        let mut out = Vec::new();
        while !self.at(&TokenKind::Eof) {
            if self.kw().as_deref() == Some("import") && self.starts_line() {
                self.import(imports);
                continue;
            }
            match self.feature_set() {
                Ok(fs) => out.push(fs),
                Err(Reported) => self.recover_feature_set(),
            }
        }
        out
    }

    /// `import ../other-app` (ARO-0005): the rest of the line is the path.
    fn import(&mut self, imports: &mut Vec<super::Import>) {
        let at = self.bump().span;
        let first = self.peek().span;
        let mut last = None;
        while !self.at(&TokenKind::Eof) && !self.at_line_start() {
            last = Some(self.bump().span);
        }
        match last {
            Some(end) => {
                let span = first.to(end);
                let path = self.text_of(span).trim().to_string();
                imports.push(super::Import { path, span });
            }
            None => self.diags.error_hint(
                at,
                "Expected a path after 'import'",
                "write: import ../other-app",
            ),
        }
    }

    /// After a bad header: skip to the next `(` that starts a line, or to end of file.
    fn recover_feature_set(&mut self) {
        let mut depth = 0i32;
        loop {
            match self.kind() {
                TokenKind::Eof => return,
                TokenKind::LBrace => depth += 1,
                TokenKind::RBrace => {
                    depth -= 1;
                    if depth <= 0 {
                        self.bump();
                        return;
                    }
                }
                TokenKind::LParen if depth <= 0 && self.pos > 0 && self.starts_line() => {
                    return;
                }
                _ => {}
            }
            self.bump();
        }
    }

    fn feature_set(&mut self) -> PResult<FeatureSet> {
        if !self.at(&TokenKind::LParen) {
            let msg = format!(
                "Expected feature set header '(Name: Business Activity)', found {}",
                self.found()
            );
            let span = self.peek().span;
            return self.error_hint(
                span,
                msg,
                "every statement must be inside a feature set: (Name: Activity) { ... }",
            );
        }
        let open = self.bump().span;
        let name = self.header_words(&TokenKind::Colon, "':' after the feature set name")?;
        let activity = self.header_words(&TokenKind::RParen, "')' to close the header")?;
        let span = open.to(self.prev_span());
        if name.is_empty() {
            return self.error_hint(
                span,
                "Feature set name is empty".into(),
                "write (Name: Activity)",
            );
        }
        let guard = if self.eat_word("when") || self.eat_word("where") {
            Some(self.expr()?)
        } else {
            None
        };
        if !self.at(&TokenKind::LBrace) {
            let msg = format!(
                "Expected '{{' to open the feature set body, found {}",
                self.found()
            );
            return self.error_here(msg);
        }
        self.bump();
        let body = self.block_body();
        self.expect(&TokenKind::RBrace, "'}' to close the feature set")?;
        Ok(FeatureSet {
            name,
            activity,
            guard,
            body,
            span,
        })
    }

    /// Header text up to `end`, with whitespace collapsed to single spaces.
    fn header_words(&mut self, end: &TokenKind, what: &str) -> PResult<String> {
        let start = self.peek().span.lo as usize;
        loop {
            if self.at(end) {
                let lo = self.peek().span.lo as usize;
                let text = self.text[start..lo]
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                self.bump();
                return Ok(text);
            }
            match self.kind() {
                TokenKind::Eof | TokenKind::LBrace | TokenKind::RParen | TokenKind::Dot => {
                    let msg = format!("Expected {what}, found {}", self.found());
                    return self.error_here(msg);
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// Statements until a `}` (not consumed) or end of file; recovers per statement.
    pub(super) fn block_body(&mut self) -> Vec<Stmt> {
        let mut out = Vec::new();
        loop {
            match self.kind() {
                TokenKind::RBrace | TokenKind::Eof => return out,
                TokenKind::LParen if self.looks_like_header() => {
                    // A new feature set begins: the previous one lacks its '}'.
                    let span = self.peek().span;
                    self.diags.error_hint(
                        span,
                        "Expected '}' to close the feature set before the next header",
                        "add '}' after the last statement",
                    );
                    return out;
                }
                _ => {}
            }
            let start = self.pos;
            match self.statement() {
                Ok(s) => out.push(s),
                Err(Reported) => {
                    self.recover_statement(start);
                    continue;
                }
            }
            // ARO-0067: each stage after `|>` is a whole statement of its own.
            while self.ends_at_pipe(&out) && self.eat(&TokenKind::Pipe) {
                let start = self.pos;
                match self.action_stmt() {
                    Ok(s) => out.push(s),
                    Err(Reported) => {
                        self.recover_statement(start);
                        break;
                    }
                }
            }
        }
    }

    /// The last statement read is an action that stopped at `|>` (not at its `.`).
    fn ends_at_pipe(&self, out: &[Stmt]) -> bool {
        matches!(out.last(), Some(Stmt::Action(_)))
            && self.at(&TokenKind::Pipe)
            && self.pos > 0
            && !matches!(self.tokens[self.pos - 1].kind, TokenKind::Dot)
    }

    /// `(` at the start of a line followed by words and a `:` before `)`.
    fn looks_like_header(&self) -> bool {
        if !self.starts_line() {
            return false;
        }
        let mut i = 1;
        loop {
            match &self.peek_at(i).kind {
                TokenKind::Colon => return i > 1,
                TokenKind::Word | TokenKind::Minus | TokenKind::Slash => i += 1,
                _ => return false,
            }
        }
    }
}
