//! rustc-style rendering: `error: msg`, ` --> file:line:col`, the source line, a caret line, a hint.

use super::Diagnostic;
use crate::source::SourceMap;
use std::fmt::Write;

/// Renders diagnostics as text, sorted by file and position, followed by a count line.
pub fn render(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut sorted: Vec<&Diagnostic> = diags.iter().collect();
    sorted.sort_by_key(|d| (d.span.file, d.span.lo));
    let mut out = String::new();
    for d in &sorted {
        let file = sources.file(d.span.file);
        let (line, col) = file.line_col(d.span.lo);
        let text = file.line_text(line);
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "error: {}", d.message);
        let _ = writeln!(out, "{pad}--> {}:{line}:{col}", file.name);
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{line} | {text}");
        let start_col = (col - 1) as usize;
        // The caret covers the span's characters (not bytes) on this line.
        let width = file
            .text
            .get(d.span.lo as usize..d.span.hi as usize)
            .map_or(1, |s| s.chars().take_while(|&c| c != '\n').count())
            .max(1);
        let line_len = text.chars().count();
        let width = width.min(line_len.saturating_sub(start_col).max(1));
        let lead: String = text
            .chars()
            .take(start_col)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(out, "{pad} | {lead}{}", "^".repeat(width));
        if let Some(h) = &d.hint {
            let _ = writeln!(out, "{pad} = hint: {h}");
        }
        out.push('\n');
    }
    let n = sorted.len();
    let _ = writeln!(
        out,
        "error: could not compile due to {n} error{}",
        if n == 1 { "" } else { "s" }
    );
    out
}
