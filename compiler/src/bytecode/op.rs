//! THE instruction table. Each variant documents its effect on the operand stack (`[..] -> [..]`).
//! The compiler emits these, `disasm` prints them, the VM executes them; operands are indices into
//! the feature set's tables (consts, descs, stmts, shapes) or the program string table.

/// Binary operator codes (operand of [`Op::Bin`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum BinCode {
    /// `+`
    Add = 0,
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
    /// `==`, `is`
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
    /// `contains`
    Contains,
    /// `matches`
    Matches,
}

impl BinCode {
    /// All codes in discriminant order (for decoding).
    pub const ALL: [BinCode; 14] = [
        BinCode::Add,
        BinCode::Sub,
        BinCode::Mul,
        BinCode::Div,
        BinCode::Rem,
        BinCode::Concat,
        BinCode::Eq,
        BinCode::Ne,
        BinCode::Lt,
        BinCode::Le,
        BinCode::Gt,
        BinCode::Ge,
        BinCode::Contains,
        BinCode::Matches,
    ];

    /// Operator spelling for disassembly.
    pub fn symbol(self) -> &'static str {
        match self {
            BinCode::Add => "+",
            BinCode::Sub => "-",
            BinCode::Mul => "*",
            BinCode::Div => "/",
            BinCode::Rem => "%",
            BinCode::Concat => "++",
            BinCode::Eq => "==",
            BinCode::Ne => "!=",
            BinCode::Lt => "<",
            BinCode::Le => "<=",
            BinCode::Gt => ">",
            BinCode::Ge => ">=",
            BinCode::Contains => "contains",
            BinCode::Matches => "matches",
        }
    }
}

/// One instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `[] -> [consts[i]]`
    Const(u32),
    /// `[] -> [value of descs[i]]` (base variable, then its qualifier path); error if unbound.
    Load(u32),
    /// `[] -> [bool]`: whether descs[i] is bound and its path resolves to a non-null value.
    Exists(u32),
    /// `[a1..an] -> [list]`
    List(u32),
    /// `[v1..vn] -> [object]` with keys shapes[i] (n = its length).
    Object(u32),
    /// `[p1..pn] -> [string]`: display forms concatenated (string interpolation).
    Interp(u32),
    /// `[a, b] -> [a op b]`
    Bin(BinCode),
    /// `[a] -> [-a]`
    Neg,
    /// `[a] -> [not a]`
    Not,
    /// `[a] -> [a is empty]`
    IsEmpty,
    /// `[a] -> [a is null]`
    IsNull,
    /// `[a] -> [a is a <strings[i]>]`
    IsType(u32),
    /// `[a] -> [a.strings[i]]`
    Member(u32),
    /// `[a, i] -> [a[i]]`
    Index,
    /// `[a] -> []`
    Pop,
    /// `[e1..en] -> []`: runs stmts[i]; its expression operands were pushed in order.
    Action(u32),
    /// `[] -> []`: publishes descs[var] under the name strings[alias].
    Publish {
        /// String-table index of the alias.
        alias: u32,
        /// Descriptor of the local variable.
        var: u32,
    },
    /// `[] -> []`: pc = target.
    Jump(u32),
    /// `[c] -> []`: if c is falsy, pc = target.
    JumpIfFalse(u32),
    /// `[c] -> [c]`: if c is falsy, pc = target (short-circuit `and`).
    JumpIfFalseKeep(u32),
    /// `[c] -> [c]`: if c is truthy, pc = target (short-circuit `or`).
    JumpIfTrueKeep(u32),
    /// `[v] -> []`: slots[s] = v (hidden temporaries: match subjects).
    SetSlot(u32),
    /// `[] -> [slots[s]]`
    GetSlot(u32),
    /// `[coll] -> []`: pushes an iterator over a list onto the fiber's loop stack.
    IterStart,
    /// `[] -> []`: next element into slot `item` (and its index into `index` unless u32::MAX),
    /// clearing the body's slots in clears[clear]; when exhausted, pops the iterator and jumps.
    IterNext {
        /// Slot of the loop variable.
        item: u32,
        /// Slot of the index variable or u32::MAX.
        index: u32,
        /// Index into the clear-lists table.
        clear: u32,
        /// Jump target when done.
        exit: u32,
    },
    /// `[] -> []`: the feature set ends normally.
    End,
    /// `[a, b] -> [list a..=b]` (integers; for range loops).
    Range,
    /// `[] -> []`: drops the innermost loop iterator (`break` out of a for loop).
    IterPop,
}
