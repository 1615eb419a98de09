//! The syntax tree: plain data with spans, no behaviour. Built by the parser, read by sema and codegen.

mod expr;

pub use expr::{BinOp, Expr, ExprKind, UnOp};

use crate::source::Span;

/// A whole application: the feature sets of every `.aro` file.
#[derive(Debug, Default)]
pub struct App {
    /// Feature sets in file order.
    pub feature_sets: Vec<FeatureSet>,
}

/// `(Name: Business Activity) [when cond] { ... }`
#[derive(Debug)]
pub struct FeatureSet {
    /// The name, words joined by single spaces.
    pub name: String,
    /// The business activity, words joined by single spaces.
    pub activity: String,
    /// Optional handler guard.
    pub guard: Option<Expr>,
    /// Statements of the body.
    pub body: Vec<Stmt>,
    /// Span of the header.
    pub span: Span,
}

/// `<base: specifier ...>`: a variable, an object with a qualifier path, or a named thing.
#[derive(Clone, Debug)]
pub struct Descriptor {
    /// The base identifier.
    pub base: String,
    /// Whitespace-separated specifiers after `:` (each may hold dots: `address.city`).
    pub specifiers: Vec<String>,
    /// Span of `<...>`.
    pub span: Span,
}

/// What stands in the result or object position of a statement.
#[derive(Clone, Debug)]
pub enum Operand {
    /// A bare descriptor `<x: q>`: the action decides how to read it.
    Desc(Descriptor),
    /// Any other expression (literal, arithmetic, object literal...), evaluated before the action.
    Expr(Expr),
}

impl Operand {
    /// Span of the operand.
    pub fn span(&self) -> Span {
        match self {
            Operand::Desc(d) => d.span,
            Operand::Expr(e) => e.span,
        }
    }
}

/// A prepositional clause: `from <x>`, `with {..}`, `by /re/`, `where cond` ...
#[derive(Clone, Debug)]
pub struct Clause {
    /// The preposition or clause word (`from`, `to`, `with`, `where`, ...).
    pub word: String,
    /// Its operand.
    pub value: Operand,
    /// Span of the clause word.
    pub span: Span,
    /// Written with an article (`with the <x>`): a named object rather than an expression.
    pub article: bool,
}

/// `Action [article] <result> clause* [when cond].`
#[derive(Clone, Debug)]
pub struct ActionStmt {
    /// The verb as written (`Extract`).
    pub verb: String,
    /// Span of the verb.
    pub verb_span: Span,
    /// The result operand.
    pub result: Operand,
    /// Prepositional and `where` clauses in source order.
    pub clauses: Vec<Clause>,
    /// `when` guard.
    pub guard: Option<Expr>,
    /// Span of the whole statement.
    pub span: Span,
}

/// A `case` arm of a match.
#[derive(Debug)]
pub struct Case {
    /// The pattern; `None` for `_`.
    pub pattern: Option<Expr>,
    /// Optional `where` guard.
    pub guard: Option<Expr>,
    /// Body.
    pub body: Vec<Stmt>,
}

/// A statement.
#[derive(Debug)]
pub enum Stmt {
    /// An action statement.
    Action(ActionStmt),
    /// `Publish as <alias> <var>.`
    Publish {
        /// The published name.
        alias: Descriptor,
        /// The local variable.
        var: Descriptor,
        /// Statement span.
        span: Span,
    },
    /// `match <x> { case ... otherwise ... }`
    Match {
        /// The value matched.
        subject: Expr,
        /// Arms in order.
        cases: Vec<Case>,
        /// The `otherwise` arm.
        otherwise: Option<Vec<Stmt>>,
        /// Span of `match`.
        span: Span,
    },
    /// `while <cond> { ... }` (its body may rebind names: a mutable scope, as in the reference)
    While {
        /// Loop condition.
        cond: Expr,
        /// Body.
        body: Vec<Stmt>,
        /// Span of `while`.
        span: Span,
    },
    /// `break.` inside `while` or `for`.
    Break {
        /// Span of `break`.
        span: Span,
    },
    /// `for <i> from <a> to <b> { ... }` (inclusive).
    Range {
        /// Loop variable.
        var: Descriptor,
        /// First value.
        from: Expr,
        /// Last value (inclusive).
        to: Expr,
        /// Body.
        body: Vec<Stmt>,
        /// Span of the header.
        span: Span,
    },
    /// `[parallel] for each <item> [at <i>] in <coll> [where cond] { ... }`
    ForEach {
        /// Parallel form (runs sequentially in arovm; order is the list order).
        parallel: bool,
        /// Loop variable.
        item: Descriptor,
        /// Index variable.
        index: Option<Descriptor>,
        /// The collection.
        collection: Expr,
        /// Filter condition.
        filter: Option<Expr>,
        /// Body.
        body: Vec<Stmt>,
        /// Span of the header.
        span: Span,
    },
}
