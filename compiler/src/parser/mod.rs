//! Parser core: a cursor over tokens, `expect`, and panic-mode recovery at `.` and `}`.
//! The parser never fails: it returns the feature sets it could read plus diagnostics.

mod expr;
mod feature_set;
mod statement;

use crate::ast::FeatureSet;
use crate::diagnostics::Diagnostics;
use crate::lexer::{lex, Token, TokenKind};
use crate::source::{FileId, Span};

/// Parses one file's text into feature sets, reporting problems into `diags`.
pub fn parse_file(file: FileId, text: &str, diags: &mut Diagnostics) -> Vec<FeatureSet> {
    parse_file_with_imports(file, text, diags).0
}

/// One `import ../path` line (ARO-0005): the path as written and where it is.
#[derive(Clone, Debug)]
pub struct Import {
    /// The path, relative to the importing file's directory.
    pub path: String,
    /// Span of the path.
    pub span: Span,
}

/// [`parse_file`] plus the file's `import` lines.
pub fn parse_file_with_imports(
    file: FileId,
    text: &str,
    diags: &mut Diagnostics,
) -> (Vec<FeatureSet>, Vec<Import>) {
    let tokens = lex(file, text, 0, text.len(), diags);
    let mut p = Parser {
        file,
        text,
        tokens,
        pos: 0,
        depth: 0,
        blocks: 0,
        diags,
    };
    let mut imports = Vec::new();
    let sets = p.file_items(&mut imports);
    (sets, imports)
}

/// Parses a bare statement list (a template's generated body) into statements.
pub fn parse_statements(
    file: FileId,
    text: &str,
    diags: &mut Diagnostics,
) -> Vec<crate::ast::Stmt> {
    let tokens = lex(file, text, 0, text.len(), diags);
    let mut p = Parser {
        file,
        text,
        tokens,
        pos: 0,
        depth: 0,
        blocks: 0,
        diags,
    };
    let body = p.block_body();
    if !p.at(&TokenKind::Eof) {
        let span = p.peek().span;
        p.diags
            .error(span, "Unmatched '}' in template (a loop closed twice?)");
    }
    body
}

/// Words that introduce a clause after the result of a statement.
pub(crate) const PREPOSITIONS: &[&str] = &[
    "from",
    "for",
    "against",
    "to",
    "into",
    "via",
    "with",
    "on",
    "at",
    "by",
    "about",
    "in",
    "onto",
    "through",
    "over",
    "as",
    "using",
    "containing",
];

/// How deeply `{ }` blocks may nest, how deeply expressions may nest (parentheses, lists,
/// objects, indexes, interpolations, `not`/`-` chains), and how tall an expression tree may be
/// (a chain `1 + 1 + …` is as tall as it has operators). Deeper input is a diagnostic at the
/// place the limit is exceeded, so no recursive pass (parser, codegen, drop) can overflow the
/// stack.
pub const MAX_NESTING: u32 = 256;

/// Articles, skipped wherever the grammar allows them.
pub(crate) const ARTICLES: &[&str] = &["a", "an", "the"];

/// Marker error: a diagnostic was already reported; unwind to the recovery point.
pub(crate) struct Reported;

/// Result of a parsing function.
pub(crate) type PResult<T> = Result<T, Reported>;

pub(crate) struct Parser<'a> {
    file: FileId,
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    /// Current expression nesting (see [`MAX_NESTING`]).
    depth: u32,
    /// Current block nesting (see [`MAX_NESTING`]).
    blocks: u32,
    diags: &'a mut Diagnostics,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_at(&self, n: usize) -> &Token {
        &self.tokens[(self.pos + n).min(self.tokens.len() - 1)]
    }

    fn kind(&self) -> &TokenKind {
        &self.peek().kind
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn prev_span(&self) -> Span {
        self.tokens[self.pos.saturating_sub(1)].span
    }

    fn text_of(&self, span: Span) -> &'a str {
        self.text
            .get(span.lo as usize..span.hi as usize)
            .unwrap_or("")
    }

    /// The current token's text when it is a word.
    fn word(&self) -> Option<&'a str> {
        let t = self.peek();
        match t.kind {
            TokenKind::Word => Some(self.text_of(t.span)),
            _ => None,
        }
    }

    fn word_at(&self, n: usize) -> Option<&'a str> {
        let t = self.peek_at(n);
        match t.kind {
            TokenKind::Word => Some(self.text_of(t.span)),
            _ => None,
        }
    }

    /// Keywords, articles and prepositions match case-insensitively, as in the reference.
    fn at_word(&self, w: &str) -> bool {
        self.word().is_some_and(|x| x.eq_ignore_ascii_case(w))
    }

    /// The current word lowercased, for keyword matching.
    fn kw(&self) -> Option<String> {
        self.word().map(|w| w.to_ascii_lowercase())
    }

    fn kw_at(&self, n: usize) -> Option<String> {
        self.word_at(n).map(|w| w.to_ascii_lowercase())
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.at_word(w) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn skip_article(&mut self) {
        if let Some(w) = self.kw() {
            if ARTICLES.contains(&w.as_str()) && !matches!(self.peek_at(1).kind, TokenKind::Dot) {
                self.bump();
            }
        }
    }

    fn at(&self, k: &TokenKind) -> bool {
        std::mem::discriminant(self.kind()) == std::mem::discriminant(k)
    }

    fn eat(&mut self, k: &TokenKind) -> bool {
        if self.at(k) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// A description of the current token for messages: its text, or its kind.
    fn found(&self) -> String {
        let t = self.peek();
        match t.kind {
            TokenKind::Eof => "end of file".to_string(),
            TokenKind::Error => "an invalid token".to_string(),
            _ => format!("'{}'", self.text_of(t.span)),
        }
    }

    fn expect(&mut self, k: &TokenKind, what: &str) -> PResult<Token> {
        if self.at(k) {
            Ok(self.bump())
        } else {
            self.error_here(format!("Expected {what}, found {}", self.found()))
        }
    }

    fn error_here<T>(&mut self, msg: String) -> PResult<T> {
        let span = self.peek().span;
        if !matches!(self.kind(), TokenKind::Error) {
            self.diags.error(span, msg);
        }
        Err(Reported)
    }

    fn error_hint<T>(&mut self, span: Span, msg: String, hint: &str) -> PResult<T> {
        self.diags.error_hint(span, msg, hint);
        Err(Reported)
    }

    /// Parses an expression part one level deeper; past [`MAX_NESTING`] reports it at `at`.
    fn nested<T>(&mut self, at: Span, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_NESTING {
            return self.too_deep("Expression", at);
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// Reports "`what` nested too deeply" at `at`.
    fn too_deep<T>(&mut self, what: &str, at: Span) -> PResult<T> {
        let hint = match what {
            "Blocks" => "move inner blocks to a feature set of their own (Emit an event to it)",
            _ => "split it up: bind inner parts to variables first",
        };
        self.error_hint(
            at,
            format!("{what} nested too deeply (more than {MAX_NESTING} levels)"),
            hint,
        )
    }

    /// After a failed statement that began at token `start`: skips to just after its ending `.`,
    /// or past the `}` that closes a block the statement opened, or to a `}` of the enclosing block.
    fn recover_statement(&mut self, start: usize) {
        let mut depth = 0i32;
        for t in &self.tokens[start.min(self.pos)..self.pos] {
            match t.kind {
                TokenKind::LBrace | TokenKind::LBracket => depth += 1,
                TokenKind::RBrace | TokenKind::RBracket => depth -= 1,
                _ => {}
            }
        }
        let opened = depth > 0;
        loop {
            match self.kind() {
                TokenKind::Eof => return,
                TokenKind::Dot if depth <= 0 => {
                    // A dot glued to a following word is member access, not an end.
                    let dot = self.peek().span;
                    let next = self.peek_at(1).span;
                    self.bump();
                    if next.lo != dot.hi || !matches!(self.kind(), TokenKind::Word) {
                        return;
                    }
                }
                TokenKind::LBrace | TokenKind::LBracket => {
                    depth += 1;
                    self.bump();
                }
                TokenKind::RBrace if depth <= 0 => return,
                TokenKind::RBrace | TokenKind::RBracket => {
                    depth -= 1;
                    self.bump();
                    if opened && depth == 0 {
                        // A statement ending in a literal (`… [ … ].`) ends at its '.'.
                        let glued = self.peek_at(1).span.lo == self.peek().span.hi
                            && matches!(self.peek_at(1).kind, TokenKind::Word);
                        if self.at(&TokenKind::Dot) && !glued {
                            self.bump();
                        }
                        return;
                    }
                }
                _ => {
                    self.bump();
                }
            }
        }
    }

    /// True when only whitespace precedes the current token on its line. Looks at the gap after
    /// the previous token only, so a long line is not rescanned for each of its tokens.
    fn starts_line(&self) -> bool {
        let lo = self.peek().span.lo as usize;
        let from = match self.pos {
            0 => 0,
            n => self.tokens[n - 1].span.hi as usize,
        };
        let gap = self.text.get(from.min(lo)..lo).unwrap_or("");
        match gap.rfind('\n') {
            Some(i) => gap[i + 1..].trim().is_empty(),
            None => self.pos == 0 && gap.trim().is_empty(),
        }
    }

    /// True when a line break separates the previous token from the current one.
    fn at_line_start(&self) -> bool {
        let prev = self.prev_span();
        let cur = self.peek().span;
        self.text
            .get(prev.hi as usize..cur.lo as usize)
            .is_some_and(|gap| gap.contains('\n'))
    }
}
