//! Lowers expressions to stack ops; `and`/`or` short-circuit with keep-jumps.

use super::Gen;
use crate::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::bytecode::{BinCode, Const, Op};

impl Gen<'_> {
    pub(super) fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Null => self.push_const(Const::Null),
            ExprKind::Bool(b) => self.push_const(Const::Bool(*b)),
            ExprKind::Int(i) => self.push_const(Const::Int(*i)),
            ExprKind::Float(f) => self.push_const(Const::Float(*f)),
            ExprKind::Str(s) => {
                let sym = self.strings.intern(s);
                self.push_const(Const::Str(sym))
            }
            ExprKind::Regex(p, f) => {
                let (p, f) = (self.strings.intern(p), self.strings.intern(f));
                self.push_const(Const::Regex(p, f))
            }
            ExprKind::Interp(parts) => {
                for p in parts {
                    self.expr(p);
                }
                self.emit(Op::Interp(parts.len() as u32));
            }
            ExprKind::Var(d) => {
                let i = self.desc(d);
                self.emit(Op::Load(i));
            }
            ExprKind::Word(w) => {
                // A bare word where a value is expected is a variable reference.
                let d = crate::ast::Descriptor {
                    base: w.clone(),
                    specifiers: Vec::new(),
                    span: e.span,
                };
                let i = self.desc(&d);
                self.emit(Op::Load(i));
            }
            ExprKind::List(items) => {
                for x in items {
                    self.expr(x);
                }
                self.emit(Op::List(items.len() as u32));
            }
            ExprKind::Object(entries) => {
                let mut keys = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    keys.push(self.strings.intern(k));
                    self.expr(v);
                }
                self.code.shapes.push(keys);
                let shape = (self.code.shapes.len() - 1) as u32;
                self.emit(Op::Object(shape));
            }
            ExprKind::Binary(BinOp::And, l, r) => {
                self.expr(l);
                let j = self.emit(Op::JumpIfFalseKeep(0));
                self.emit(Op::Pop);
                self.expr(r);
                let end = self.here();
                self.patch(j, end);
            }
            ExprKind::Binary(BinOp::Or, l, r) => {
                self.expr(l);
                let j = self.emit(Op::JumpIfTrueKeep(0));
                self.emit(Op::Pop);
                self.expr(r);
                let end = self.here();
                self.patch(j, end);
            }
            ExprKind::Binary(op @ (BinOp::In | BinOp::NotIn), l, r) => {
                self.expr(r);
                self.expr(l);
                self.emit(Op::Bin(BinCode::Contains));
                if *op == BinOp::NotIn {
                    self.emit(Op::Not);
                }
            }
            ExprKind::Binary(op, l, r) => {
                self.expr(l);
                self.expr(r);
                let code = match op {
                    BinOp::Add => BinCode::Add,
                    BinOp::Sub => BinCode::Sub,
                    BinOp::Mul => BinCode::Mul,
                    BinOp::Div => BinCode::Div,
                    BinOp::Rem => BinCode::Rem,
                    BinOp::Concat => BinCode::Concat,
                    BinOp::Eq => BinCode::Eq,
                    BinOp::Ne => BinCode::Ne,
                    BinOp::Lt => BinCode::Lt,
                    BinOp::Le => BinCode::Le,
                    BinOp::Gt => BinCode::Gt,
                    BinOp::Ge => BinCode::Ge,
                    BinOp::Contains => BinCode::Contains,
                    BinOp::Matches | BinOp::And | BinOp::Or | BinOp::In | BinOp::NotIn => {
                        BinCode::Matches
                    }
                };
                self.emit(Op::Bin(code));
            }
            ExprKind::Unary(UnOp::Exists, inner) => match &inner.kind {
                ExprKind::Var(d) => {
                    let i = self.desc(d);
                    self.emit(Op::Exists(i));
                }
                _ => {
                    self.expr(inner);
                    self.emit(Op::IsNull);
                    self.emit(Op::Not);
                }
            },
            ExprKind::Unary(op, inner) => {
                self.expr(inner);
                self.emit(match op {
                    UnOp::Neg => Op::Neg,
                    UnOp::Not => Op::Not,
                    UnOp::IsEmpty => Op::IsEmpty,
                    UnOp::IsNull | UnOp::Exists => Op::IsNull,
                });
            }
            ExprKind::TypeCheck(inner, t) => {
                self.expr(inner);
                let sym = self.strings.intern(t);
                self.emit(Op::IsType(sym));
            }
            ExprKind::Member(inner, name) => {
                self.expr(inner);
                let sym = self.strings.intern(name);
                self.emit(Op::Member(sym));
            }
            ExprKind::Index(inner, idx) => {
                self.expr(inner);
                self.expr(idx);
                self.emit(Op::Index);
            }
        }
    }

    fn push_const(&mut self, c: Const) {
        let i = self.constant(c);
        self.emit(Op::Const(i));
    }
}
