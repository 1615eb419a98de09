//! Request content → ARO values: the `request` object (method, path, headers, query, path
//! parameters, body parsed by content type). A malformed JSON body is a 400.

use super::errors::HttpError;
use super::request::Request;
use super::router::percent_decode;
use arovm_stdlib::value::{from_json, Object, Value};
use std::rc::Rc;

/// `a=1&b=two` → object (values are strings; repeated keys keep the last).
pub fn parse_query(q: &str) -> Value {
    let mut o = Object::default();
    for pair in q.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        o.insert(
            Rc::from(percent_decode(k, true)),
            Value::str(&percent_decode(v, true)),
        );
    }
    Value::Object(Rc::new(o))
}

/// The body as a value: JSON by content type (or when it looks like JSON), form bodies as
/// objects, anything else as text; an empty body is an empty object.
pub fn parse_body(req: &Request) -> Result<Value, HttpError> {
    if req.body.is_empty() {
        return Ok(Value::str(""));
    }
    let ct = req
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let text = String::from_utf8_lossy(&req.body);
    if ct.contains("x-www-form-urlencoded") {
        // Form fields: a repeated key becomes a list.
        let mut o = Object::default();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (
                percent_decode(k, true),
                Value::str(&percent_decode(v, true)),
            );
            let merged = match o.get(&k) {
                Some(Value::List(l)) => {
                    let mut l = (**l).clone();
                    l.push(v);
                    Value::list(l)
                }
                Some(prev) => Value::list(vec![prev.clone(), v]),
                None => v,
            };
            o.insert(Rc::from(k), merged);
        }
        return Ok(Value::Object(Rc::new(o)));
    }
    // As in the reference, any other body that is a JSON object becomes an object; arovm
    // additionally rejects a malformed body declared as JSON with 400.
    match from_json(&text) {
        Some(v @ Value::Object(_)) => Ok(v),
        Some(v) if ct.contains("json") => Ok(v),
        None if ct.contains("json") => Err(HttpError::BadRequest("malformed JSON body")),
        _ => Ok(Value::str(&text)),
    }
}

/// The names [`request_env`] binds; a handler that mentions none of them (and has no body to
/// validate) skips building them.
pub const REQUEST_ENV_NAMES: &[&str] = &[
    "request",
    "pathParameters",
    "queryParameters",
    "headers",
    "headerParameters",
    "body",
];

/// The framework variables a request handler sees: `request` (with `method`, `path`, `headers`,
/// `query`, `queryParameters`, `pathParameters`, `parameters`, `body`), and the same parts as
/// top-level `pathParameters`, `queryParameters`, `headers`, `headerParameters`, `body`.
pub fn request_env(
    req: &Request,
    params: &[(String, String)],
    arrays: &[String],
    remote: &str,
) -> Result<Vec<(Rc<str>, Value)>, HttpError> {
    let (path, raw_query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let mut query = parse_query(raw_query);
    if !arrays.is_empty() {
        // Declared array parameters: every occurrence (`?t=a&t=b`) or a comma list (`?t=a,b`).
        let mut o = match &query {
            Value::Object(o) => (**o).clone(),
            _ => Object::default(),
        };
        for name in arrays {
            let mut items: Vec<Value> = Vec::new();
            for pair in raw_query.split('&') {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                if percent_decode(k, true) == *name {
                    for part in v.split(',') {
                        items.push(Value::str(&percent_decode(part, true)));
                    }
                }
            }
            if !items.is_empty() {
                o.insert(Rc::from(name.as_str()), Value::list(items));
            }
        }
        query = Value::Object(Rc::new(o));
    }
    // `headers` keep the client's spelling (the reference); `headerParameters` are lowercased.
    let mut headers = Object::default();
    let mut lower = Object::default();
    for (k, v) in &req.headers {
        headers.insert(Rc::from(k.as_str()), Value::str(v));
        lower.insert(Rc::from(k.to_ascii_lowercase()), Value::str(v));
    }
    let headers = Value::Object(Rc::new(headers));
    let header_params = Value::Object(Rc::new(lower));
    let path_params = Value::object(
        params
            .iter()
            .map(|(k, v)| (Rc::from(k.as_str()), Value::str(v)))
            .collect(),
    );
    let body = parse_body(req)?;
    let request = Value::object(vec![
        (Rc::from("method"), Value::str(&req.method)),
        (Rc::from("path"), Value::str(&percent_decode(path, false))),
        (Rc::from("headers"), headers.clone()),
        (Rc::from("query"), query.clone()),
        (Rc::from("queryParameters"), query.clone()),
        (Rc::from("pathParameters"), path_params.clone()),
        (Rc::from("parameters"), path_params.clone()),
        (Rc::from("body"), body.clone()),
        (Rc::from("remoteAddress"), Value::str(remote)),
    ]);
    Ok(vec![
        (Rc::from("request"), request),
        (Rc::from("pathParameters"), path_params),
        (Rc::from("queryParameters"), query),
        (Rc::from("headers"), headers),
        (Rc::from("headerParameters"), header_params),
        (Rc::from("body"), body),
    ])
}
