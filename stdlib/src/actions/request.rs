//! Request actions (external → internal): Extract (with ARO-0038 list access), Parse (Link
//! headers), Retrieve and Delete on repositories, and pass-through readers.

use super::{where_clause, where_equals};
use crate::action::{ActionError, Call, Host, Outcome};
use crate::value::{from_json, keep_json_source, Value};
use std::rc::Rc;

/// ARO-0038 element access: `first`, `last`, `N` (0 = last), `A-B` ranges, `A,B,C` picks.
pub(crate) fn element(l: &[Value], spec: &str) -> Option<Value> {
    let n = l.len();
    let rev = |i: usize| {
        if i < n {
            Some(l[n - 1 - i].clone())
        } else {
            None
        }
    };
    match spec {
        "first" => return Some(l.first().cloned().unwrap_or(Value::str(""))),
        "last" => return Some(l.last().cloned().unwrap_or(Value::str(""))),
        _ => {}
    }
    if let Ok(i) = spec.parse::<usize>() {
        return Some(rev(i).unwrap_or_else(|| Value::list(l.to_vec())));
    }
    if let Some((a, b)) = spec.split_once('-') {
        if let (Ok(a), Ok(b)) = (a.trim().parse::<usize>(), b.trim().parse::<usize>()) {
            let (lo, hi) = (a.min(b), a.max(b));
            return Some(Value::list((lo..=hi).filter_map(rev).collect()));
        }
    }
    if spec.contains(',') {
        let idx: Option<Vec<usize>> = spec.split(',').map(|p| p.trim().parse().ok()).collect();
        if let Some(idx) = idx {
            return Some(Value::list(idx.into_iter().filter_map(rev).collect()));
        }
    }
    None
}

/// `Extract the <x[: key|first|N]> from the <source: path>`.
pub(crate) fn extract(call: &Call) -> Result<Outcome, ActionError> {
    let mut v = call.object_value()?;
    if let Value::Str(s) = &v {
        let t = s.trim_start();
        if t.starts_with('{') || t.starts_with('[') {
            if let Some(j) = from_json(s) {
                let text = s.clone();
                v = keep_json_source(j, &text);
            }
        }
    }
    let Some(spec) = call.result.spec() else {
        return Ok(Outcome::Bind(v));
    };
    let key = spec.split('.').next().unwrap_or(spec);
    let out = match &v {
        Value::List(l) => element(l, key).unwrap_or(v.clone()),
        Value::Object(o) => o.get(key).cloned().unwrap_or(v.clone()),
        Value::Str(s) => match crate::value::date::parse(s) {
            // `Extract the <local: timezone> from <date> with "Europe/Berlin"` (ARO-0041).
            Some(m) if key.eq_ignore_ascii_case("timezone") && call.with_value().is_some() => {
                let zone = call.with_value().unwrap_or_default();
                let zone = zone.as_str().unwrap_or_default();
                let local = crate::value::date::in_zone(&m, zone).map_err(ActionError::new)?;
                Value::str(&local.iso())
            }
            Some(m) => crate::value::date::property(&m, key).unwrap_or(v.clone()),
            None => v.clone(),
        },
        _ => v.clone(),
    };
    Ok(Outcome::Bind(out))
}

/// `Parse the <r: link-header> from the <src>`: an RFC 8288 `Link` header value (a string) →
/// `{rel: url}` (see [`super::link_header::parse`]; a later duplicate rel wins). `link-header`
/// (any case) is the only parse type, as in the reference; `from` the only preposition.
pub(crate) fn parse(call: &Call) -> Result<Outcome, ActionError> {
    let prep = call.prep();
    if call.object().is_some() && prep != "from" {
        return Err(ActionError::new(format!(
            "Invalid preposition '{prep}' for action 'Parse'. Expected: [from]"
        )));
    }
    let kind = call.result.spec().unwrap_or("");
    if kind.to_lowercase() != "link-header" {
        return Err(ActionError::new(format!(
            "Invalid value '{kind}' for parse type. Valid values: link-header"
        )));
    }
    let v = call.object_value()?;
    let Value::Str(header) = &v else {
        return Err(ActionError::new(format!(
            "Type mismatch: expected 'String', got '{}'",
            v.type_name()
        )));
    };
    let links = super::link_header::parse(header)
        .into_iter()
        .map(|(rel, url)| (Rc::from(rel), Value::str(url)))
        .collect();
    Ok(Outcome::Bind(Value::object(links)))
}

fn repo_name<'a>(call: &'a Call) -> Option<&'a str> {
    call.object()
        .map(|o| o.name)
        .filter(|n| n.ends_with("-repository"))
}

/// `Retrieve the <x> from the <name-repository> [where <field> is <v>]`.
pub(crate) fn retrieve(call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    let Some(repo) = repo_name(call) else {
        return call.object_value().map(Outcome::Bind).map_err(|_| {
            ActionError::new(format!(
                "Repository not found: '{}'",
                call.object().map_or("", |o| o.name)
            ))
        });
    };
    let filtered = call.clause(&["where"]).is_some();
    let rows: Vec<Value> = if let Some((field, v)) = where_equals(call) {
        host.repos().equal(repo, field, &v)
    } else if let Some((field, pred)) = where_clause(call) {
        host.repos().matching(repo, field, pred)
    } else {
        match &host.repos().list(repo) {
            Value::List(l) => l.to_vec(),
            _ => Vec::new(),
        }
    };
    let spec = call.object().and_then(|o| o.spec());
    let out = if let Some(s) = spec.and_then(|s| element(&rows, s)) {
        s
    } else if filtered && rows.len() == 1 {
        rows[0].clone()
    } else if rows.is_empty() {
        match call.clause(&["default"]).and_then(|o| o.value.clone()) {
            Some(d) => d,
            None => Value::list(rows),
        }
    } else {
        Value::list(rows)
    };
    Ok(Outcome::Bind(out))
}

/// `Delete the <x> from the <name-repository> where ...` (or a key from an object).
pub(crate) fn delete(call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    if let Some(repo) = repo_name(call) {
        let removed = match where_clause(call) {
            Some((field, pred)) => host.repos().delete(repo, Some((field, &*pred))),
            None => host.repos().delete(repo, None),
        };
        for row in &removed {
            let id = row.member("id").unwrap_or_default();
            let ev = Value::object(vec![
                (Rc::from("repositoryName"), Value::str(repo)),
                (Rc::from("changeType"), Value::str("deleted")),
                (Rc::from("entityId"), id),
                (Rc::from("newValue"), Value::Null),
                (Rc::from("oldValue"), row.clone()),
                (Rc::from("timestamp"), Value::str(&host.now())),
            ]);
            host.repo_changed(repo, ev);
        }
        let out = if removed.len() == 1 {
            removed[0].clone()
        } else {
            Value::list(removed)
        };
        return Ok(Outcome::Bind(out));
    }
    let v = call.object_value()?;
    let key = call.result.spec().unwrap_or(call.result.name);
    let out = match &v {
        Value::Object(o) => {
            let mut o = (**o).clone();
            o.remove(key);
            Value::Object(Rc::new(o))
        }
        Value::List(l) => match key.parse::<usize>() {
            Ok(i) if i < l.len() => {
                let mut l = (**l).clone();
                l.remove(l.len() - 1 - i);
                Value::list(l)
            }
            _ => v,
        },
        _ => v,
    };
    Ok(Outcome::Bind(out))
}

/// Actions whose console form binds the object's value (Receive, Read, Request on values).
pub(crate) fn passthrough(call: &Call) -> Result<Outcome, ActionError> {
    call.object_value().map(Outcome::Bind)
}

/// `Require the <console> from the <framework>`: declares a dependency; framework and environment
/// objects always exist, anything else must be bound.
pub(crate) fn require(call: &Call) -> Result<Outcome, ActionError> {
    match call.object() {
        Some(o) if matches!(o.name, "framework" | "environment") => Ok(Outcome::Nothing),
        Some(o) => o
            .value
            .clone()
            .map(Outcome::Bind)
            .ok_or_else(|| ActionError::new(format!("Required '{}' is not available", o.name))),
        None => Ok(Outcome::Nothing),
    }
}

/// `Request the <r> from <url>` (GET), `to <url>` (POST), `via PUT <url>`, with an optional
/// config `with { method, headers, body }` (or a plain body): suspends until the response.
pub(crate) fn http(call: &Call) -> Result<Outcome, ActionError> {
    use crate::action::{HttpCall, IoRequest};
    let target = call
        .clauses
        .iter()
        .find(|(w, _)| matches!(*w, "from" | "to" | "via" | "at" | "on"))
        .map(|(w, o)| (*w, o));
    let Some((prep, obj)) = target else {
        return Err(ActionError::new(
            "Request needs a URL: Request the <r> from <url>",
        ));
    };
    let url = match &obj.value {
        Some(Value::Str(s)) => s.to_string(),
        Some(other) => crate::value::to_display(other),
        None if obj.name.starts_with("http") => obj.name.to_string(),
        None => {
            return Err(ActionError::new(format!(
                "Undefined variable: '{}'",
                obj.name
            )))
        }
    };
    let with = call.clause(&["with"]).and_then(|o| o.value.clone());
    let config = match &with {
        Some(Value::Object(o))
            if ["method", "headers", "body", "timeout"]
                .iter()
                .any(|k| o.get(k).is_some()) =>
        {
            Some(o.clone())
        }
        _ => None,
    };
    let method = config
        .as_ref()
        .and_then(|c| c.get("method"))
        .map(|m| crate::value::to_display(m).to_ascii_uppercase())
        .unwrap_or_else(|| match prep {
            "to" => "POST".into(),
            "via" => obj.spec().map_or("GET".into(), |s| s.to_ascii_uppercase()),
            _ => "GET".into(),
        });
    let headers = config
        .as_ref()
        .and_then(|c| c.get("headers"))
        .and_then(|h| match h {
            Value::Object(o) => Some(
                o.entries
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.to_string(),
                            crate::value::to_display(v).trim().to_string(),
                        )
                    })
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default();
    let body = match &config {
        Some(c) => c.get("body").cloned(),
        None => with,
    };
    Ok(Outcome::Suspend(
        IoRequest::Http(HttpCall {
            method,
            url,
            headers,
            body,
        }),
        Value::Null,
    ))
}
