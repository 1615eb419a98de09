//! Token kinds produced by the lexer. Words (keywords, articles, prepositions) are all `Word`:
//! the parser decides by text, so a feature set may be named with any word.

use crate::source::Span;

/// A piece of a double-quoted string: literal text or an interpolated `${...}` expression.
#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    /// Literal text, escapes already processed.
    Text(String),
    /// Source span of the expression inside `${ }`.
    Interp(Span),
}

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    /// An identifier or keyword; hyphenated words (`incoming-request`) are one word.
    Word,
    /// A string literal, split into parts when it interpolates.
    Str(Vec<StrPart>),
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Float(f64),
    /// A regex literal `/body/flags`.
    Regex(String, String),
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `>=`
    Ge,
    /// `==` or `=`
    EqEq,
    /// `!=`
    Ne,
    /// `:`
    Colon,
    /// `.`
    Dot,
    /// `,`
    Comma,
    /// `+`
    Plus,
    /// `++`
    PlusPlus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `|>`: the pipeline operator (ARO-0067) between the statements of one chain.
    Pipe,
    /// A byte sequence the lexer could not read (already reported).
    Error,
    /// End of input.
    Eof,
}

/// One token with its source span.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// Its kind (and payload).
    pub kind: TokenKind,
    /// Where it is.
    pub span: Span,
}

impl TokenKind {
    /// A short human name used in "expected X, found Y" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            TokenKind::Word => "a word",
            TokenKind::Str(_) => "a string",
            TokenKind::Int(_) | TokenKind::Float(_) => "a number",
            TokenKind::Regex(..) => "a regex",
            TokenKind::LParen => "'('",
            TokenKind::RParen => "')'",
            TokenKind::LBrace => "'{'",
            TokenKind::RBrace => "'}'",
            TokenKind::LBracket => "'['",
            TokenKind::RBracket => "']'",
            TokenKind::Lt => "'<'",
            TokenKind::Gt => "'>'",
            TokenKind::Le => "'<='",
            TokenKind::Ge => "'>='",
            TokenKind::EqEq => "'=='",
            TokenKind::Ne => "'!='",
            TokenKind::Colon => "':'",
            TokenKind::Dot => "'.'",
            TokenKind::Comma => "','",
            TokenKind::Plus => "'+'",
            TokenKind::PlusPlus => "'++'",
            TokenKind::Minus => "'-'",
            TokenKind::Star => "'*'",
            TokenKind::Slash => "'/'",
            TokenKind::Percent => "'%'",
            TokenKind::Pipe => "'|>'",
            TokenKind::Error => "an invalid character",
            TokenKind::Eof => "end of file",
        }
    }
}
