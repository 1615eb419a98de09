//! Expressions: literals, variables, operators, and the condition forms (`exists`, `is empty`, ...).

use super::Descriptor;
use crate::source::Span;

/// Binary operators, by precedence group (see the parser).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
    /// `++`
    Concat,
    /// `==`, `=`, `is`, `equals`
    Eq,
    /// `!=`, `is not`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `and`
    And,
    /// `or`
    Or,
    /// `contains`
    Contains,
    /// `matches`
    Matches,
    /// `in` (membership; where clauses)
    In,
    /// `not in`
    NotIn,
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `not x`
    Not,
    /// `x exists` / `x is defined`
    Exists,
    /// `x is empty`
    IsEmpty,
    /// `x is null`
    IsNull,
}

/// An expression with its span.
#[derive(Clone, Debug)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
    /// Height of the tree (a leaf is 1). The parser refuses expressions taller than
    /// [`crate::parser::MAX_NESTING`], so recursive passes (codegen, clone, drop) stay shallow.
    pub height: u32,
}

impl Expr {
    /// An expression node; its height is computed from its direct children.
    pub fn new(kind: ExprKind, span: Span) -> Expr {
        let children = match &kind {
            ExprKind::Interp(xs) | ExprKind::List(xs) => xs.iter().map(|x| x.height).max(),
            ExprKind::Object(es) => es.iter().map(|(_, v)| v.height).max(),
            ExprKind::Binary(_, l, r) | ExprKind::Index(l, r) => Some(l.height.max(r.height)),
            ExprKind::Unary(_, e) | ExprKind::TypeCheck(e, _) | ExprKind::Member(e, _) => {
                Some(e.height)
            }
            _ => None,
        };
        Expr {
            kind,
            span,
            height: children.unwrap_or(0).saturating_add(1),
        }
    }
}

/// Expression kinds.
#[derive(Clone, Debug)]
pub enum ExprKind {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// Integer literal.
    Int(i64),
    /// Float literal.
    Float(f64),
    /// Plain string literal.
    Str(String),
    /// Interpolated string: text parts and expressions in order.
    Interp(Vec<Expr>),
    /// Regex literal (pattern, flags).
    Regex(String, String),
    /// `<name: qualifier>`
    Var(Descriptor),
    /// A bare word where a value is expected (a field name in `where id = <x>`).
    Word(String),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{ key: value, ... }`
    Object(Vec<(String, Expr)>),
    /// Binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// Unary operation or postfix check.
    Unary(UnOp, Box<Expr>),
    /// `x is a Type`
    TypeCheck(Box<Expr>, String),
    /// `x.name`
    Member(Box<Expr>, String),
    /// `x[i]`
    Index(Box<Expr>, Box<Expr>),
}
