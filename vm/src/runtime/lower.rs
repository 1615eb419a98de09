//! Load-time lowering of a feature set's bytecode into the VM's instruction form: the same ops at
//! the same positions, with common sequences fused into one instruction (an operator on a local
//! and a constant, a plain bind). A fused instruction falls back to its first op when its fast
//! case does not apply, so jumps into the middle of a sequence and every error stay as they were.

use arovm_compiler::bytecode::{Arg, BinCode, FeatureSetCode, Op, StmtInfo, NONE};
use arovm_stdlib::catalog::{self, ActionId};
use std::rc::Rc;

/// One VM instruction.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ins {
    /// A bytecode op as it is.
    Op(Op),
    /// `Load(a) Const(c) Bin(op)`: local `a` op constant `c`.
    LocalConst {
        /// Descriptor of the local.
        a: u32,
        /// Constant index.
        c: u32,
        /// Operator.
        op: BinCode,
    },
    /// `Const(c) Load(a) Bin(op)`: constant `c` op local `a`.
    ConstLocal {
        /// Constant index.
        c: u32,
        /// Descriptor of the local.
        a: u32,
        /// Operator.
        op: BinCode,
    },
    /// `Load(a) Load(b) Bin(op)`: local `a` op local `b`.
    LocalLocal {
        /// Descriptor of the left local.
        a: u32,
        /// Descriptor of the right local.
        b: u32,
        /// Operator.
        op: BinCode,
    },
    /// `Const(c) Bin(op)`: the top of the stack op constant `c`.
    TopConst {
        /// Constant index.
        c: u32,
        /// Operator.
        op: BinCode,
    },
    /// `Action(stmt)` of a statement that only binds its expression value to `slot` (see
    /// [`bind_slot`]).
    Bind {
        /// Statement index.
        stmt: u32,
        /// Local slot.
        slot: u32,
    },
}

impl Ins {
    /// The bytecode op at this position (what runs when the fused fast case does not apply).
    pub fn first(self, code: &[Op], at: usize) -> Op {
        match self {
            Ins::Op(op) => op,
            _ => code[at],
        }
    }

    /// How many bytecode ops the fused instruction covers.
    pub fn width(self) -> usize {
        match self {
            Ins::Op(_) | Ins::Bind { .. } => 1,
            Ins::TopConst { .. } => 2,
            _ => 3,
        }
    }
}

/// The VM instructions of one feature set, position for position (`strings`: the program's
/// string table).
pub fn lower(strings: &[Rc<str>], fs: &FeatureSetCode) -> Vec<Ins> {
    let code = &fs.code;
    let local = |d: u32| {
        let desc = &fs.descs[d as usize];
        desc.slot != NONE && desc.specs.is_empty()
    };
    (0..code.len())
        .map(|i| match (code[i], code.get(i + 1), code.get(i + 2)) {
            (Op::Load(a), Some(&Op::Const(c)), Some(&Op::Bin(op))) if local(a) => {
                Ins::LocalConst { a, c, op }
            }
            (Op::Const(c), Some(&Op::Load(a)), Some(&Op::Bin(op))) if local(a) => {
                Ins::ConstLocal { c, a, op }
            }
            (Op::Load(a), Some(&Op::Load(b)), Some(&Op::Bin(op))) if local(a) && local(b) => {
                Ins::LocalLocal { a, b, op }
            }
            (Op::Const(c), Some(&Op::Bin(op)), _) => Ins::TopConst { c, op },
            (Op::Action(stmt), _, _) => match bind_slot(strings, fs, &fs.stmts[stmt as usize]) {
                NONE => Ins::Op(code[i]),
                slot => Ins::Bind { stmt, slot },
            },
            (op, _, _) => Ins::Op(op),
        })
        .collect()
}

/// `Compute the <x> from <expr>.` and `Create the <x> with <expr>.` with no qualifier on `<x>`
/// and no other clause: the actions bind the value unchanged (`compute`'s identity short-cut;
/// `create` adds an id only for typed results), so the slot can be set directly. [`NONE`] when
/// the statement must run as an action.
fn bind_slot(strings: &[Rc<str>], fs: &FeatureSetCode, st: &StmtInfo) -> u32 {
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
    let word = strings.get(clause.word as usize).map_or("", |w| w);
    if !matches!(word, "from" | "with") {
        return NONE;
    }
    desc.slot
}
