//! Diagnostics: collected, never thrown. Each has a span, a message and an optional one-line hint.

mod render;

pub use render::{render, render_warnings};

use crate::source::Span;

/// At most this many errors are kept and rendered; later ones are only counted. Hostile input can
/// produce an error every few bytes, and each rendering quotes its source line.
pub const MAX_ERRORS: usize = 100;

/// One compile error or warning.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// Where it happened.
    pub span: Span,
    /// The one-line message.
    pub message: String,
    /// An optional one-line hint on how to fix it.
    pub hint: Option<String>,
}

/// A collector of diagnostics for one compilation.
#[derive(Debug, Default)]
pub struct Diagnostics {
    /// The first [`MAX_ERRORS`] reported, in order.
    pub list: Vec<Diagnostic>,
    /// How many more were reported after `list` was full.
    pub dropped: usize,
    /// Warnings (the first [`MAX_ERRORS`]): the program still builds unless `--deny-warnings`.
    pub warnings: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Reports a diagnostic (kept while fewer than [`MAX_ERRORS`] are, else only counted).
    pub fn push(&mut self, d: Diagnostic) {
        if self.list.len() < MAX_ERRORS {
            self.list.push(d);
        } else {
            self.dropped += 1;
        }
    }

    /// Reports an error.
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        self.push(Diagnostic {
            span,
            message: message.into(),
            hint: None,
        });
    }

    /// Reports an error with a hint.
    pub fn error_hint(&mut self, span: Span, message: impl Into<String>, hint: impl Into<String>) {
        self.push(Diagnostic {
            span,
            message: message.into(),
            hint: Some(hint.into()),
        });
    }

    /// Reports a warning with a hint.
    pub fn warn_hint(&mut self, span: Span, message: impl Into<String>, hint: impl Into<String>) {
        if self.warnings.len() < MAX_ERRORS {
            self.warnings.push(Diagnostic {
                span,
                message: message.into(),
                hint: Some(hint.into()),
            });
        }
    }

    /// True when no error was reported (warnings do not count).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty() && self.dropped == 0
    }

    /// How many errors were reported in all.
    pub fn count(&self) -> usize {
        self.list.len() + self.dropped
    }
}
