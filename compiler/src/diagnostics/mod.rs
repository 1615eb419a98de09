//! Diagnostics: collected, never thrown. Each has a span, a message and an optional one-line hint.

mod render;

pub use render::render;

use crate::source::Span;

/// One compile error (arovm reports no warnings as errors).
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
    /// Everything reported so far, in order.
    pub list: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Reports an error.
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        self.list.push(Diagnostic {
            span,
            message: message.into(),
            hint: None,
        });
    }

    /// Reports an error with a hint.
    pub fn error_hint(&mut self, span: Span, message: impl Into<String>, hint: impl Into<String>) {
        self.list.push(Diagnostic {
            span,
            message: message.into(),
            hint: Some(hint.into()),
        });
    }

    /// True when nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}
