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
        return Ok(Value::object(Vec::new()));
    }
    let ct = req
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    let text = String::from_utf8_lossy(&req.body);
    if ct.contains("json") {
        return from_json(&text).ok_or(HttpError::BadRequest("malformed JSON body"));
    }
    if ct.contains("x-www-form-urlencoded") {
        return Ok(parse_query(&text));
    }
    let t = text.trim_start();
    if ct.is_empty() && (t.starts_with('{') || t.starts_with('[')) {
        if let Some(v) = from_json(&text) {
            return Ok(v);
        }
    }
    Ok(Value::str(&text))
}

/// The framework variables a request handler sees: `request` (with `method`, `path`, `headers`,
/// `query`, `queryParameters`, `pathParameters`, `parameters`, `body`), and the same parts as
/// top-level `pathParameters`, `queryParameters`, `headers`, `body`.
pub fn request_env(
    req: &Request,
    params: &[(String, String)],
    remote: &str,
) -> Result<Vec<(Rc<str>, Value)>, HttpError> {
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    let query = parse_query(query);
    let mut headers = Object::default();
    for (k, v) in &req.headers {
        headers.insert(Rc::from(k.to_ascii_lowercase()), Value::str(v));
    }
    let headers = Value::Object(Rc::new(headers));
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
        (Rc::from("body"), body),
    ])
}
