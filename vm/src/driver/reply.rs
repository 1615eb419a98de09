//! Turning a handler fiber's ending into an HTTP response, as the reference does: status names →
//! codes, the Return data map → a sorted JSON object (or raw HTML/CSS/JS/text by the request path
//! and the content), runtime errors → 500 `{"error": ...}`.

use crate::net::http::response::{code_of, Response};
use crate::runtime::scheduler::Ending;
use arovm_stdlib::value::{from_json, to_json_wire, to_json_wire_members, Value};
use std::rc::Rc;

/// Names whose value a bare `Return` reports when it carries no data (reference).
const FALLBACK_NAMES: &[&str] = &["greeting", "message", "result", "data", "output", "value"];

const EXTENSIONS: &[(&str, &str)] = &[
    (".css", "text/css; charset=utf-8"),
    (".js", "text/javascript; charset=utf-8"),
    (".json", "application/json; charset=utf-8"),
    (".html", "text/html; charset=utf-8"),
    (".htm", "text/html; charset=utf-8"),
    (".xml", "application/xml; charset=utf-8"),
    (".txt", "text/plain; charset=utf-8"),
    (".svg", "image/svg+xml"),
];

/// Appends `v` under `key`, objects flattened into dotted keys (`order.id`).
fn flatten(key: &Rc<str>, v: &Value, out: &mut Vec<(Rc<str>, Value)>, depth: usize) {
    match v {
        // Deeper levels stay one value (serialized with its own bound on nesting).
        Value::Object(o) if !o.entries.is_empty() && depth < arovm_stdlib::value::MAX_NESTING => {
            for (k, x) in &o.entries {
                let key = if key.is_empty() {
                    k.clone()
                } else {
                    Rc::from(format!("{key}.{k}"))
                };
                flatten(&key, x, out, depth + 1);
            }
        }
        other => out.push((key.clone(), other.clone())),
    }
}

/// The text content type of a single string reply, if it is HTML, CSS, JS or metrics text.
fn sniff(text: &str) -> Option<&'static str> {
    let t = text.trim();
    if ["<!DOCTYPE", "<!doctype", "<html", "<HTML"]
        .iter()
        .any(|p| t.starts_with(p))
    {
        return Some("text/html; charset=utf-8");
    }
    if t.starts_with("# HELP ") || t.starts_with("# TYPE ") {
        return Some("text/plain; version=0.0.4; charset=utf-8");
    }
    let body = match t.strip_prefix("/*").and_then(|r| r.split_once("*/")) {
        Some((_, rest)) => rest.trim_start(),
        None => t,
    };
    let js = [
        "var ",
        "let ",
        "const ",
        "function ",
        "(function",
        "'use strict'",
        "\"use strict\"",
        "import ",
        "export ",
    ];
    if js.iter().any(|p| body.starts_with(p)) || t.starts_with("//") {
        return Some("text/javascript; charset=utf-8");
    }
    let css_start = body.chars().next().is_some_and(|c| {
        c == ':' || c == '@' || c == '*' || c == '.' || c == '#' || c.is_ascii_alphabetic()
    });
    if css_start
        && !body.starts_with('{')
        && body.split('\n').next().is_some_and(|l| l.contains('{'))
    {
        let head = &body[..body.find('{').unwrap_or(0)];
        if !head.contains(['<', '"', ';']) && !head.trim().is_empty() {
            return Some("text/css; charset=utf-8");
        }
    }
    None
}

/// The 500 for a failed handler: a generic error and the request id under which the full error
/// went to stderr. The runtime error itself (statement, bound values, request headers) reaches
/// the body only with `--debug-errors`.
pub(super) fn failure(request_id: &str, detail: Option<&str>) -> Response {
    let mut o = vec![
        (Rc::from("error"), Value::str("Internal Server Error")),
        (Rc::from("requestId"), Value::str(request_id)),
    ];
    if let Some(d) = detail {
        o.push((Rc::from("detail"), Value::str(d)));
    }
    let mut resp = Response::json(500, to_json_wire(&Value::object(o)));
    resp.headers
        .push(("X-Request-ID".into(), request_id.to_string().into()));
    resp
}

/// The response for a finished request fiber; `path` is the request path (for extension typing),
/// `program_strings` the app's string constants. A failure is answered by [`failure`] instead.
pub(super) fn build(ending: &Ending, path: &str, program_strings: &[Rc<str>]) -> Response {
    match ending {
        Ending::Failed(_) => failure("-", None),
        Ending::Done(None, _, _) => {
            Response::json(200, r#"{"reason":"success","status":"OK"}"#.into())
        }
        Ending::Done(Some(r), vars, rendered) => {
            let status = code_of(&r.status);
            let mut data: Vec<(Rc<str>, Value)> = Vec::new();
            for (k, v) in &r.data {
                flatten(k, v, &mut data, 0);
            }
            if data.is_empty() {
                let found = FALLBACK_NAMES.iter().find_map(|n| {
                    vars.iter()
                        .find(|(k, _)| &**k == *n)
                        .map(|(_, v)| v.clone())
                });
                if let Some(v) = found {
                    let text = match &v {
                        Value::Str(_) => v,
                        other => Value::str(&arovm_stdlib::value::to_description(other)),
                    };
                    data.push((Rc::from("value"), text));
                }
            }
            if let [(_, Value::Str(s))] = data.as_slice() {
                let lower = path.to_ascii_lowercase();
                let by_ext = EXTENSIONS
                    .iter()
                    .find(|(e, _)| lower.ends_with(e))
                    .map(|(_, t)| *t);
                // Only a template's output or a string written in the program is typed by its
                // content: a string built from input (echoed, interpolated) that merely looks
                // like HTML or script must not be served as such. Prometheus text (`<metrics:
                // prometheus>`, built at run time) is plain text, inert whatever its source.
                let trusted = |ct: &str| {
                    ct.starts_with("text/plain")
                        || rendered.iter().any(|t| Rc::ptr_eq(t, s))
                        || program_strings.iter().any(|t| Rc::ptr_eq(t, s))
                };
                if let Some(ct) = by_ext.or_else(|| sniff(s).filter(|ct| trusted(ct))) {
                    return Response {
                        status,
                        headers: vec![("Content-Type".into(), ct.into())],
                        body: s.as_bytes().to_vec(),
                    };
                }
            }
            if status == 204 {
                return Response {
                    status,
                    headers: Vec::new(),
                    body: Vec::new(),
                };
            }
            if data.is_empty() {
                data.push((Rc::from("status"), Value::str(&r.status)));
                if !r.reason.is_empty() && r.reason != "_expression_" {
                    data.push((Rc::from("reason"), Value::str(&r.reason)));
                }
            }
            for (_, v) in data.iter_mut() {
                // Strings holding JSON (lists flattened by Return) go back out as JSON.
                if let Value::Str(s) = v {
                    if s.starts_with(['{', '[']) {
                        if let Some(parsed) = from_json(s) {
                            *v = parsed;
                        }
                    }
                }
            }
            // Key order, each key once (the last value wins, as an object insert does).
            data.sort_by(|a, b| a.0.cmp(&b.0));
            data.dedup_by(|later, kept| {
                let same = later.0 == kept.0;
                if same {
                    std::mem::swap(&mut later.1, &mut kept.1);
                }
                same
            });
            Response::json(status, to_json_wire_members(&data))
        }
    }
}
