//! Runtime errors and their text, as the reference prints them (ARO-0006: the failed statement is
//! the message).

/// A runtime failure of a fiber.
#[derive(Debug, Clone)]
pub enum RuntimeError {
    /// An action failed: the statement text (two lines: "Cannot ..." and the statement), the feature
    /// set, its activity, and the underlying reason.
    Action {
        /// `Cannot verb the r prep the o.` + `\n` + `<Verb> the <r> prep the <o>.`
        text: String,
        /// Feature set name.
        feature: String,
        /// Business activity and the statement's place (`file.aro:line`), boxed to keep the
        /// error small.
        origin: Box<(String, String)>,
        /// Why it failed (arovm adds this line; the reference drops it).
        detail: String,
        /// Bound names of the statement and their values (`age = -3`), sorted.
        trace: Vec<(String, String)>,
    },
    /// An expression failed before any action ran (`Undefined variable: x`).
    Expr(String),
    /// Division by zero (the reference wraps it twice).
    DivisionByZero,
}

impl RuntimeError {
    /// The error of statement `st` of feature set `fs`: its text, feature set, business
    /// activity, why, and the bound names it quotes.
    pub fn of_statement(
        prog: &crate::loader::Loaded,
        fs: &arovm_compiler::bytecode::FeatureSetCode,
        st: &arovm_compiler::bytecode::StmtInfo,
        detail: String,
        trace: Vec<(String, String)>,
    ) -> RuntimeError {
        let file = prog
            .program
            .files
            .get(st.file as usize)
            .map_or("?", |&f| prog.s(f));
        RuntimeError::Action {
            text: prog.s(st.text).to_string(),
            feature: prog.s(fs.name).to_string(),
            origin: Box::new((
                prog.s(fs.activity).to_string(),
                format!("{file}:{}", st.line),
            )),
            detail,
            trace,
        }
    }

    /// The failed statement's place (`file.aro:line`), when known.
    pub fn place(&self) -> Option<&str> {
        match self {
            RuntimeError::Action { origin, .. } => Some(&origin.1),
            _ => None,
        }
    }

    /// Logs a failed run of feature set `fs` (error level, stderr): feature set, business
    /// activity, the statement's place, `context` (request or connection id), and the error.
    pub fn log_failure(&self, prog: &crate::loader::Loaded, fs: usize, context: &[(&str, &str)]) {
        use crate::telemetry::log::{self, Field, Level};
        let f = &prog.program.feature_sets[fs];
        let (name, activity) = (prog.s(f.name), prog.s(f.activity));
        let text = self.render();
        let mut fields = vec![
            ("feature_set", Field::Str(name)),
            ("activity", Field::Str(activity)),
        ];
        if let Some(at) = self.place() {
            fields.push(("at", Field::Str(at)));
        }
        fields.extend(context.iter().map(|(k, v)| (*k, Field::Str(v))));
        fields.push(("error", Field::Str(&text)));
        log::emit(Level::Error, "handler failed", &fields);
    }

    /// The text `arovm run` prints (to stdout, like the reference).
    pub fn render(&self) -> String {
        match self {
            RuntimeError::Action {
                text,
                feature,
                origin,
                detail,
                trace,
                ..
            } => {
                let activity = &origin.0;
                let (cannot, stmt) = text.split_once('\n').unwrap_or((text, text));
                let place = &origin.1;
                let mut s = format!(
                    "Runtime error: Runtime Error: {cannot}\n  Feature: {feature}\n  Business Activity: {activity}\n  Statement: {stmt}\n  At: {place}"
                );
                if !trace.is_empty() {
                    s.push_str("\n          Trace:");
                    for (k, v) in trace {
                        s.push_str(&format!("\n            {k} = {v}"));
                    }
                }
                if !detail.is_empty() {
                    s.push_str("\n  Reason: ");
                    s.push_str(detail);
                }
                s
            }
            RuntimeError::Expr(m) => format!("Error: {m}"),
            RuntimeError::DivisionByZero => "Runtime error: Runtime error: Division by zero".into(),
        }
    }

    /// The full description without the `Runtime error: ` prefix (an HTTP 500 body).
    pub fn summary_full(&self) -> String {
        let r = self.render();
        r.strip_prefix("Runtime error: ")
            .or_else(|| r.strip_prefix("Error: "))
            .unwrap_or(&r)
            .to_string()
    }

    /// [`Self::summary`] with the reason after it, if any: a template's failure as its caller
    /// reports it.
    pub fn summary_with_reason(&self) -> String {
        match self {
            RuntimeError::Action { detail, .. } if !detail.is_empty() => {
                format!("{} ({detail})", self.summary())
            }
            _ => self.summary(),
        }
    }

    /// A one-line description (for `shutdown: error` in Application-End: Error).
    pub fn summary(&self) -> String {
        match self {
            RuntimeError::Action { text, .. } => {
                format!("Runtime Error: {}", text.split('\n').next().unwrap_or(text))
            }
            RuntimeError::Expr(m) => m.clone(),
            RuntimeError::DivisionByZero => "Runtime error: Division by zero".into(),
        }
    }
}
