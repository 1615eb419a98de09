//! User-defined actions (ARO-0081): feature sets whose business activity is `Action` (optionally
//! `Action takes <field>`), called as `Application.<Name> the <r> with {...}` / `from <value>`.
//! This module checks every call and every action body at compile time.

use crate::ast::{ActionStmt, Descriptor, Expr, ExprKind, FeatureSet, Operand, Stmt};
use crate::diagnostics::Diagnostics;
use std::collections::BTreeMap;

/// The handle every user-defined action is called through.
pub const HANDLE: &str = "Application.";

/// Names an action body may not read: they belong to event handlers and request handlers.
const FRAMEWORK_NAMES: &[&str] = &[
    "request",
    "response",
    "event",
    "pathParameters",
    "queryParameters",
];

/// The field a single `from <value>` argument binds to, if the activity declares one:
/// `Action takes <number>` or `Action takes <number: Integer>` → `number`. `None` for an
/// activity that is not an action at all as well as for `Action` without `takes`.
pub fn takes_field(activity: &str) -> Option<&str> {
    let rest = activity.strip_prefix("Action")?.trim_start();
    let inner = rest.strip_prefix("takes")?.trim();
    let inner = inner.strip_prefix('<')?.strip_suffix('>')?;
    let name = inner.split(':').next().unwrap_or("").trim();
    (!name.is_empty()).then_some(name)
}

/// Whether a feature set with this business activity is a user-defined action.
pub fn is_action(activity: &str) -> bool {
    activity == "Action" || takes_field(activity).is_some()
}

/// Checks the calls and the bodies of user-defined actions across the whole application.
pub fn check(sets: &[FeatureSet], diags: &mut Diagnostics) {
    let actions: BTreeMap<&str, &FeatureSet> = sets
        .iter()
        .filter(|fs| is_action(&fs.activity))
        .map(|fs| (fs.name.as_str(), fs))
        .collect();
    for fs in sets {
        if fs.activity.starts_with("Action takes") && !is_action(&fs.activity) {
            diags.error_hint(
                fs.span,
                format!("Malformed action header '{}'", fs.activity),
                "write (Name: Action) or (Name: Action takes <field>)",
            );
        }
        let in_action = is_action(&fs.activity);
        walk(&fs.body, &mut |a: &ActionStmt| {
            check_call(a, &actions, diags);
            if in_action {
                framework_names(a, diags);
            }
        });
    }
}

fn check_call(a: &ActionStmt, actions: &BTreeMap<&str, &FeatureSet>, diags: &mut Diagnostics) {
    let Some((handle, name)) = a.verb.split_once('.') else {
        return;
    };
    if handle != "Application" {
        diags.error_hint(
            a.verb_span,
            format!("Plugin actions are not supported by arovm: '{}'", a.verb),
            "arovm loads no plugins; write the action in ARO as (Name: Action) and call it as Application.Name",
        );
        return;
    }
    let Some(target) = actions.get(name) else {
        let known: Vec<String> = actions.keys().map(|k| format!("{HANDLE}{k}")).collect();
        let hint = if known.is_empty() {
            "declare it as a feature set (Name: Action) { ... }".to_string()
        } else {
            format!("known actions: {}", known.join(", "))
        };
        diags.error_hint(
            a.verb_span,
            format!("Unknown user-defined action '{}'", a.verb),
            hint,
        );
        return;
    };
    let from = a.clauses.iter().find(|c| c.word == "from");
    if let (Some(c), None) = (from, takes_field(&target.activity)) {
        diags.error_hint(
            c.span,
            format!(
                "'{}' declares no 'takes' field: it cannot be called with 'from <value>'",
                a.verb
            ),
            format!(
                "pass an object: {} the <result> with {{ field: value }}",
                a.verb
            ),
        );
    }
    if let Some(c) = a
        .clauses
        .iter()
        .find(|c| c.word != "from" && c.word != "with" && c.word != "where")
    {
        diags.error_hint(
            c.span,
            format!(
                "'{}' takes its input with 'with' or 'from', not '{}'",
                a.verb, c.word
            ),
            "write: Application.Name the <result> with { ... }",
        );
    }
}

/// An action body reading `<request>`, `<event>`, ...: actions run outside any handler.
fn framework_names(a: &ActionStmt, diags: &mut Diagnostics) {
    let mut found: Vec<&Descriptor> = Vec::new();
    for op in std::iter::once(&a.result).chain(a.clauses.iter().map(|c| &c.value)) {
        match op {
            Operand::Desc(d) => found.push(d),
            Operand::Expr(e) => descriptors(e, &mut found),
        }
    }
    if let Some(g) = &a.guard {
        descriptors(g, &mut found);
    }
    for d in found {
        if FRAMEWORK_NAMES.contains(&d.base.as_str()) {
            diags.error_hint(
                d.span,
                format!("A user-defined action cannot read <{}>", d.base),
                "actions run outside any request or event: pass what they need in <input>",
            );
        }
    }
}

fn descriptors<'a>(e: &'a Expr, out: &mut Vec<&'a Descriptor>) {
    match &e.kind {
        ExprKind::Var(d) => out.push(d),
        ExprKind::Interp(parts) | ExprKind::List(parts) => {
            parts.iter().for_each(|p| descriptors(p, out))
        }
        ExprKind::Object(fields) => fields.iter().for_each(|(_, v)| descriptors(v, out)),
        ExprKind::Binary(_, l, r) | ExprKind::Index(l, r) => {
            descriptors(l, out);
            descriptors(r, out);
        }
        ExprKind::Unary(_, x) | ExprKind::TypeCheck(x, _) | ExprKind::Member(x, _) => {
            descriptors(x, out)
        }
        _ => {}
    }
}

/// Calls `f` with every action statement of a body, nested blocks included.
fn walk<'a>(body: &'a [Stmt], f: &mut dyn FnMut(&'a ActionStmt)) {
    for s in body {
        match s {
            Stmt::Action(a) => f(a),
            Stmt::Match {
                cases, otherwise, ..
            } => {
                for c in cases {
                    walk(&c.body, f);
                }
                if let Some(o) = otherwise {
                    walk(o, f);
                }
            }
            Stmt::While { body, .. } | Stmt::Range { body, .. } | Stmt::ForEach { body, .. } => {
                walk(body, f)
            }
            Stmt::Publish { .. } | Stmt::Break { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_fields_are_read_from_the_header() {
        assert_eq!(takes_field("Action takes <number>"), Some("number"));
        assert_eq!(
            takes_field("Action takes <number: Integer>"),
            Some("number")
        );
        assert_eq!(takes_field("Action"), None);
        assert_eq!(takes_field("Action takes"), None);
        assert_eq!(takes_field("Order API"), None);
        assert!(is_action("Action"));
        assert!(is_action("Action takes <n>"));
        assert!(!is_action("Actions"));
        assert!(!is_action("Action Handler"));
    }
}
