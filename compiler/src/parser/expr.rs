//! Expressions by precedence climbing, lowest first: `or`, `and`, `not`, comparison (`is`, `==`,
//! `<`, `contains`, `matches`, `exists`, `is empty`, `is a Type`), `+ - ++`, `* / %`, unary, postfix.

use super::{PResult, Parser, MAX_NESTING};
use crate::ast::{BinOp, Expr, ExprKind, UnOp};
use crate::lexer::{lex, StrPart, TokenKind};
use crate::source::Span;

fn bin(op: BinOp, l: Expr, r: Expr) -> Expr {
    let span = l.span.to(r.span);
    Expr::new(ExprKind::Binary(op, Box::new(l), Box::new(r)), span)
}

fn un(op: UnOp, e: Expr, span: Span) -> Expr {
    Expr::new(ExprKind::Unary(op, Box::new(e)), span)
}

impl Parser<'_> {
    /// A full expression (conditions included), one nesting level deeper.
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        let at = self.peek().span;
        self.nested(at, Self::or_expr)
    }

    /// Refuses `e` when it is taller than [`MAX_NESTING`], reported at `at` (the operator or
    /// bracket that made it so). Checked as each node is built, so no taller tree ever exists.
    fn checked(&mut self, e: Expr, at: Span) -> PResult<Expr> {
        if e.height <= MAX_NESTING {
            return Ok(e);
        }
        self.error_hint(
            at,
            format!("Expression nested too deeply (more than {MAX_NESTING} levels)"),
            "split it up: bind inner parts to variables first",
        )
    }

    fn or_expr(&mut self) -> PResult<Expr> {
        let mut l = self.and_expr()?;
        while self.at_word("or") {
            let at = self.bump().span;
            let r = self.and_expr()?;
            let r = self.shorthand(&l, r);
            l = self.checked(bin(BinOp::Or, l, r), at)?;
        }
        Ok(l)
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        let mut l = self.not_expr()?;
        while self.at_word("and") {
            let at = self.bump().span;
            let r = self.not_expr()?;
            let r = self.shorthand(&l, r);
            l = self.checked(bin(BinOp::And, l, r), at)?;
        }
        Ok(l)
    }

    /// `<x> == "a" or "b"` means `<x> == "a" or <x> == "b"`: a bare, unparenthesised value after
    /// `and`/`or` repeats the left side's last comparison (the reference's shorthand).
    fn shorthand(&self, l: &Expr, r: Expr) -> Expr {
        let is_value = matches!(
            r.kind,
            ExprKind::Str(_)
                | ExprKind::Int(_)
                | ExprKind::Float(_)
                | ExprKind::Interp(_)
                | ExprKind::Var(_)
                | ExprKind::Null
        ) && !self.text[r.span.lo as usize..].starts_with('(');
        if !is_value {
            return r;
        }
        let mut last = l;
        while let ExprKind::Binary(BinOp::And | BinOp::Or, _, rr) = &last.kind {
            last = rr;
        }
        match &last.kind {
            ExprKind::Binary(
                op @ (BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge),
                ll,
                _,
            ) if !matches!(r.kind, ExprKind::Var(_)) || matches!(op, BinOp::Eq | BinOp::Ne) => {
                bin(*op, (**ll).clone(), r)
            }
            _ => r,
        }
    }

    fn not_expr(&mut self) -> PResult<Expr> {
        if self.at_word("not") {
            let at = self.bump().span;
            let e = self.nested(at, Self::not_expr)?;
            let span = at.to(e.span);
            return self.checked(un(UnOp::Not, e, span), at);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> PResult<Expr> {
        let l = self.additive()?;
        let op = match self.kind() {
            TokenKind::EqEq => Some(BinOp::Eq),
            TokenKind::Ne => Some(BinOp::Ne),
            TokenKind::Lt => Some(BinOp::Lt),
            TokenKind::Le => Some(BinOp::Le),
            TokenKind::Gt => Some(BinOp::Gt),
            TokenKind::Ge => Some(BinOp::Ge),
            TokenKind::Word => match self.kw().as_deref() {
                Some("equals") => Some(BinOp::Eq),
                Some("contains") => Some(BinOp::Contains),
                Some("matches") => Some(BinOp::Matches),
                Some("in") => Some(BinOp::In),
                Some("not") if self.kw_at(1).as_deref() == Some("in") => {
                    self.bump();
                    Some(BinOp::NotIn)
                }
                Some("exists") => {
                    let at = self.bump().span;
                    let span = l.span.to(at);
                    return self.checked(un(UnOp::Exists, l, span), at);
                }
                Some("is") => return self.is_tail(l),
                _ => None,
            },
            _ => None,
        };
        let Some(op) = op else { return Ok(l) };
        let at = self.bump().span;
        let r = self.additive()?;
        self.checked(bin(op, l, r), at)
    }

    /// After `is`: `not`? then `empty` | `null` | `defined` | `a Type` | a value.
    fn is_tail(&mut self, l: Expr) -> PResult<Expr> {
        let at = self.bump().span; // is
        let negated = self.eat_word("not");
        let check = match self.kw().as_deref() {
            Some("empty") => Some(UnOp::IsEmpty),
            Some("null") | Some("nil") => Some(UnOp::IsNull),
            Some("defined") => Some(UnOp::Exists),
            _ => None,
        };
        let e = if let Some(op) = check {
            let span = l.span.to(self.bump().span);
            un(op, l, span)
        } else if matches!(self.kw().as_deref(), Some("a") | Some("an"))
            && matches!(self.peek_at(1).kind, TokenKind::Word)
        {
            self.bump();
            let t = self.bump();
            let name = self.text_of(t.span).to_string();
            let span = l.span.to(t.span);
            Expr::new(ExprKind::TypeCheck(Box::new(l), name), span)
        } else {
            let r = self.additive()?;
            let op = if negated { BinOp::Ne } else { BinOp::Eq };
            return self.checked(bin(op, l, r), at);
        };
        let e = self.checked(e, at)?;
        if negated {
            let span = e.span;
            self.checked(un(UnOp::Not, e, span), at)
        } else {
            Ok(e)
        }
    }

    fn additive(&mut self) -> PResult<Expr> {
        let mut l = self.multiplicative()?;
        loop {
            let op = match self.kind() {
                TokenKind::Plus => BinOp::Add,
                TokenKind::Minus => BinOp::Sub,
                TokenKind::PlusPlus => BinOp::Concat,
                _ => return Ok(l),
            };
            let at = self.bump().span;
            let r = self.multiplicative()?;
            l = self.checked(bin(op, l, r), at)?;
        }
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        let mut l = self.unary()?;
        loop {
            let op = match self.kind() {
                TokenKind::Star => BinOp::Mul,
                TokenKind::Slash => BinOp::Div,
                TokenKind::Percent => BinOp::Rem,
                _ => return Ok(l),
            };
            let at = self.bump().span;
            let r = self.unary()?;
            l = self.checked(bin(op, l, r), at)?;
        }
    }

    pub(super) fn unary(&mut self) -> PResult<Expr> {
        if self.at(&TokenKind::Minus) {
            let at = self.bump().span;
            let e = self.nested(at, Self::unary)?;
            let span = at.to(e.span);
            return match e.kind {
                ExprKind::Int(v) => Ok(Expr::new(ExprKind::Int(v.wrapping_neg()), span)),
                ExprKind::Float(v) => Ok(Expr::new(ExprKind::Float(-v), span)),
                _ => self.checked(un(UnOp::Neg, e, span), at),
            };
        }
        self.postfix()
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.primary()?;
        loop {
            let t = self.peek().span;
            let next = self.peek_at(1);
            // `.name` right after a value is member access; `.Verb` (capitalised) ends a statement.
            if self.at(&TokenKind::Dot)
                && t.lo == e.span.hi
                && next.span.lo == t.hi
                && matches!(next.kind, TokenKind::Word)
                && !self
                    .text_of(next.span)
                    .starts_with(|c: char| c.is_uppercase())
            {
                self.bump();
                let name_tok = self.bump();
                let name = self.text_of(name_tok.span).to_string();
                let span = e.span.to(name_tok.span);
                e = self.checked(Expr::new(ExprKind::Member(Box::new(e), name), span), t)?;
            } else if self.at(&TokenKind::LBracket) && t.lo == e.span.hi {
                self.bump();
                let idx = self.expr()?;
                let close = self.expect(&TokenKind::RBracket, "']'")?.span;
                let span = e.span.to(close);
                let index = Expr::new(ExprKind::Index(Box::new(e), Box::new(idx)), span);
                e = self.checked(index, t)?;
            } else {
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> PResult<Expr> {
        let t = self.peek().clone();
        let lit = |kind| Expr::new(kind, t.span);
        match &t.kind {
            TokenKind::Int(v) => {
                self.bump();
                Ok(lit(ExprKind::Int(*v)))
            }
            TokenKind::Float(v) => {
                self.bump();
                Ok(lit(ExprKind::Float(*v)))
            }
            TokenKind::Regex(p, f) => {
                self.bump();
                Ok(lit(ExprKind::Regex(p.clone(), f.clone())))
            }
            TokenKind::Str(parts) => {
                self.bump();
                self.string_expr(parts, t.span)
            }
            TokenKind::Lt => {
                let d = self.descriptor()?;
                let span = d.span;
                Ok(Expr::new(ExprKind::Var(d), span))
            }
            TokenKind::LParen => {
                self.bump();
                let e = self.expr()?;
                let close = self.expect(&TokenKind::RParen, "')'")?.span;
                // The span includes the parentheses (the shorthand rule looks for them).
                Ok(Expr {
                    span: t.span.to(close),
                    ..e
                })
            }
            TokenKind::LBracket => {
                self.bump();
                let mut items = Vec::new();
                while !self.at(&TokenKind::RBracket) {
                    items.push(self.expr()?);
                    if !self.eat(&TokenKind::Comma) {
                        break;
                    }
                }
                let close = self
                    .expect(&TokenKind::RBracket, "']' to close the list")?
                    .span;
                self.checked(Expr::new(ExprKind::List(items), t.span.to(close)), t.span)
            }
            TokenKind::LBrace => {
                self.bump();
                let mut entries = Vec::new();
                while !self.at(&TokenKind::RBrace) {
                    let key_tok = self.peek().clone();
                    let key = match &key_tok.kind {
                        TokenKind::Word => self.text_of(key_tok.span).to_string(),
                        TokenKind::Str(parts) => match parts.as_slice() {
                            [StrPart::Text(s)] => s.clone(),
                            _ => {
                                let msg = "Object keys cannot be interpolated".to_string();
                                return self.error_here(msg);
                            }
                        },
                        _ => {
                            let msg = format!("Expected an object key, found {}", self.found());
                            return self.error_here(msg);
                        }
                    };
                    self.bump();
                    self.expect(&TokenKind::Colon, "':' after the object key")?;
                    let value = self.expr()?;
                    entries.push((key, value));
                    if !self.eat(&TokenKind::Comma) {
                        break;
                    }
                }
                let close = self
                    .expect(&TokenKind::RBrace, "'}' to close the object")?
                    .span;
                let span = t.span.to(close);
                self.checked(Expr::new(ExprKind::Object(entries), span), t.span)
            }
            TokenKind::Word
                if matches!(
                    self.kw().as_deref(),
                    Some("sum" | "count" | "avg" | "min" | "max")
                ) && matches!(self.peek_at(1).kind, TokenKind::LParen) =>
            {
                // Aggregation `sum(<field>)`: an object {aggregate, field} for Reduce.
                let func = self.text_of(t.span).to_ascii_lowercase();
                self.bump();
                self.bump();
                let field = if self.at(&TokenKind::Lt) {
                    self.descriptor()?.base
                } else {
                    String::new()
                };
                let close = self
                    .expect(&TokenKind::RParen, "')' after the aggregated field")?
                    .span;
                let span = t.span.to(close);
                let s = |v: String| Expr::new(ExprKind::Str(v), span);
                let entries = vec![("aggregate".into(), s(func)), ("field".into(), s(field))];
                Ok(Expr::new(ExprKind::Object(entries), span))
            }
            TokenKind::Word => {
                let w = self.text_of(t.span);
                self.bump();
                Ok(lit(match w.to_ascii_lowercase().as_str() {
                    "true" => ExprKind::Bool(true),
                    "false" => ExprKind::Bool(false),
                    "null" | "nil" | "none" => ExprKind::Null,
                    _ => ExprKind::Word(w.to_string()),
                }))
            }
            // Already reported by the lexer: abandon the statement quietly.
            TokenKind::Error => Err(super::Reported),
            _ => {
                let msg = format!("Expected a value, found {}", self.found());
                self.error_here(msg)
            }
        }
    }

    /// A string token: plain text, or an interpolation whose `${...}` parts are parsed here.
    fn string_expr(&mut self, parts: &[StrPart], span: Span) -> PResult<Expr> {
        if let [StrPart::Text(s)] = parts {
            return Ok(Expr::new(ExprKind::Str(s.clone()), span));
        }
        let mut out = Vec::new();
        for p in parts {
            match p {
                StrPart::Text(s) => out.push(Expr::new(ExprKind::Str(s.clone()), span)),
                StrPart::Interp(inner) => {
                    let tokens = lex(
                        self.file,
                        self.text,
                        inner.lo as usize,
                        inner.hi as usize,
                        self.diags,
                    );
                    let saved_tokens = std::mem::replace(&mut self.tokens, tokens);
                    let saved_pos = std::mem::replace(&mut self.pos, 0);
                    let r = self.expr();
                    let trailing = !self.at(&TokenKind::Eof);
                    if r.is_ok() && trailing {
                        let msg = format!("Unexpected {} in interpolation", self.found());
                        let sp = self.peek().span;
                        self.diags.error(sp, msg);
                    }
                    self.tokens = saved_tokens;
                    self.pos = saved_pos;
                    out.push(r?);
                }
            }
        }
        self.checked(Expr::new(ExprKind::Interp(out), span), span)
    }
}
