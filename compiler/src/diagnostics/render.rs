//! rustc-style rendering: `error: msg`, ` --> file:line:col`, the source line, a caret line, a hint.

use super::{Diagnostic, Diagnostics, MAX_ERRORS};
use crate::source::SourceMap;
use std::fmt::Write;

/// Source lines longer than this many characters are shown as a window around the column.
const MAX_LINE_CHARS: usize = 160;

/// Renders the errors (after the warnings) as text, sorted by file and position, followed by a
/// count line.
pub fn render(sources: &SourceMap, diags: &Diagnostics) -> String {
    let mut out = String::new();
    blocks(&mut out, sources, &diags.warnings, "warning");
    blocks(&mut out, sources, &diags.list, "error");
    let n = diags.count();
    let _ = write!(
        out,
        "error: could not compile due to {n} error{}",
        if n == 1 { "" } else { "s" }
    );
    if diags.dropped > 0 {
        let _ = write!(out, " (the first {MAX_ERRORS} are shown)");
    }
    out.push('\n');
    out
}

/// Renders the warnings of a compilation that succeeded ("" when there are none).
pub fn render_warnings(sources: &SourceMap, diags: &Diagnostics) -> String {
    let mut out = String::new();
    if diags.warnings.is_empty() {
        return out;
    }
    blocks(&mut out, sources, &diags.warnings, "warning");
    let n = diags.warnings.len();
    let _ = writeln!(
        out,
        "warning: {n} warning{} emitted",
        if n == 1 { "" } else { "s" }
    );
    out
}

/// One block per diagnostic, sorted by file and position, headed `{kind}: message`.
fn blocks(out: &mut String, sources: &SourceMap, list: &[Diagnostic], kind: &str) {
    let mut sorted: Vec<&Diagnostic> = list.iter().collect();
    sorted.sort_by_key(|d| (d.span.file, d.span.lo));
    for d in &sorted {
        let file = sources.file(d.span.file);
        let (line, col) = file.line_col(d.span.lo);
        let text: Vec<char> = file.line_text(line).chars().collect();
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        let _ = writeln!(out, "{kind}: {}", d.message);
        let _ = writeln!(out, "{pad}--> {}:{line}:{col}", file.name);
        let _ = writeln!(out, "{pad} |");
        let start_col = ((col - 1) as usize).min(text.len());
        // A long line is cut to a window around the column, marked with `...` at a cut end.
        let (from, to) = if text.len() <= MAX_LINE_CHARS {
            (0, text.len())
        } else {
            let from = start_col
                .saturating_sub(MAX_LINE_CHARS / 2)
                .min(text.len() - MAX_LINE_CHARS);
            (from, from + MAX_LINE_CHARS)
        };
        let (pre, post) = (
            if from > 0 { "..." } else { "" },
            if to < text.len() { "..." } else { "" },
        );
        let shown: String = text[from..to].iter().collect();
        let _ = writeln!(out, "{line} | {pre}{shown}{post}");
        // The caret covers the span's characters (not bytes) on this line.
        let width = file
            .text
            .get(d.span.lo as usize..d.span.hi as usize)
            .map_or(1, |s| {
                s.chars()
                    .take(MAX_LINE_CHARS)
                    .take_while(|&c| c != '\n')
                    .count()
            })
            .max(1);
        let width = width.min(to.saturating_sub(start_col).max(1));
        let lead: String = text[from..start_col]
            .iter()
            .map(|&c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let _ = writeln!(
            out,
            "{pad} | {}{lead}{}",
            " ".repeat(pre.len()),
            "^".repeat(width)
        );
        if let Some(h) = &d.hint {
            let _ = writeln!(out, "{pad} = hint: {h}");
        }
        out.push('\n');
    }
}
