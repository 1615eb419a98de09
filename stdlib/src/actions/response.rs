//! Response actions (internal → external): Log, Return, Throw, Emit, Store.

use crate::action::{ActionError, Call, Host, Outcome, Response};
use crate::repository::Change;
use crate::value::{to_display, Value};
use smallvec::SmallVec;
use std::rc::Rc;

/// Escapes `& < > " '` for HTML.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The text a template prints for a value: strings raw, numbers without a trailing `.0`.
fn template_text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Value::Float(f) => crate::value::format_float(*f),
        other => to_display(other),
    }
}

/// `Print <x> to the <template: filters>`: filters `escape`, `uppercase`, `lowercase`, `trim`.
fn print_template(
    call: &Call,
    host: &mut dyn Host,
    filters: &[&str],
) -> Result<Outcome, ActionError> {
    let mut text = match &call.result.value {
        Some(v) => template_text(v),
        None => {
            return Err(ActionError::new(format!(
                "Undefined variable: '{}'",
                call.result.name
            )))
        }
    };
    for f in filters {
        text = match *f {
            "uppercase" => text.to_uppercase(),
            "lowercase" => text.to_lowercase(),
            "trim" => text.trim().to_string(),
            _ => text,
        };
    }
    if filters.contains(&"escape") {
        text = html_escape(&text);
    }
    if host.write_template(&text) {
        Ok(Outcome::Nothing)
    } else {
        Err(ActionError::new(
            "Print to the <template> outside of a template",
        ))
    }
}

/// `Log <x> to the <console[: error]>` (also `Print ... to the <template>`).
pub(crate) fn log(call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    if let Some(o) = call.object().filter(|o| o.name == "template") {
        let filters = o.specs.clone();
        return print_template(call, host, &filters);
    }
    let shown = |v: &Value| {
        if host.developer() {
            crate::value::developer::to_developer(v)
        } else {
            to_display(v)
        }
    };
    let text = match (&call.result.value, call.clause(&["with"])) {
        (Some(v), _) => shown(v),
        // The older form `Log the <startup: message> for the <console> with "text"`.
        (None, Some(with)) => with.require().map(|v| shown(&v))?,
        (None, None) => {
            return Err(ActionError::new(
                call.result
                    .missing
                    .clone()
                    .unwrap_or_else(|| format!("Undefined variable: '{}'", call.result.name)),
            ))
        }
    };
    let to_err = call
        .object()
        .is_some_and(|o| o.name == "stderr" || o.spec() == Some("error"));
    if host.developer() {
        let target = call.object().map_or("console", |o| o.name);
        host.log_developer(to_err, target, &text);
    } else {
        host.log(to_err, &text);
    }
    Ok(Outcome::Nothing)
}

/// `Return an <OK: status> for the <reason> [with <data>]`.
pub(crate) fn ret(call: &Call) -> Result<Outcome, ActionError> {
    let mut data = Vec::new();
    let with = call.clause(&["with"]);
    let value = with.and_then(|o| o.value.clone());
    match (with, value.clone()) {
        // `with the <x>`: reported under its own name, as a named object.
        (Some(o), Some(v)) if o.article => data.push((Rc::from(o.name), v)),
        (_, Some(v)) => push_data(&mut data, "value", v),
        _ => {}
    }
    let reason = match call.object() {
        Some(o) if o.is_expr => "_expression_".to_string(),
        Some(o) => o.name.to_string(),
        None => String::new(),
    };
    if let Some(o) = call.object().filter(|_| call.prep() != "with") {
        if !o.is_expr && !matches!(o.name, "status" | "response" | "application") {
            if let Some(v) = &o.value {
                // A named object is reported under its own name (`order.id`, ...).
                data.push((Rc::from(o.name), v.clone()));
            }
        }
    }
    Ok(Outcome::Return(Response {
        status: call.result.name.to_string(),
        reason,
        data,
        value,
    }))
}

fn push_data(data: &mut Vec<(Rc<str>, Value)>, name: &str, v: Value) {
    match &v {
        Value::Object(o) => {
            for (k, x) in &o.entries {
                data.push((k.clone(), x.clone()));
            }
        }
        Value::List(_) => data.push((Rc::from("data"), Value::str(&crate::value::to_json(&v)))),
        Value::Str(s) if s.trim_start().starts_with('{') => match crate::value::from_json(s) {
            Some(obj @ Value::Object(_)) => push_data(data, name, obj),
            _ => data.push((Rc::from(name), v.clone())),
        },
        _ => data.push((Rc::from(name), v.clone())),
    }
}

/// `Throw the <Error> for the <reason>`: always fails; the statement is the message.
pub(crate) fn throw(call: &Call) -> Result<Outcome, ActionError> {
    Err(ActionError {
        detail: format!("{} thrown", call.result.name),
        thrown: true,
    })
}

/// `Emit a <Name: event> with <payload>`.
pub(crate) fn emit(call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    let payload = match call.clause(&["with", "to", "for"]) {
        Some(o) => match (&o.value, o.is_expr) {
            (Some(v @ Value::Object(_)), true) => v.clone(),
            (Some(v), true) => Value::object(vec![(Rc::from("data"), v.clone())]),
            (Some(v), false) => Value::object(vec![(Rc::from(o.name), v.clone())]),
            (None, _) => {
                return Err(ActionError::new(format!(
                    "Undefined variable: '{}'",
                    o.name
                )))
            }
        },
        None => Value::object(vec![]),
    };
    host.emit(call.result.name, payload);
    Ok(Outcome::Nothing)
}

/// Publishes `<repo> Evicted` for a row `maxSize` pushed out (handlers:
/// `(Name: <repo> Evicted Handler)`), with `evictedItem`, `repositoryName`, `reason` and
/// `timestamp` (Unix seconds).
fn evicted(host: &mut dyn Host, repo: &str, row: Value) {
    let now = host.unix_seconds();
    let payload = Value::object(vec![
        (Rc::from("evictedItem"), row),
        (Rc::from("repositoryName"), Value::str(repo)),
        (Rc::from("reason"), Value::str("maxSize")),
        (Rc::from("timestamp"), Value::Float(now)),
    ]);
    host.emit(&format!("{repo} Evicted"), payload);
}

/// `Notify the <target> with <message>` (ARO-0007 §2.4; `Alert`, `Signal`): one
/// `NotificationSent` per item of the target (a list notifies each element, in order; an unbound
/// target notifies nobody) with `message`, `target` (the target's name), the item under the
/// target's name and under `user`.
pub(crate) fn notify(call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    let message = match call.object() {
        Some(o) => match &o.value {
            Some(Value::Str(s)) => Value::Str(s.clone()),
            Some(v) => Value::str(&to_display(v)),
            None => Value::str(o.name),
        },
        None => Value::str(""),
    };
    let target = call.result.name;
    let items: Vec<Value> = match &call.result.value {
        Some(Value::List(l)) => l.iter().cloned().collect(),
        Some(v) => vec![v.clone()],
        None => Vec::new(),
    };
    for item in items {
        let payload = Value::object(vec![
            (Rc::from("message"), message.clone()),
            (Rc::from("target"), Value::str(target)),
            (Rc::from(target), item.clone()),
            (Rc::from("user"), item),
        ]);
        host.emit("NotificationSent", payload);
    }
    Ok(Outcome::Nothing)
}

/// `Store the <x> into the <name-repository>`: lists store element by element; observers fire.
pub(crate) fn store(call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    // `Store the <saved: item> into ...` stores `item` and binds `saved`.
    let value = match call.result.spec() {
        Some(_) => call
            .result
            .spec_value
            .clone()
            .or_else(|| call.result.value.clone()),
        None => call.result.value.clone(),
    }
    .ok_or_else(|| ActionError::new(format!("Undefined variable: '{}'", call.result.name)))?;
    let repo = call
        .object()
        .map(|o| o.name)
        .filter(|n| n.ends_with("-repository"))
        .ok_or_else(|| ActionError::new("Store needs a <name-repository> target"))?;
    let items: SmallVec<[Value; 1]> = match &value {
        Value::List(l) => l.iter().cloned().collect(),
        _ => smallvec::smallvec![value.clone()],
    };
    let mut last = Value::Null;
    let observed = host.observes(repo);
    for item in items {
        // An id is made only for an object that brings none (most stores in a hot loop do).
        let id = matches!(&item, Value::Object(o) if o.get("id").is_none()).then(|| host.new_id());
        let (stored, change, old) = host.repos().store(repo, item, || id.unwrap_or_default());
        if change == Change::Created {
            if let Some(gone) = host.repos().evict_over_limit(repo) {
                evicted(host, repo, gone);
            }
        }
        let kind = match change {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Unchanged => {
                last = stored;
                continue;
            }
        };
        if !observed {
            last = stored; // nobody listens: no change record to build
            continue;
        }
        let ev = Value::object(vec![
            (Rc::from("repositoryName"), Value::str(repo)),
            (Rc::from("changeType"), Value::str(kind)),
            (
                Rc::from("entityId"),
                stored.member("id").unwrap_or_default(),
            ),
            (Rc::from("newValue"), stored.clone()),
            (Rc::from("oldValue"), old.unwrap_or_default()),
            (Rc::from("timestamp"), Value::str(&host.now())),
        ]);
        host.repo_changed(repo, ev);
        last = stored;
    }
    match call.result.spec() {
        Some(_) => Ok(Outcome::Bind(last)),
        None => Ok(Outcome::Nothing),
    }
}

/// `Broadcast the <x> to the <websocket>` / `to the <socket-server>`.
pub(crate) fn broadcast(call: &Call) -> Result<Outcome, ActionError> {
    let payload = call.result.require()?;
    // The reference's rule: a target containing `websocket` (or `ws`) means WebSocket clients,
    // anything else (`<socket-server>`, `<socket>`, ...) the TCP socket servers' clients.
    let name = call
        .object()
        .map_or("websocket", |o| o.name)
        .to_ascii_lowercase();
    let req = if name.contains("websocket") || name == "ws" {
        crate::action::IoRequest::WsBroadcast { payload }
    } else {
        crate::action::IoRequest::TcpBroadcast { payload }
    };
    Ok(Outcome::Suspend(req, Value::Null))
}

/// `Send the <x> to the <websocket-connection: id>` / `to the <connection>`.
pub(crate) fn send(call: &Call) -> Result<Outcome, ActionError> {
    let payload = call.result.require()?;
    let target = call
        .object()
        .ok_or_else(|| ActionError::new("Send needs a target: Send the <x> to the <connection>"))?;
    let id = super::server::connection_id(target)
        .ok_or_else(|| ActionError::new(format!("'{}' names no connection", target.name)))?;
    Ok(Outcome::Suspend(
        crate::action::IoRequest::SendTo { id, payload },
        Value::Null,
    ))
}

/// `Then the <x> with <expected>` / `Assert the <x> is <expected>` (ARO-0015 tests): equality.
pub(crate) fn assert(call: &Call) -> Result<Outcome, ActionError> {
    let actual =
        call.result.value.clone().ok_or_else(|| {
            ActionError::new(format!("Undefined variable: '{}'", call.result.name))
        })?;
    let expected = call.object_value()?;
    if crate::value::equals(&actual, &expected) {
        Ok(Outcome::Nothing)
    } else {
        // The reference's wording (ARO-0015): `Expected sum to be 8, but was 7`.
        Err(ActionError::new(format!(
            "Expected {} to be {}, but was {}",
            call.result.name,
            crate::value::to_display(&expected),
            crate::value::to_display(&actual)
        )))
    }
}

/// `Include the <template: path> [with {...}]` inside a template: renders and appends.
pub(crate) fn include(call: &Call) -> Result<Outcome, ActionError> {
    let path = call.result.specs.join(".");
    if call.result.name != "template" || path.is_empty() {
        return Err(ActionError::new("Include needs <template: path>"));
    }
    Ok(Outcome::Suspend(
        crate::action::IoRequest::Render {
            path,
            with: call.clause(&["with"]).and_then(|o| o.value.clone()),
            append: true,
        },
        Value::Null,
    ))
}
