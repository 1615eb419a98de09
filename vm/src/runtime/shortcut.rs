//! Statements the interpreter carries out without building a `Call`: `Compute`/`Create` of one
//! bare expression into a plain local name, which only bind the expression's value.

use crate::loader::Loaded;
use arovm_compiler::bytecode::{Arg, FeatureSetCode, StmtInfo, NONE};
use arovm_stdlib::catalog::{self, ActionId};

/// Per statement of a feature set: the local slot the statement binds its expression value to,
/// or [`NONE`] when the statement must run as an action.
pub fn binds(prog: &Loaded, fs: &FeatureSetCode) -> Vec<u32> {
    fs.stmts.iter().map(|st| bind_slot(prog, fs, st)).collect()
}

/// `Compute the <x> from <expr>.` and `Create the <x> with <expr>.` with no qualifier on `<x>`
/// and no other clause: the actions bind the value unchanged (`compute`'s identity short-cut;
/// `create` adds an id only for typed results), so the slot can be set directly.
fn bind_slot(prog: &Loaded, fs: &FeatureSetCode, st: &StmtInfo) -> u32 {
    let id = catalog::from_u16(st.action);
    if !matches!(id, Some(ActionId::Compute) | Some(ActionId::Create)) {
        return NONE;
    }
    let Arg::Desc(d) = st.result else {
        return NONE;
    };
    let desc = &fs.descs[d as usize];
    let [clause] = &st.clauses[..] else {
        return NONE;
    };
    if !desc.specs.is_empty() || clause.arg != Arg::Expr {
        return NONE;
    }
    if !matches!(prog.s(clause.word), "from" | "with") {
        return NONE;
    }
    desc.slot
}
