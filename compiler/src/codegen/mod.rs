//! Code generation: AST → [`FeatureSetCode`] per feature set, with the semantic checks that need
//! scopes (immutability, unknown actions, publish of undefined names) reported as diagnostics.
//! Every identifier and string goes through one lasso `Rodeo`, so the program has one string table.

mod expr;
mod statement;

use crate::ast::{Descriptor, FeatureSet, Stmt};
use crate::bytecode::{Const, Desc, FeatureSetCode, Op, NONE};
use crate::diagnostics::Diagnostics;
use crate::source::SourceMap;
use lasso::{Key, Rodeo};
use std::collections::{HashMap, HashSet};

/// Interns every string of the program.
#[derive(Default)]
pub struct Interner {
    rodeo: Rodeo,
}

impl Interner {
    /// The string-table index of `s`.
    pub fn intern(&mut self, s: &str) -> u32 {
        self.rodeo.get_or_intern(s).into_usize() as u32
    }

    /// The table, in index order.
    pub fn into_strings(self) -> Vec<String> {
        let r = self.rodeo.into_resolver();
        r.strings().map(|s| s.to_string()).collect()
    }
}

/// Compiles one feature set.
pub(crate) fn feature_set(
    fs: &FeatureSet,
    sources: &SourceMap,
    strings: &mut Interner,
    diags: &mut Diagnostics,
) -> FeatureSetCode {
    let mut g = Gen {
        strings,
        sources,
        diags,
        code: FeatureSetCode::default(),
        slots: HashMap::new(),
        consts: HashMap::new(),
        loops: Vec::new(),
        // A template sees its caller's variables, which may include a `metrics` of its own.
        check_metrics: !fs.name.starts_with("template:"),
    };
    g.code.name = g.strings.intern(&fs.name);
    g.code.activity = g.strings.intern(&fs.activity);
    g.code.guard = NONE;
    collect_bound(&fs.body, &mut |name| {
        g.slot_for(name);
    });
    let mut guard_jump = None;
    if let Some(guard) = &fs.guard {
        g.expr(guard);
        guard_jump = Some(g.emit(Op::JumpIfFalse(0)));
        // The guard is the code before this op: an error there skips the feature set.
        g.code.guard = guard_jump.map_or(NONE, |j| j as u32);
    }
    let mut scope = Scope::default();
    g.block(&fs.body, &mut scope);
    let end = g.emit(Op::End);
    if let Some(j) = guard_jump {
        g.patch(j, end);
    }
    g.code
}

/// Calls `f` with every name a statement list may bind (results, loop variables, aliases).
fn collect_bound(body: &[Stmt], f: &mut dyn FnMut(&str)) {
    for s in body {
        match s {
            Stmt::Action(a) => {
                // Response actions (Send, Log, ...) name existing values; they bind nothing
                // (Store with a qualifier binds its result, so it counts).
                let binds = match arovm_stdlib::catalog::lookup(&a.verb) {
                    Some((
                        _,
                        arovm_stdlib::catalog::Role::Response | arovm_stdlib::catalog::Role::Export,
                    )) => {
                        matches!(&a.result, crate::ast::Operand::Desc(d) if !d.specifiers.is_empty())
                            && a.verb.eq_ignore_ascii_case("store")
                    }
                    _ => true,
                };
                if let (true, crate::ast::Operand::Desc(d)) = (binds, &a.result) {
                    f(&d.base);
                }
            }
            Stmt::Publish { alias, .. } => f(&alias.base),
            Stmt::Match {
                cases, otherwise, ..
            } => {
                for c in cases {
                    collect_bound(&c.body, f);
                }
                if let Some(o) = otherwise {
                    collect_bound(o, f);
                }
            }
            Stmt::While { body, .. } => collect_bound(body, f),
            Stmt::Break { .. } => {}
            Stmt::Range { var, body, .. } => {
                f(&var.base);
                collect_bound(body, f);
            }
            Stmt::ForEach {
                item, index, body, ..
            } => {
                f(&item.base);
                if let Some(i) = index {
                    f(&i.base);
                }
                collect_bound(body, f);
            }
        }
    }
}

/// Names bound so far on the current path (for the immutability check), with where each was bound.
#[derive(Clone, Default)]
pub(crate) struct Scope {
    bound: HashMap<String, crate::source::Span>,
    /// Inside a `while` body names may be rebound (the reference's mutable scope).
    mutable: bool,
}

/// An enclosing loop: where `break` jumps come from, and whether it holds an iterator.
pub(crate) struct LoopCtx {
    breaks: Vec<usize>,
    iterates: bool,
}

pub(crate) struct Gen<'a> {
    strings: &'a mut Interner,
    sources: &'a SourceMap,
    diags: &'a mut Diagnostics,
    code: FeatureSetCode,
    slots: HashMap<String, u32>,
    consts: HashMap<ConstKey, u32>,
    loops: Vec<LoopCtx>,
    /// Check `<metrics: …>` qualifiers here (not in templates: see [`Gen::desc`]).
    check_metrics: bool,
}

#[derive(Hash, PartialEq, Eq)]
enum ConstKey {
    Null,
    Bool(bool),
    Int(i64),
    Float(u64),
    Str(u32),
    Regex(u32, u32),
}

impl Gen<'_> {
    fn emit(&mut self, op: Op) -> usize {
        self.code.code.push(op);
        self.code.code.len() - 1
    }

    fn here(&self) -> usize {
        self.code.code.len()
    }

    /// Points the jump at `at` to `target`.
    fn patch(&mut self, at: usize, target: usize) {
        let t = target as u32;
        match &mut self.code.code[at] {
            Op::Jump(x) | Op::JumpIfFalse(x) | Op::JumpIfFalseKeep(x) | Op::JumpIfTrueKeep(x) => {
                *x = t
            }
            Op::IterNext { exit, .. } => *exit = t,
            _ => {}
        }
    }

    fn slot_for(&mut self, name: &str) -> u32 {
        if let Some(&s) = self.slots.get(name) {
            return s;
        }
        let sym = self.strings.intern(name);
        let s = self.code.slots.len() as u32;
        self.code.slots.push(sym);
        self.slots.insert(name.to_string(), s);
        s
    }

    fn hidden_slot(&mut self) -> u32 {
        self.code.slots.push(NONE);
        (self.code.slots.len() - 1) as u32
    }

    fn constant(&mut self, c: Const) -> u32 {
        let key = match &c {
            Const::Null => ConstKey::Null,
            Const::Bool(b) => ConstKey::Bool(*b),
            Const::Int(i) => ConstKey::Int(*i),
            Const::Float(f) => ConstKey::Float(f.to_bits()),
            Const::Str(s) => ConstKey::Str(*s),
            Const::Regex(a, b) => ConstKey::Regex(*a, *b),
        };
        if let Some(&i) = self.consts.get(&key) {
            return i;
        }
        self.code.consts.push(c);
        let i = (self.code.consts.len() - 1) as u32;
        self.consts.insert(key, i);
        i
    }

    fn desc(&mut self, d: &Descriptor) -> u32 {
        let base = self.strings.intern(&d.base);
        let slot = self.slots.get(&d.base).copied().unwrap_or(NONE);
        let parts: Vec<&str> = d
            .specifiers
            .iter()
            .flat_map(|s| {
                // A path (`./a.json`, `.env`, `/srv/x`) or a text with spaces is one qualifier,
                // never a property path split at its dots.
                let path = s.contains('/') || s.starts_with('.') || s.contains(' ');
                if s.contains(',') || s.contains('<') || path {
                    vec![s.as_str()]
                } else {
                    s.split('.').filter(|p| !p.is_empty()).collect()
                }
            })
            .collect();
        // ARO-0044: `<metrics>` the feature set does not bind itself is the magic variable, whose
        // qualifiers are known now (the VM checks them again where this cannot: templates).
        if d.base == "metrics" && slot == NONE && self.check_metrics {
            if let Err(why) = arovm_stdlib::metrics::check_path(&parts) {
                self.diags.error(d.span, why);
            }
        }
        let specs = parts.into_iter().map(|s| self.strings.intern(s)).collect();
        self.code.descs.push(Desc { base, slot, specs });
        (self.code.descs.len() - 1) as u32
    }

    fn block(&mut self, body: &[Stmt], scope: &mut Scope) {
        for s in body {
            self.stmt(s, scope);
        }
    }

    /// Slots bound anywhere inside `body` (cleared at each loop iteration).
    fn slots_bound_in(&mut self, body: &[Stmt]) -> Vec<u32> {
        let mut names = Vec::new();
        collect_bound(body, &mut |n| names.push(n.to_string()));
        let mut seen = HashSet::new();
        names
            .into_iter()
            .filter(|n| seen.insert(n.clone()))
            .map(|n| self.slot_for(&n))
            .collect()
    }
}
