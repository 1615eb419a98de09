//! A readable listing of a program, used by `arovm disasm` and snapshot tests.

use super::{Arg, Const, FeatureSetCode, Op, Program, NONE};
use std::fmt::Write;

/// Renders the whole program.
pub fn disasm(p: &Program) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "; arob v{} — {} strings, {} feature sets, {} resources",
        super::arob::FORMAT_VERSION,
        p.strings.len(),
        p.feature_sets.len(),
        p.resources.len()
    );
    for r in &p.resources {
        let _ = writeln!(out, "; resource {} ({} bytes)", r.path, r.bytes.len());
    }
    for fs in &p.feature_sets {
        feature_set(p, fs, &mut out);
    }
    out
}

fn desc(p: &Program, fs: &FeatureSetCode, i: u32) -> String {
    let Some(d) = fs.descs.get(i as usize) else {
        return format!("#{i}?");
    };
    let mut s = format!("<{}", p.s(d.base));
    if !d.specs.is_empty() {
        let specs: Vec<&str> = d.specs.iter().map(|&x| p.s(x)).collect();
        let _ = write!(s, ": {}", specs.join("."));
    }
    s.push('>');
    if d.slot != NONE {
        let _ = write!(s, "@{}", d.slot);
    }
    s
}

fn feature_set(p: &Program, fs: &FeatureSetCode, out: &mut String) {
    let _ = writeln!(out, "\n({}: {})", p.s(fs.name), p.s(fs.activity));
    let slots: Vec<String> = fs
        .slots
        .iter()
        .enumerate()
        .map(|(i, &s)| {
            if s == NONE {
                format!("{i}:_tmp")
            } else {
                format!("{i}:{}", p.s(s))
            }
        })
        .collect();
    let _ = writeln!(out, "  slots: {}", slots.join(" "));
    for (pc, op) in fs.code.iter().enumerate() {
        let text = match *op {
            Op::Const(i) => match fs.consts.get(i as usize) {
                Some(Const::Str(s)) => format!("const {:?}", p.s(*s)),
                Some(Const::Regex(a, b)) => format!("const /{}/{}", p.s(*a), p.s(*b)),
                Some(c) => format!("const {c:?}"),
                None => format!("const #{i}?"),
            },
            Op::Load(d) => format!("load {}", desc(p, fs, d)),
            Op::Exists(d) => format!("exists {}", desc(p, fs, d)),
            Op::Object(i) => {
                let keys: Vec<&str> = fs
                    .shapes
                    .get(i as usize)
                    .map(|k| k.iter().map(|&x| p.s(x)).collect())
                    .unwrap_or_default();
                format!("object {{{}}}", keys.join(", "))
            }
            Op::Bin(b) => format!("bin {}", b.symbol()),
            Op::IsType(t) => format!("is-type {}", p.s(t)),
            Op::Member(m) => format!("member .{}", p.s(m)),
            Op::Publish { alias, var } => {
                format!("publish {} as <{}>", desc(p, fs, var), p.s(alias))
            }
            Op::Action(i) => match fs.stmts.get(i as usize) {
                Some(st) => {
                    let mut s = format!("action {}", p.s(st.verb));
                    let arg = |a: &Arg| match a {
                        Arg::Desc(d) => desc(p, fs, *d),
                        Arg::Expr => "(expr)".to_string(),
                    };
                    let _ = write!(s, " {}", arg(&st.result));
                    for c in &st.clauses {
                        let _ = write!(s, " {} {}", p.s(c.word), arg(&c.arg));
                    }
                    let _ = write!(s, "   ; line {}", st.line);
                    s
                }
                None => format!("action #{i}?"),
            },
            Op::IterNext {
                item,
                index,
                clear,
                exit,
            } => format!(
                "iter-next item@{item} index@{} clear#{clear} exit->{exit}",
                if index == NONE {
                    "-".into()
                } else {
                    index.to_string()
                }
            ),
            other => format!("{other:?}").to_lowercase(),
        };
        let _ = writeln!(out, "  {pc:4}  {text}");
    }
}
