//! Feature sets one fiber runs for another and waits for — user-defined actions (ARO-0081)
//! and a test's `When` (ARO-0015) — and what the caller gets back.

use arovm_stdlib::action::Response;
use arovm_stdlib::value::Value;
use std::rc::Rc;

/// What a called feature set gives its caller.
#[derive(Clone, Debug)]
pub enum CallResult {
    /// A user-defined action (ARO-0081): `status`, `reason` and the `Return` payload's fields.
    Response,
    /// A test's `When the <name> from the <feature-set>` (ARO-0015): the payload field `name`,
    /// else the first payload field, else the feature set's own variable `name`.
    Named(Rc<str>),
}

/// What a user-defined action gives its caller: `status`, `reason` when there is one, and the
/// fields of its `Return … with` payload, in one object (ARO-0081 §5).
pub(super) fn action_result(resp: Option<&Response>) -> Value {
    let Some(r) = resp else {
        return Value::object(vec![(Rc::from("status"), Value::str("OK"))]);
    };
    let mut entries = vec![(Rc::from("status"), Value::str(&r.status))];
    if !r.reason.is_empty() && r.reason != "_expression_" {
        entries.push((Rc::from("reason"), Value::str(&r.reason)));
    }
    entries.extend(r.data.iter().cloned());
    Value::object(entries)
}

/// What a test's `When the <name> …` binds: the payload field `name`, else the first payload
/// field, else the feature set's own variable `name`, else the whole response.
pub(super) fn named_result(resp: Option<&Response>, name: &str, own: Option<Value>) -> Value {
    let data = resp.map_or(&[][..], |r| &r.data[..]);
    data.iter()
        .find(|(k, _)| &**k == name)
        .or(data.first())
        .map(|(_, v)| v.clone())
        .or(own)
        .unwrap_or_else(|| action_result(resp))
}
