//! Templates (ARO-0050) compiled at build time: each file under `templates/` becomes a feature
//! set named `template:<path>` whose statements print into the template buffer. Static text →
//! `Print "..." to the <template: raw>.`; `{{ <expr> | filter }}` → `Print <expr> to the
//! <template: escape filter>.` (HTML-escaped in `.html`/`.htm` files unless `| raw`);
//! `{{ for each ... { }}` … `{{ } }}` → a loop; any other block → its ARO statements as written.
//! Lines of the generated code match the template's lines, so diagnostics point at the right line.

/// Escapes text into an ARO double-quoted string body.
fn aro_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out
}

/// Splits `<expr> | f1 | f2: "x"` at pipes outside `<...>` and strings.
fn split_filters(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut in_str, mut start) = (0i32, false, 0);
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'"' => in_str = !in_str,
            b'<' if !in_str => depth += 1,
            b'>' if !in_str => depth -= 1,
            b'|' if !in_str && depth <= 0 && b.get(i + 1) != Some(&b'>') => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

/// ARO source for the body of the template's feature set.
pub fn to_aro(path: &str, text: &str) -> String {
    let html = path.ends_with(".html") || path.ends_with(".htm");
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (static_text, block) = match rest.find("{{") {
            Some(i) => {
                let after = &rest[i + 2..];
                match after.find("}}") {
                    Some(j) => (&rest[..i], Some((&after[..j], &after[j + 2..]))),
                    None => (rest, None),
                }
            }
            None => (rest, None),
        };
        if !static_text.is_empty() {
            out.push_str(&format!(
                "Print \"{}\" to the <template: raw>. ",
                aro_string(static_text)
            ));
            out.push_str(&"\n".repeat(static_text.matches('\n').count()));
        }
        let Some((inner, after)) = block else { break };
        let t = inner.trim();
        let lines = inner.matches('\n').count();
        if t == "}" {
            out.push_str(" } ");
        } else if (t.starts_with("for each") || t.starts_with("parallel for each"))
            && t.ends_with('{')
        {
            out.push_str(inner);
        } else if t.starts_with('<') && !t.ends_with('.') && !t.contains("<Include>") {
            let parts = split_filters(t);
            let expr = parts[0].trim();
            let mut filters: Vec<String> = parts[1..]
                .iter()
                .map(|f| {
                    f.trim()
                        .split(':')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_ascii_lowercase()
                })
                .filter(|f| !f.is_empty())
                .collect();
            if html && !filters.iter().any(|f| f == "raw") {
                filters.push("escape".into());
            }
            if filters.is_empty() {
                filters.push("raw".into());
            }
            out.push_str(&format!(
                "Print {expr} to the <template: {}>. ",
                filters.join(" ")
            ));
            out.push_str(&"\n".repeat(lines));
        } else {
            out.push_str(inner);
        }
        out.push(' ');
        rest = after;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::to_aro;

    #[test]
    fn generates_statements() {
        let src = to_aro("a.html", "<h1>{{ <title> | uppercase }}</h1>\n{{ for each <x> in <xs> { }}<li>{{ <x> }}</li>{{ } }}");
        assert!(src.contains("Print <title> to the <template: uppercase escape>."));
        assert!(src.contains("for each <x> in <xs> {"));
        assert!(src.contains("Print \"<h1>\" to the <template: raw>."));
        assert_eq!(src.matches('\n').count(), 1);
    }
}
