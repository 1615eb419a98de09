//! Lowers statements: action calls (operands, guards, statement text for errors), Publish,
//! match (hidden subject slot, case tests, jumps) and for-each (iterator ops, per-iteration clears).

use super::{Gen, LoopCtx, Scope};
use crate::ast::{ActionStmt, BinOp, Descriptor, Expr, ExprKind, Operand, Stmt};
use crate::bytecode::{Arg, BinCode, ClauseInfo, Op, StmtInfo, NONE};
use arovm_stdlib::catalog::{self, Role};

/// Verbs allowed to rebind an existing name (the reference's list), and `compare`, which reads
/// its result operand and binds `comparison` instead.
const REBINDING_VERBS: &[&str] = &[
    "accept",
    "compare",
    "update",
    "modify",
    "change",
    "set",
    "merge",
    "combine",
    "join",
    "concat",
    "configure",
    // `Stop the <file-monitor>` after `Start the <file-monitor>`: a server's name, not a value.
    "stop",
];

/// Reference verbs arovm knows of but does not implement, with the hint their error gets.
const NOT_SUPPORTED: &[(&str, &str)] = &[(
    "parsehtml",
    "ParseHtml (HTML parsing, ARO-0011) is not supported by arovm",
)];

fn full_name(d: &Descriptor) -> String {
    if d.specifiers.is_empty() {
        d.base.clone()
    } else {
        format!("{}: {}", d.base, d.specifiers.join("."))
    }
}

fn operand_name(o: &Operand) -> String {
    match o {
        Operand::Desc(d) => full_name(d),
        Operand::Expr(_) => "_expression_".into(),
    }
}

impl Gen<'_> {
    pub(super) fn stmt(&mut self, s: &Stmt, scope: &mut Scope) {
        match s {
            Stmt::Action(a) => self.action(a, scope),
            Stmt::Publish { alias, var, span } => {
                if !scope.bound.contains_key(&var.base) {
                    self.diags.error_hint(
                        *span,
                        format!("Cannot publish undefined variable '{}'", var.base),
                        "bind the variable before publishing it",
                    );
                }
                scope.bound.insert(alias.base.clone(), alias.span);
                let alias_sym = self.strings.intern(&alias.base);
                let v = self.desc(var);
                self.emit(Op::Publish {
                    alias: alias_sym,
                    var: v,
                });
            }
            Stmt::Match {
                subject,
                cases,
                otherwise,
                ..
            } => {
                self.expr(subject);
                let tmp = self.hidden_slot();
                self.emit(Op::SetSlot(tmp));
                let mut ends = Vec::new();
                let mut merged = scope.clone();
                for c in cases {
                    let mut skips = Vec::new();
                    if let Some(p) = &c.pattern {
                        match &p.kind {
                            ExprKind::List(_) => {
                                self.expr(p);
                                self.emit(Op::GetSlot(tmp));
                                self.emit(Op::Bin(BinCode::Contains));
                            }
                            ExprKind::Regex(..) => {
                                self.emit(Op::GetSlot(tmp));
                                self.expr(p);
                                self.emit(Op::Bin(BinCode::Matches));
                            }
                            _ => {
                                self.emit(Op::GetSlot(tmp));
                                self.expr(p);
                                self.emit(Op::Bin(BinCode::Eq));
                            }
                        }
                        skips.push(self.emit(Op::JumpIfFalse(0)));
                    }
                    if let Some(g) = &c.guard {
                        self.expr(g);
                        skips.push(self.emit(Op::JumpIfFalse(0)));
                    }
                    let mut inner = scope.clone();
                    self.block(&c.body, &mut inner);
                    merged.bound.extend(inner.bound);
                    ends.push(self.emit(Op::Jump(0)));
                    let next = self.here();
                    for j in skips {
                        self.patch(j, next);
                    }
                }
                if let Some(o) = otherwise {
                    let mut inner = scope.clone();
                    self.block(o, &mut inner);
                    merged.bound.extend(inner.bound);
                }
                let end = self.here();
                for j in ends {
                    self.patch(j, end);
                }
                *scope = merged;
            }
            Stmt::While { cond, body, .. } => {
                let head = self.here();
                self.expr(cond);
                let exit_jump = self.emit(Op::JumpIfFalse(0));
                let mut inner = scope.clone();
                inner.mutable = true;
                let exit = self.loop_body(head, body, &mut inner, false);
                self.patch(exit_jump, exit);
                // Names first bound in the body exist after it (the body ran at least once or not).
                for (k, v) in inner.bound {
                    scope.bound.entry(k).or_insert(v);
                }
            }
            Stmt::Break { span } => match self.loops.last() {
                Some(l) => {
                    if l.iterates {
                        self.emit(Op::IterPop);
                    }
                    let j = self.emit(Op::Jump(0));
                    if let Some(l) = self.loops.last_mut() {
                        l.breaks.push(j);
                    }
                }
                None => self.diags.error_hint(
                    *span,
                    "'break' outside of a loop",
                    "break ends the innermost while or for loop",
                ),
            },
            Stmt::Range {
                var,
                from,
                to,
                body,
                ..
            } => {
                let mut inner = scope.clone();
                self.check_rebind(var, &mut inner, "for");
                self.expr(from);
                self.expr(to);
                self.emit(Op::Range);
                self.emit(Op::IterStart);
                let item_slot = self.slot_for(&var.base);
                let head = self.iter_head(item_slot, NONE, body);
                let exit = self.loop_body(head, body, &mut inner, true);
                self.patch(head, exit);
            }
            Stmt::ForEach {
                item,
                index,
                collection,
                filter,
                body,
                ..
            } => {
                // Loop variables live in the loop's own scope: they may not shadow an outer
                // name, but sequential loops may reuse them.
                let mut inner = scope.clone();
                for d in std::iter::once(item).chain(index.iter()) {
                    self.check_rebind(d, &mut inner, "for each");
                }
                self.expr(collection);
                self.emit(Op::IterStart);
                let item_slot = self.slot_for(&item.base);
                let index_slot = index.as_ref().map_or(NONE, |i| self.slot_for(&i.base));
                let head = self.iter_head(item_slot, index_slot, body);
                if let Some(f) = filter {
                    self.expr(f);
                    let j = self.emit(Op::JumpIfFalse(0));
                    self.patch(j, head);
                }
                let exit = self.loop_body(head, body, &mut inner, true);
                self.patch(head, exit);
            }
        }
    }

    /// `IterNext` for a loop over `body`: binds the item (and index) and clears the body's slots.
    fn iter_head(&mut self, item: u32, index: u32, body: &[Stmt]) -> usize {
        let clear_list = self.slots_bound_in(body);
        self.code.clears.push(clear_list);
        let clear = (self.code.clears.len() - 1) as u32;
        self.emit(Op::IterNext {
            item,
            index,
            clear,
            exit: 0,
        })
    }

    /// The body of a loop starting at `head`, the jump back, and its `break`s; returns the exit pc.
    fn loop_body(
        &mut self,
        head: usize,
        body: &[Stmt],
        inner: &mut Scope,
        iterates: bool,
    ) -> usize {
        self.loops.push(LoopCtx {
            breaks: Vec::new(),
            iterates,
        });
        self.block(body, inner);
        let back = self.emit(Op::Jump(0));
        self.patch(back, head);
        let exit = self.here();
        self.end_loop(exit);
        exit
    }

    /// Closes the innermost loop: its `break` jumps land at `exit`.
    fn end_loop(&mut self, exit: usize) {
        if let Some(l) = self.loops.pop() {
            for j in l.breaks {
                self.patch(j, exit);
            }
        }
    }

    fn check_rebind(&mut self, d: &Descriptor, scope: &mut Scope, verb: &str) {
        if d.base.starts_with('_') || scope.mutable {
            scope.bound.entry(d.base.clone()).or_insert(d.span);
            return;
        }
        if let Some(prev) = scope.bound.get(&d.base) {
            let line = self.sources.file(prev.file).line(prev.lo);
            let name = &d.base;
            self.diags.push(crate::diagnostics::Diagnostic {
                span: d.span,
                message: format!("Cannot rebind variable '{name}' - variables are immutable"),
                hint: Some(format!(
                    "'{name}' was already defined at line {line}; create a new variable instead, e.g. {verb} the <{name}-updated> ..."
                )),
            });
        } else {
            scope.bound.insert(d.base.clone(), d.span);
        }
    }

    fn action(&mut self, a: &ActionStmt, scope: &mut Scope) {
        // `Application.Name` (ARO-0081): checked against the app's actions by `user_actions`.
        let user_action = a
            .verb
            .starts_with(crate::user_actions::HANDLE)
            .then_some((catalog::ActionId::CallAction, Role::Own));
        let found =
            user_action.or_else(|| catalog::lookup(&a.verb).filter(|_| !a.verb.contains('.')));
        let Some((id, role)) = found else {
            if a.verb.contains('.') {
                return; // a plugin handle: reported by `user_actions::check`
            }
            let mut known: Vec<&str> = catalog::verbs().collect();
            known.sort();
            let lower = a.verb.to_ascii_lowercase();
            let close = if let Some(&(_, why)) = NOT_SUPPORTED.iter().find(|(v, _)| *v == lower) {
                why.to_string()
            } else {
                known
                    .iter()
                    .find(|v| v.len() > 2 && lower.starts_with(&v[..3]))
                    .map(|v| format!("did you mean '{}{}'?", v[..1].to_ascii_uppercase(), &v[1..]))
                    .unwrap_or_else(|| "see the action reference for the verbs arovm knows".into())
            };
            self.diags.error_hint(
                a.verb_span,
                format!("Unknown action verb: '{}'", a.verb),
                close,
            );
            return;
        };
        let lower = a.verb.to_ascii_lowercase();
        if id == catalog::ActionId::Compute {
            self.check_compute_operation(a);
        }
        // `Delete the <file: p>.` and `Touch the <file> at …` name a path, not a variable.
        let names_a_path = match (&a.result, id) {
            (Operand::Desc(d), catalog::ActionId::Delete) => {
                matches!(d.base.as_str(), "file" | "directory" | "dir" | "folder")
                    && !d.specifiers.is_empty()
                    && a.clauses.is_empty()
            }
            (Operand::Desc(d), catalog::ActionId::Make) => d.base == "file" || lower == "touch",
            _ => false,
        };
        let binds = matches!(role, Role::Request | Role::Own | Role::Server) && !names_a_path;
        if binds && !REBINDING_VERBS.contains(&lower.as_str()) {
            if let Operand::Desc(d) = &a.result {
                self.check_rebind(d, scope, &a.verb);
            }
        } else if let Operand::Desc(d) = &a.result {
            // A response action (`Log <x> …`, `Send <x> …`) reads its result: it defines
            // nothing, so a later statement may still bind that name (a magic object such as
            // `<http-server>` is logged before `Start` binds it).
            if role != Role::Response {
                scope.bound.entry(d.base.clone()).or_insert(d.span);
            }
        }
        let mut guard_jump = None;
        if let Some(g) = &a.guard {
            self.expr(g);
            guard_jump = Some(self.emit(Op::JumpIfFalse(0)));
        }
        let result = self.operand(&a.result);
        let mut clauses = Vec::new();
        for c in &a.clauses {
            if c.word == "where" {
                self.where_clause(&c.value, &mut clauses);
                continue;
            }
            let word = self.strings.intern(&c.word);
            let arg = self.operand(&c.value);
            clauses.push(ClauseInfo {
                word,
                arg,
                article: c.article,
            });
        }
        let text = self.statement_text(a);
        let line = self.sources.file(a.span.file).line(a.span.lo);
        let info = StmtInfo {
            action: id as u16,
            verb: self.strings.intern(&a.verb),
            result,
            clauses,
            text: self.strings.intern(&text),
            file: a.span.file,
            line,
        };
        self.code.stmts.push(info);
        let idx = (self.code.stmts.len() - 1) as u32;
        self.emit(Op::Action(idx));
        if let Some(j) = guard_jump {
            let end = self.here();
            self.patch(j, end);
        }
    }

    /// A descriptor operand stays a descriptor; an expression is pushed now.
    fn operand(&mut self, o: &Operand) -> Arg {
        match o {
            Operand::Desc(d) => Arg::Desc(self.desc(d)),
            Operand::Expr(e) => {
                self.expr(e);
                Arg::Expr
            }
        }
    }

    /// `where <field> op <value>` → a `where` clause naming the field and a `where op` clause
    /// carrying the value.
    fn where_clause(&mut self, value: &Operand, out: &mut Vec<ClauseInfo>) {
        let (field, op, rhs): (Descriptor, &str, Option<&Expr>) = match value {
            Operand::Expr(Expr {
                kind: ExprKind::Binary(op, l, r),
                span,
                ..
            }) => {
                let field = match &l.kind {
                    ExprKind::Var(d) => d.clone(),
                    ExprKind::Word(w) => Descriptor {
                        base: w.clone(),
                        specifiers: Vec::new(),
                        span: l.span,
                    },
                    _ => {
                        self.diags.error_hint(
                            *span,
                            "Expected a field name in the where clause",
                            "write: where <field> is <value>",
                        );
                        return;
                    }
                };
                let op = match op {
                    BinOp::Eq => "==",
                    BinOp::Ne => "!=",
                    BinOp::Lt => "<",
                    BinOp::Le => "<=",
                    BinOp::Gt => ">",
                    BinOp::Ge => ">=",
                    BinOp::Contains => "contains",
                    BinOp::In => "in",
                    BinOp::NotIn => "not in",
                    _ => "==",
                };
                (field, op, Some(r))
            }
            Operand::Desc(d) => (d.clone(), "==", None),
            Operand::Expr(e) => {
                self.diags.error_hint(
                    e.span,
                    "Expected a comparison in the where clause",
                    "write: where <field> is <value>",
                );
                return;
            }
        };
        let fsym = self.strings.intern(&field.base);
        self.code.descs.push(crate::bytecode::Desc {
            base: fsym,
            slot: NONE,
            specs: Vec::new(),
        });
        let fd = (self.code.descs.len() - 1) as u32;
        out.push(ClauseInfo {
            word: self.strings.intern("where"),
            arg: Arg::Desc(fd),
            article: false,
        });
        match rhs {
            Some(r) => self.expr(r),
            None => {
                let c = self.constant(crate::bytecode::Const::Bool(true));
                self.emit(Op::Const(c));
            }
        }
        out.push(ClauseInfo {
            word: self.strings.intern(&format!("where {op}")),
            arg: Arg::Expr,
            article: false,
        });
    }

    /// `Compute the <x: op>` with an `op` Compute does not know binds the input unchanged (the
    /// reference's rule): almost always a typo, so a warning.
    fn check_compute_operation(&mut self, a: &ActionStmt) {
        let Operand::Desc(d) = &a.result else { return };
        let Some(op) = d.specifiers.first() else {
            return;
        };
        let lower = op.to_ascii_lowercase();
        if op.starts_with(['+', '-']) || catalog::COMPUTE_OPERATIONS.contains(&lower.as_str()) {
            return;
        }
        self.diags.warn_hint(
            d.span,
            format!(
                "Unknown computation '{op}': Compute binds <{}> to its input unchanged",
                d.base
            ),
            format!(
                "Compute knows {} and date offsets such as +7d",
                catalog::COMPUTE_OPERATIONS.join(", ")
            ),
        );
    }

    /// An expression operand as the error quotes it: its source text (one line, at most 60
    /// characters), never an internal placeholder.
    fn expr_text(&self, e: &Expr) -> String {
        let file = self.sources.file(e.span.file);
        let text = file
            .text
            .get(e.span.lo as usize..e.span.hi as usize)
            .unwrap_or("the expression");
        let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if one_line.chars().count() > 60 {
            format!("{}...", one_line.chars().take(57).collect::<String>())
        } else {
            one_line
        }
    }

    /// The two lines runtime errors quote: `Cannot verb the r prep the o.` and `<Verb> the <r> ...`.
    fn statement_text(&self, a: &ActionStmt) -> String {
        let verb_l = a.verb.to_ascii_lowercase();
        let result = operand_name(&a.result);
        let obj = a
            .clauses
            .iter()
            .find(|c| !matches!(c.word.as_str(), "where" | "by" | "default" | "unit"));
        let guard = if a.guard.is_some() {
            " when <condition>"
        } else {
            ""
        };
        match obj {
            Some(
                c @ crate::ast::Clause {
                    value: Operand::Expr(e),
                    ..
                },
            ) => {
                let o = self.expr_text(e);
                format!(
                    "Cannot {verb_l} the {result} {} {o}{guard}.\n<{}> the <{result}> {} {o}{guard}.",
                    c.word, a.verb, c.word
                )
            }
            Some(c) => {
                let o = operand_name(&c.value);
                format!(
                    "Cannot {verb_l} the {result} {} the {o}{guard}.\n<{}> the <{result}> {} the <{o}>{guard}.",
                    c.word, a.verb, c.word
                )
            }
            None => format!(
                "Cannot {verb_l} the {result}{guard}.\n<{}> the <{result}>{guard}.",
                a.verb
            ),
        }
    }
}
