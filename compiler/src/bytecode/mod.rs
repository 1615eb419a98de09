//! The in-memory `.arob` model: a program is a string table, feature sets of code, and resources.

pub mod arob;
pub mod disasm;
mod encode;
pub mod op;

pub use op::{BinCode, Op};

/// Marks "no slot" / "no index" in u32 operands.
pub const NONE: u32 = u32::MAX;

/// A constant in a feature set's pool.
#[derive(Clone, Debug, PartialEq)]
pub enum Const {
    /// `null`
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string (string-table index).
    Str(u32),
    /// A regex literal: pattern and flags (string-table indices).
    Regex(u32, u32),
}

/// A descriptor `<base: specifiers>` as the VM sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desc {
    /// String index of the base name.
    pub base: u32,
    /// Local slot of the base, or [`NONE`] when it is not a local (framework or published name).
    pub slot: u32,
    /// String indices of the specifiers.
    pub specs: Vec<u32>,
}

/// How an action operand reaches the action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// A descriptor (index into descs); the action decides how to read it.
    Desc(u32),
    /// An expression value, pushed on the stack before the `Action` op.
    Expr,
}

/// A prepositional clause of a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClauseInfo {
    /// String index of the clause word (`from`, `with`, `where`, ...).
    pub word: u32,
    /// The operand.
    pub arg: Arg,
    /// Written with an article (`with the <x>`).
    pub article: bool,
}

/// The static part of one action statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StmtInfo {
    /// Action id from the stdlib catalog.
    pub action: u16,
    /// String index of the verb as written.
    pub verb: u32,
    /// The result operand.
    pub result: Arg,
    /// Clauses in source order.
    pub clauses: Vec<ClauseInfo>,
    /// String index of the statement's source text (runtime errors quote it).
    pub text: u32,
    /// Source file index (into the program's file list).
    pub file: u32,
    /// 1-based source line.
    pub line: u32,
}

/// One compiled feature set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureSetCode {
    /// String index of the name.
    pub name: u32,
    /// String index of the business activity.
    pub activity: u32,
    /// Pc of the `JumpIfFalse` that ends the handler guard (the guard is the code before it), or NONE.
    pub guard: u32,
    /// Local slot names (string indices); hidden temporaries use name index NONE.
    pub slots: Vec<u32>,
    /// The code.
    pub code: Vec<Op>,
    /// Constant pool.
    pub consts: Vec<Const>,
    /// Descriptors.
    pub descs: Vec<Desc>,
    /// Action statements.
    pub stmts: Vec<StmtInfo>,
    /// Object literal key lists (string indices).
    pub shapes: Vec<Vec<u32>>,
    /// Slot lists cleared at each loop iteration.
    pub clears: Vec<Vec<u32>>,
}

/// A resource file of the app directory (openapi.yaml, templates/...).
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// Path relative to the app directory, `/`-separated.
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// An HTTP route from the contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteInfo {
    /// String index of the upper-case method.
    pub method: u32,
    /// String index of the path template.
    pub path: u32,
    /// String index of the operationId.
    pub operation: u32,
    /// Feature set handling it, or [`NONE`] when the app has none of that name.
    pub handler: u32,
    /// Query parameters declared as arrays (string indices).
    pub array_params: Vec<u32>,
}

/// A whole compiled application.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Program {
    /// The string table: every identifier and string, interned once.
    pub strings: Vec<String>,
    /// Source file names (for error messages).
    pub files: Vec<u32>,
    /// Feature sets.
    pub feature_sets: Vec<FeatureSetCode>,
    /// Embedded resource files.
    pub resources: Vec<Resource>,
    /// HTTP port from the contract (`servers[0].url`, default 8080).
    pub http_port: u16,
    /// Routes from the contract (empty without `openapi.yaml`).
    pub routes: Vec<RouteInfo>,
    /// The compile warnings, rendered (not written to `.arob`; empty when there are none).
    pub warnings: String,
}

impl Program {
    /// A string of the table (empty when out of range: the loader validates indices first).
    pub fn s(&self, i: u32) -> &str {
        self.strings.get(i as usize).map_or("", |s| s.as_str())
    }
}
