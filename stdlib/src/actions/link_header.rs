//! RFC 8288 `Link` header values → (rel, URL) pairs, read the way the reference reads them for
//! `Parse the <r: link-header> from the <src>`: lenient, never failing, a pure function.
//!
//! The reference works on Swift `Character`s (extended grapheme clusters), so the brackets,
//! commas, quotes and the `rel=` prefix are compared grapheme by grapheme: a `<` carrying a
//! combining mark is not a bracket. Trimming removes tabs and Unicode space separators (Zs, what
//! Foundation calls `whitespaces`), not line breaks.

use unicode_segmentation::UnicodeSegmentation;

/// Parses a `Link` header value into its `(rel, url)` pairs, in header order.
///
/// 1. The value is split at commas outside `<…>` (a depth count: `<` opens, `>` closes; commas
///    inside quoted parameters are not protected); an all-whitespace tail is dropped.
/// 2. Each entry is split at every `;`; its first part, trimmed, must be `<URL>`, otherwise the
///    entry is skipped. The URL is what lies between the brackets, untrimmed.
/// 3. The first later part that, trimmed and lowercased, starts with `rel=` gives the rel: the
///    text after `rel=`, with one pair of surrounding `"` removed; its case is kept and it may be
///    empty (`rel=""`). `rel="next last"` is one rel, not two.
/// 4. An entry without a rel, or with an empty URL, is skipped.
///
/// Duplicate rels are all returned; the `Parse` action builds an object from the pairs, where a
/// later rel replaces an earlier one. Any string is accepted: malformed entries are skipped.
pub fn parse(header: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut depth: i64 = 0;
    let mut start = 0;
    for (i, g) in header.grapheme_indices(true) {
        match g {
            "<" => depth += 1,
            ">" => depth -= 1,
            "," if depth == 0 => {
                out.extend(entry(&header[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    let tail = &header[start..];
    if !trim(tail).is_empty() {
        out.extend(entry(tail));
    }
    out
}

/// One entry (`<url>; param; param`): its `(rel, url)`, if it has both.
fn entry(e: &str) -> Option<(&str, &str)> {
    let mut parts = e.split(';');
    let url = strip_pair(trim(parts.next()?), "<", ">")?;
    let rel = parts.map(trim).find_map(rel_value)?;
    (!url.is_empty()).then_some((rel, url))
}

/// The value of a `rel=` parameter (already trimmed), with one pair of quotes removed.
fn rel_value(p: &str) -> Option<&str> {
    let mut gs = p.grapheme_indices(true);
    for want in ["r", "e", "l", "="] {
        let (_, g) = gs.next()?;
        if g.to_lowercase() != want {
            return None;
        }
    }
    let value = &p[gs.next().map_or(p.len(), |(i, _)| i)..];
    Some(strip_pair(value, "\"", "\"").unwrap_or(value))
}

/// `s` without its first and last graphemes when the first is `open` and the last is `close`
/// (a single grapheme that is both gives the empty string).
fn strip_pair<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let mut gs = s.graphemes(true);
    if gs.next()? != open {
        return None;
    }
    match gs.next_back() {
        Some(last) if last == close => Some(&s[open.len()..s.len() - close.len()]),
        Some(_) => None,
        None if open == close => Some(""),
        None => None,
    }
}

/// Foundation's `CharacterSet.whitespaces`: tab and the Unicode space separators (Zs).
fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

fn trim(s: &str) -> &str {
    s.trim_matches(is_space)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn rels_and_urls_in_header_order() {
        assert_eq!(
            parse(
                r#"<https://api.test/v?page=5>; rel="next", <https://api.test/v?page=9>; rel=last"#
            ),
            vec![
                ("next", "https://api.test/v?page=5"),
                ("last", "https://api.test/v?page=9")
            ]
        );
    }

    #[test]
    fn empty_and_blank_input_give_nothing() {
        assert!(parse("").is_empty());
        assert!(parse(" \t ").is_empty());
        assert!(parse(",,,").is_empty());
    }

    #[test]
    fn commas_inside_brackets_do_not_split() {
        assert_eq!(
            parse("<https://m.test/a,b?x=1,2>; rel=alt"),
            vec![("alt", "https://m.test/a,b?x=1,2")]
        );
    }

    #[test]
    fn commas_inside_quoted_params_do_split() {
        // `title="a, b"` is cut at its comma: the first half still has its rel, the second has
        // no `<URL>` and is skipped.
        assert_eq!(
            parse(r#"<https://q.test/>; rel=up; title="a, b", <https://q.test/z>; rel=down"#),
            vec![("up", "https://q.test/"), ("down", "https://q.test/z")]
        );
    }

    #[test]
    fn entries_without_brackets_rel_or_url_are_skipped() {
        let h = r#"<https://s.test/1>; title="no rel", https://s.test/2; rel="next", <>; rel=empty, <https://s.test/3>; REL="Prev""#;
        assert_eq!(parse(h), vec![("Prev", "https://s.test/3")]);
    }

    #[test]
    fn the_first_rel_wins_and_case_is_kept() {
        assert_eq!(
            parse(r#"<u1>; Rel="First"; rel="second""#),
            vec![("First", "u1")]
        );
    }

    #[test]
    fn rel_needs_no_space_around_the_equals_sign() {
        assert!(parse("<u1>; rel = next").is_empty());
        assert_eq!(parse("<u1>;rel=next"), vec![("next", "u1")]);
    }

    #[test]
    fn one_pair_of_quotes_is_stripped() {
        assert_eq!(parse("<u>; rel=\"\""), vec![("", "u")]);
        assert_eq!(parse("<u>; rel=\"\"x\"\""), vec![("\"x\"", "u")]);
        assert_eq!(parse("<u>; rel=\""), vec![("", "u")]);
        assert_eq!(parse("<u>; rel=\"open"), vec![("\"open", "u")]);
        assert_eq!(parse("<u>; rel=\"next last\""), vec![("next last", "u")]);
    }

    #[test]
    fn the_url_is_not_trimmed_inside_its_brackets() {
        assert_eq!(parse("  < a b >  ; rel=x  "), vec![("x", " a b ")]);
    }

    #[test]
    fn duplicates_are_all_returned_in_order() {
        assert_eq!(
            parse("<a>; rel=next, <b>; rel=next"),
            vec![("next", "a"), ("next", "b")]
        );
    }

    #[test]
    fn a_stray_closing_bracket_protects_the_commas_after_it() {
        // The depth count goes below zero, as in the reference: the rest is one entry.
        assert!(parse("x>, <a>; rel=p, <b>; rel=q").is_empty());
        assert_eq!(parse("<a>; rel=p>, <b>; rel=q"), vec![("p>, <b>", "a")]);
    }

    #[test]
    fn line_breaks_are_not_whitespace() {
        assert!(parse("\n<a>; rel=p").is_empty());
        assert_eq!(parse("<a>; rel=p\n"), vec![("p\n", "a")]);
        assert_eq!(parse("\u{a0}<a>;\u{3000}rel=p\t"), vec![("p", "a")]);
    }

    #[test]
    fn brackets_and_commas_carrying_combining_marks_are_text() {
        assert!(parse("<a>\u{301}; rel=p").is_empty());
        assert_eq!(
            parse("<a>; rel=p,\u{301} <b>; rel=q"),
            vec![("p,\u{301} <b>", "a")]
        );
        assert!(parse("<a>; rel=\u{301}p").is_empty());
        assert_eq!(parse("<a>; rel=\"p\"\u{301}"), vec![("\"p\"\u{301}", "a")]);
    }
}
