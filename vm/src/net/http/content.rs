//! Request content → ARO values: the `request` object (method, path, headers, query, path
//! parameters, body parsed by content type). A malformed JSON body is a 400.

use super::errors::HttpError;
use super::request::Request;
use super::router::percent_decode;
use arovm_stdlib::value::{from_json, Object, Value};
use std::collections::HashMap;
use std::rc::Rc;

/// `a=1&b=two` → object (values are strings; repeated keys keep the last).
pub fn parse_query(q: &str) -> Value {
    let entries = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                Rc::from(percent_decode(k, true)),
                Value::str(&percent_decode(v, true)),
            )
        })
        .collect();
    Value::object(entries)
}

/// Form fields (`a=1&b=2&a=3`) → object; a repeated key becomes a list, in order. Linear in
/// the body's length whatever the keys (one index lookup per field, lists grown in place).
pub fn parse_form(text: &str) -> Value {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut fields: Vec<(String, Vec<Value>)> = Vec::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (
            percent_decode(k, true),
            Value::str(&percent_decode(v, true)),
        );
        match index.get(&k) {
            Some(&i) => fields[i].1.push(v),
            None => {
                index.insert(k.clone(), fields.len());
                fields.push((k, vec![v]));
            }
        }
    }
    let entries = fields
        .into_iter()
        .map(|(k, mut vs)| {
            let v = if vs.len() == 1 {
                vs.pop().unwrap_or_default()
            } else {
                Value::list(vs)
            };
            (Rc::from(k), v)
        })
        .collect();
    Value::Object(Rc::new(Object::from_unique(entries)))
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
    if ct.contains("x-www-form-urlencoded") {
        return Ok(parse_form(&String::from_utf8_lossy(&req.body)));
    }
    // JSON must be UTF-8 (RFC 8259): invalid bytes are refused, not replaced.
    let utf8 = std::str::from_utf8(&req.body);
    if ct.contains("json") {
        let text = utf8.map_err(|_| HttpError::BadRequest("JSON body is not valid UTF-8"))?;
        return from_json(text).ok_or(HttpError::BadRequest("malformed JSON body"));
    }
    // As in the reference, any other body that is a JSON object becomes an object.
    let text = match utf8 {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(_) => String::from_utf8_lossy(&req.body),
    };
    match from_json(&text) {
        Some(v @ Value::Object(_)) => Ok(v),
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
    let (path, raw_query) = req.target().split_once('?').unwrap_or((req.target(), ""));
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
    for (k, v) in req.headers() {
        headers.insert(Rc::from(k), Value::str(v));
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
        (Rc::from("method"), Value::str(req.method())),
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
