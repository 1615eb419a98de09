//! Statements: `Action [article] <result> clause* [when cond].`, `Publish as <a> <b>.`,
//! `match`, and `[parallel] for each`.

use super::{PResult, Parser, MAX_NESTING, PREPOSITIONS};

/// Time units that may follow a number (`for 2 seconds`).
const TIME_UNITS: &[&str] = &[
    "second",
    "seconds",
    "s",
    "minute",
    "minutes",
    "min",
    "hour",
    "hours",
    "h",
    "millisecond",
    "milliseconds",
    "ms",
];
use crate::ast::{ActionStmt, Case, Clause, Descriptor, Expr, ExprKind, Operand, Stmt};
use crate::lexer::TokenKind;

/// An action statement from its parts.
fn action(
    verb: String,
    verb_span: crate::source::Span,
    result: Operand,
    clauses: Vec<Clause>,
    guard: Option<Expr>,
    span: crate::source::Span,
) -> Stmt {
    Stmt::Action(ActionStmt {
        verb,
        verb_span,
        result,
        clauses,
        guard,
        span,
    })
}

impl Parser<'_> {
    pub(super) fn statement(&mut self) -> PResult<Stmt> {
        match self.kw().as_deref() {
            Some("match") => self.match_stmt(),
            Some("for") if self.kw_at(1).as_deref() == Some("each") => self.for_each(false),
            Some("parallel") if self.kw_at(1).as_deref() == Some("for") => self.for_each(true),
            Some("publish") if self.kw_at(1).as_deref() == Some("as") => self.publish(),
            Some("for") if matches!(self.peek_at(1).kind, TokenKind::Lt) => self.range_loop(),
            Some("while") => {
                let span = self.bump().span;
                let cond = self.expr()?;
                let body = self.braced_block()?;
                Ok(Stmt::While { cond, body, span })
            }
            Some("break") => {
                let span = self.bump().span;
                if !self.at(&TokenKind::Dot) {
                    let msg = format!("Expected '.' after 'break', found {}", self.found());
                    let here = self.peek().span;
                    return self.error_hint(
                        here,
                        msg,
                        "break takes no guard: put it in a match case to break conditionally",
                    );
                }
                while self.eat(&TokenKind::Dot) {}
                Ok(Stmt::Break { span })
            }
            Some(w @ ("if" | "else" | "elif" | "switch")) => {
                let msg = format!("Expected a statement (an action verb), found '{w}'");
                let span = self.peek().span;
                self.error_hint(
                    span,
                    msg,
                    "ARO has no if/else or loops of this kind: use a `when` guard, `match`, or `for each`",
                )
            }
            Some(_) => self.action_stmt(),
            None if self.at(&TokenKind::Lt)
                && matches!(self.peek_at(1).kind, TokenKind::Word)
                && matches!(self.peek_at(2).kind, TokenKind::Gt) =>
            {
                self.action_stmt()
            }
            None => {
                let msg = format!(
                    "Expected a statement (an action verb), found {}",
                    self.found()
                );
                self.error_here(msg)
            }
        }
    }

    pub(super) fn action_stmt(&mut self) -> PResult<Stmt> {
        let bracketed = self.eat(&TokenKind::Lt);
        if let Some(w) = self.word() {
            if w.starts_with(|c: char| c.is_lowercase()) {
                let msg = format!("Expected a statement (an action verb), found '{w}'");
                // By characters, not bytes: the first letter may be non-ASCII (`étre`).
                let mut chars = w.chars();
                let first: String = chars
                    .next()
                    .into_iter()
                    .flat_map(char::to_uppercase)
                    .collect();
                let hint = format!(
                    "action verbs start with a capital letter: {first}{}",
                    chars.as_str()
                );
                let span = self.peek().span;
                return self.error_hint(span, msg, &hint);
            }
        }
        let verb_tok = self.bump();
        let mut verb_span = verb_tok.span;
        // `Application.Name` (ARO-0081) and plugin-style `Handle.Verb`: one verb, no spaces.
        if self.at(&TokenKind::Dot)
            && self.peek().span.lo == verb_span.hi
            && matches!(self.peek_at(1).kind, TokenKind::Word)
            && self.peek_at(1).span.lo == self.peek().span.hi
        {
            self.bump();
            verb_span = verb_span.to(self.bump().span);
        }
        if bracketed {
            self.expect(&TokenKind::Gt, "'>' after the action verb")?;
        }
        let verb = self.text_of(verb_span).to_string();
        self.skip_article();
        // `Listen on port 9000 as <socket-server>.` (ARO-0008 §6): clauses first, the result
        // after `as`.
        if self
            .kw()
            .is_some_and(|w| PREPOSITIONS.contains(&w.as_str()) && w != "as")
            && self.as_before_end()
        {
            let placeholder = Operand::Desc(Descriptor {
                base: String::new(),
                specifiers: Vec::new(),
                span: verb_span,
            });
            return self.action_rest(verb, verb_span, placeholder, true);
        }
        if self.at(&TokenKind::Dot) {
            let msg = format!("Statement '{verb}' has no result: expected '<result>'");
            let span = self.peek().span;
            return self.error_hint(
                span,
                msg,
                "write: Action the <result> preposition the <object>.",
            );
        }
        let result = self.operand()?;
        self.action_rest(verb, verb_span, result, false)
    }

    /// True when a bare `as` comes before the statement's `.` (the result-after-`as` form).
    fn as_before_end(&self) -> bool {
        self.tokens[self.pos..]
            .iter()
            .take_while(|t| !matches!(t.kind, TokenKind::Dot | TokenKind::RBrace | TokenKind::Eof))
            .any(|t| {
                matches!(t.kind, TokenKind::Word) && self.text_of(t.span).eq_ignore_ascii_case("as")
            })
    }

    /// The clauses, guard and `.` of an action statement after its result. With `result_after_as`
    /// the statement began with a clause and its `as <x>` clause is the result.
    fn action_rest(
        &mut self,
        verb: String,
        verb_span: crate::source::Span,
        result: Operand,
        result_after_as: bool,
    ) -> PResult<Stmt> {
        let finish = |p: &mut Self, mut result, mut clauses: Vec<Clause>, guard, span| {
            if result_after_as {
                match clauses.iter().position(|c: &Clause| c.word == "as") {
                    Some(i) => result = clauses.remove(i).value,
                    None => {
                        let msg =
                            format!("Statement '{verb}' has no result: expected 'as <result>'");
                        return p.error_hint(
                            span,
                            msg,
                            "write: Listen on port 9000 as <socket-server>.",
                        );
                    }
                }
            }
            Ok(action(
                verb.clone(),
                verb_span,
                result,
                clauses,
                guard,
                span,
            ))
        };
        let mut clauses = Vec::new();
        let mut guard = None;
        loop {
            if self.at(&TokenKind::Pipe) {
                // ARO-0067: `A |> B |> C.` is the statements A, B and C in turn; the block
                // reader takes the next stage after the `|>`.
                let span = verb_span.to(self.prev_span());
                return finish(self, result, clauses, guard, span);
            }
            if self.at(&TokenKind::Dot) {
                let end = self.bump().span;
                while self.at(&TokenKind::Dot) {
                    self.bump(); // extra dots are tolerated, as in the reference
                }
                let span = verb_span.to(end);
                return finish(self, result, clauses, guard, span);
            }
            match self.kw().as_deref() {
                Some("when") if guard.is_none() => {
                    self.bump();
                    guard = Some(self.expr()?);
                }
                Some("where") => {
                    let span = self.bump().span;
                    let value = Operand::Expr(self.expr()?);
                    clauses.push(Clause {
                        word: "where".into(),
                        value,
                        span,
                        article: false,
                    });
                }
                Some(w) if TIME_UNITS.contains(&w) && !clauses.is_empty() => {
                    let w = w.to_string();
                    let span = self.bump().span;
                    clauses.push(Clause {
                        word: "unit".into(),
                        value: Operand::Desc(Descriptor {
                            base: w,
                            specifiers: Vec::new(),
                            span,
                        }),
                        span,
                        article: false,
                    });
                }
                // ARO-0036: `List the <r> from the <directory: d> matching "*.txt" recursively`.
                Some("recursively") => {
                    let span = self.bump().span;
                    clauses.push(Clause {
                        word: "recursively".into(),
                        value: Operand::Desc(Descriptor {
                            base: "recursively".into(),
                            specifiers: Vec::new(),
                            span,
                        }),
                        span,
                        article: false,
                    });
                }
                Some("matching") if !matches!(self.peek_at(1).kind, TokenKind::Dot) => {
                    let span = self.bump().span;
                    let value = self.operand()?;
                    clauses.push(Clause {
                        word: "matching".into(),
                        value,
                        span,
                        article: false,
                    });
                }
                Some("default") => {
                    let span = self.bump().span;
                    let value = self.operand()?;
                    clauses.push(Clause {
                        word: "default".into(),
                        value,
                        span,
                        article: false,
                    });
                }
                Some(w) if PREPOSITIONS.contains(&w) => {
                    let w = w.to_string();
                    let span = self.bump().span;
                    let before = self.pos;
                    self.skip_article();
                    let article = self.pos != before;
                    let mut value = self.operand()?;
                    // `on port 9000`: the port number is the clause's value.
                    if matches!(&value, Operand::Desc(d) if d.base == "port" && d.specifiers.is_empty())
                        && matches!(self.peek().kind, TokenKind::Int(_) | TokenKind::Lt)
                    {
                        value = self.operand()?;
                    }
                    clauses.push(Clause {
                        word: w,
                        value,
                        span,
                        article,
                    });
                }
                // Reported by the lexer: abandon the statement quietly.
                _ if self.at(&TokenKind::Error) => return Err(super::Reported),
                _ if self.at_line_start()
                    || self.at(&TokenKind::RBrace)
                    || self.at(&TokenKind::Eof) =>
                {
                    // The statement ended at the line break but its '.' is missing: report it at
                    // the last token and keep the statement, so the next line parses normally.
                    let prev = self.prev_span();
                    let span = crate::source::Span {
                        file: prev.file,
                        lo: prev.hi.saturating_sub(1),
                        hi: prev.hi,
                    };
                    let after_lex_error =
                        self.pos > 0 && matches!(self.tokens[self.pos - 1].kind, TokenKind::Error);
                    if !after_lex_error {
                        self.diags.error_hint(
                            span,
                            "Expected '.' at the end of the statement",
                            "every statement ends with '.'",
                        );
                    }
                    let span = verb_span.to(prev);
                    return finish(self, result, clauses, guard, span);
                }
                _ => {
                    let msg = if self.at(&TokenKind::RBrace) || self.at(&TokenKind::Eof) {
                        "Expected '.' at the end of the statement".to_string()
                    } else {
                        format!(
                            "Expected a preposition or '.' after the statement, found {}",
                            self.found()
                        )
                    };
                    let span = if self.at(&TokenKind::RBrace) || self.at(&TokenKind::Eof) {
                        self.prev_span()
                    } else {
                        self.peek().span
                    };
                    return self.error_hint(span, msg, "every statement ends with '.'");
                }
            }
        }
    }

    /// An operand: a bare `<descriptor>` stays a descriptor, anything else is an expression.
    fn operand(&mut self) -> PResult<Operand> {
        let e = self.expr()?;
        Ok(match e.kind {
            ExprKind::Var(d) => Operand::Desc(d),
            ExprKind::Word(w) => Operand::Desc(Descriptor {
                base: w,
                specifiers: Vec::new(),
                span: e.span,
            }),
            _ => Operand::Expr(e),
        })
    }

    fn publish(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        self.bump(); // as
        let alias = self.descriptor()?;
        let var = self.descriptor()?;
        let end = self.expect(&TokenKind::Dot, "'.' at the end of the statement")?;
        Ok(Stmt::Publish {
            alias,
            var,
            span: start.to(end.span),
        })
    }

    fn match_stmt(&mut self) -> PResult<Stmt> {
        let span = self.bump().span;
        let subject = self.expr()?;
        self.expect(&TokenKind::LBrace, "'{' after the match subject")?;
        let mut cases = Vec::new();
        let mut otherwise = None;
        loop {
            if self.eat(&TokenKind::RBrace) {
                break;
            }
            if self.eat_word("case") {
                let pattern = if self.at_word("_") {
                    self.bump();
                    None
                } else {
                    Some(self.pattern()?)
                };
                let guard = if self.eat_word("where") {
                    Some(self.expr()?)
                } else {
                    None
                };
                let body = self.braced_block()?;
                cases.push(Case {
                    pattern,
                    guard,
                    body,
                });
            } else if self.eat_word("otherwise") {
                otherwise = Some(self.braced_block()?);
            } else {
                let msg = format!(
                    "Expected 'case', 'otherwise' or '}}' in match, found {}",
                    self.found()
                );
                return self.error_here(msg);
            }
        }
        Ok(Stmt::Match {
            subject,
            cases,
            otherwise,
            span,
        })
    }

    /// A case pattern: a literal, a descriptor, or a regex; several separated by commas form a list.
    fn pattern(&mut self) -> PResult<Expr> {
        let first = self.unary()?;
        if !self.at(&TokenKind::Comma) {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat(&TokenKind::Comma) {
            items.push(self.unary()?);
        }
        let span = items[0].span.to(self.prev_span());
        Ok(Expr::new(ExprKind::List(items), span))
    }

    /// `{ statements }`, one nesting level deeper.
    fn braced_block(&mut self) -> PResult<Vec<crate::ast::Stmt>> {
        // Checked past the '{', so recovery skips the whole refused block.
        let at = self.expect(&TokenKind::LBrace, "'{'")?.span;
        if self.blocks >= MAX_NESTING {
            return self.too_deep("Blocks", at);
        }
        self.blocks += 1;
        let body = self.block_body();
        self.blocks -= 1;
        self.expect(&TokenKind::RBrace, "'}' to close the block")?;
        Ok(body)
    }

    /// `for <i> from <a> to <b> { ... }`
    fn range_loop(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        let var = self.descriptor()?;
        if !self.eat_word("from") {
            let msg = format!(
                "Expected 'from' after the loop variable, found {}",
                self.found()
            );
            return self.error_here(msg);
        }
        let from = self.expr()?;
        if !self.eat_word("to") {
            let msg = format!("Expected 'to' in the range loop, found {}", self.found());
            return self.error_here(msg);
        }
        let to = self.expr()?;
        let span = start.to(self.prev_span());
        let body = self.braced_block()?;
        Ok(Stmt::Range {
            var,
            from,
            to,
            body,
            span,
        })
    }

    fn for_each(&mut self, parallel: bool) -> PResult<Stmt> {
        let start = self.bump().span;
        if parallel {
            self.bump(); // for
        }
        self.bump(); // each
        let item = self.descriptor()?;
        let index = if self.eat_word("at") {
            Some(self.descriptor()?)
        } else {
            None
        };
        if !self.eat_word("in") {
            let msg = format!(
                "Expected 'in' after the loop variable, found {}",
                self.found()
            );
            return self.error_here(msg);
        }
        self.skip_article();
        let collection = self.expr()?;
        if self.at_word("with") {
            self.bump();
            self.descriptor()?; // <concurrency: N>: accepted, loops run in order
        }
        let filter = if self.eat_word("where") {
            Some(self.expr()?)
        } else {
            None
        };
        let span = start.to(self.prev_span());
        let body = self.braced_block()?;
        Ok(Stmt::ForEach {
            parallel,
            item,
            index,
            collection,
            filter,
            body,
            span,
        })
    }

    /// `<base[: specifiers]>`; specifiers are the raw source text after `:` split on whitespace.
    pub(super) fn descriptor(&mut self) -> PResult<Descriptor> {
        let open = self.expect(&TokenKind::Lt, "'<'")?.span;
        if !matches!(self.kind(), TokenKind::Word) {
            let msg = format!("Expected a name after '<', found {}", self.found());
            return self.error_here(msg);
        }
        let base_span = self.bump().span;
        let base = self.text_of(base_span).to_string();
        let mut specifiers = Vec::new();
        if self.eat(&TokenKind::Colon) {
            let lo = self.peek().span.lo as usize;
            let mut depth = 0;
            // Quoted qualifiers (`<file: "./my notes.txt">`) stay one specifier, spaces and all.
            let mut quoted: Vec<(usize, usize)> = Vec::new();
            loop {
                match self.kind() {
                    TokenKind::Gt if depth == 0 => break,
                    TokenKind::Gt => depth -= 1,
                    TokenKind::Lt => depth += 1,
                    TokenKind::Word
                    | TokenKind::Int(_)
                    | TokenKind::Float(_)
                    | TokenKind::Minus
                    | TokenKind::Plus
                    | TokenKind::Slash
                    | TokenKind::Comma
                    | TokenKind::Colon => {}
                    TokenKind::Str(_) => {
                        let sp = self.peek().span;
                        quoted.push((sp.lo as usize, sp.hi as usize));
                    }
                    TokenKind::Dot => {
                        let dot = self.peek().span;
                        if self.peek_at(1).span.lo != dot.hi {
                            let msg = format!("Expected '>' to close '<{base}', found '.'");
                            return self.error_hint(
                                open,
                                msg,
                                "descriptors look like <name: qualifier>",
                            );
                        }
                    }
                    _ => {
                        let msg =
                            format!("Expected '>' to close '<{base}', found {}", self.found());
                        return self.error_hint(
                            open.to(self.peek().span),
                            msg,
                            "descriptors look like <name: qualifier>",
                        );
                    }
                }
                self.bump();
            }
            let hi = self.peek().span.lo as usize;
            let mut at = lo;
            for (qlo, qhi) in quoted.into_iter().chain(std::iter::once((hi, hi))) {
                specifiers.extend(
                    self.text[at..qlo]
                        .split_whitespace()
                        .map(|s| s.trim_matches('"').to_string()),
                );
                if qhi > qlo {
                    specifiers.push(self.text[qlo..qhi].trim_matches('"').to_string());
                }
                at = qhi;
            }
        }
        if !self.at(&TokenKind::Gt) {
            let msg = format!("Expected '>' to close '<{base}', found {}", self.found());
            return self.error_hint(
                open.to(self.peek().span),
                msg,
                "descriptors look like <name: qualifier>",
            );
        }
        let close = self.bump().span;
        Ok(Descriptor {
            base,
            specifiers,
            span: open.to(close),
        })
    }
}
