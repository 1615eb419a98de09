//! `Link` header parsing (`Parse the <r: link-header>`): it never panics, whatever the text, and a
//! header written from (rel, url) pairs — quoted or bare rels, extra parameters before and after
//! the rel, uneven whitespace, commas inside the URLs — reads back as exactly those pairs.

use arovm_stdlib::actions::link_header::parse;
use proptest::prelude::*;

/// A URL: no `<`, `>` or `;` (the brackets would move the depth count, `;` splits parameters),
/// but commas and spaces, which the brackets protect.
fn url() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9:/?=&.,%_~ é-]{1,24}"
}

/// A rel: no `,`, `;`, `<` or `>` (commas are split outside brackets, even inside quotes).
fn rel() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._:/=é\"-]{0,12}"
}

/// Space the parser trims: spaces, tabs and other Unicode space separators.
fn pad() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", " ", "  ", "\t", "\u{a0}", " \t "])
}

#[derive(Debug, Clone)]
struct Link {
    rel: String,
    url: String,
    quoted: bool,
    before: Option<String>,
    after: Option<String>,
    pads: [&'static str; 4],
}

fn link() -> impl Strategy<Value = Link> {
    (
        rel(),
        url(),
        any::<bool>(),
        prop::option::of("(title|type|relx|hreflang)=\"[a-z =]{0,6}\""),
        prop::option::of("(title|media|relx|rev)(=[a-z0-9]{0,6})?"),
        [pad(), pad(), pad(), pad()],
    )
        .prop_map(|(rel, url, quoted, before, after, pads)| Link {
            rel,
            url,
            quoted,
            before,
            after,
            pads,
        })
}

/// A bare rel reads back as written only if the trimming and the quote stripping leave it alone.
fn bare_is_exact(rel: &str) -> bool {
    let trimmed = rel.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\u{a0}');
    trimmed == rel && !(rel.starts_with('"') && rel.ends_with('"'))
}

fn write(links: &[Link]) -> String {
    let mut entries = Vec::new();
    for l in links {
        let [p0, p1, p2, p3] = l.pads;
        let mut e = format!("{p0}<{}>{p1}", l.url);
        if let Some(b) = &l.before {
            e.push_str(&format!(";{p2}{b}"));
        }
        let quoted = l.quoted || !bare_is_exact(&l.rel);
        if quoted {
            e.push_str(&format!(";{p2}rel=\"{}\"{p3}", l.rel));
        } else {
            e.push_str(&format!(";{p2}rel={}{p3}", l.rel));
        }
        if let Some(a) = &l.after {
            e.push_str(&format!(";{p3}{a}"));
        }
        entries.push(e);
    }
    entries.join(",")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_any_string(s in any::<String>()) {
        let _ = parse(&s);
    }

    #[test]
    fn never_panics_on_link_like_text(s in "[<>,;=\" \t\u{a0}\u{301}relRELx\"]{0,64}") {
        for (_, url) in parse(&s) {
            prop_assert!(!url.is_empty());
        }
    }

    #[test]
    fn a_written_header_reads_back(links in prop::collection::vec(link(), 0..8)) {
        let header = write(&links);
        let got = parse(&header);
        let want: Vec<(&str, &str)> =
            links.iter().map(|l| (l.rel.as_str(), l.url.as_str())).collect();
        prop_assert_eq!(got, want, "header: {:?}", header);
    }
}

/// Found by the fuzz smoke run: a lone quote after `rel=` gives an empty rel (kept, as
/// `rel=""` is), and every URL is still a slice of the input.
#[test]
fn a_lone_quote_rel_is_an_empty_rel() {
    let input = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fuzz/regressions/link_header/empty-rel-after-lone-quote"
    ))
    .unwrap();
    let text = String::from_utf8_lossy(&input);
    let pairs = arovm_stdlib::actions::link_header::parse(&text);
    assert!(!pairs.is_empty());
    for (rel, url) in &pairs {
        assert!(!url.is_empty());
        assert!(text.contains(url));
        assert!(rel.is_empty() || text.contains(rel));
    }
    let lone = arovm_stdlib::actions::link_header::parse("<https://x.test/e>; rel=\"");
    assert_eq!(lone, vec![("", "https://x.test/e")]);
}
