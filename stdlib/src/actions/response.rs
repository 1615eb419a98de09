//! Response actions (internal → external): Log, Return, Throw, Emit, Store.

use crate::action::{ActionError, Call, Host, Outcome, Response};
use crate::repository::Change;
use crate::value::{to_display, Value};
use std::rc::Rc;

/// `Log <x> to the <console[: error]>`.
pub(crate) fn log(call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    let text = match &call.result.value {
        Some(v) => to_display(v),
        None => call.result.name.to_string(),
    };
    let to_err = call
        .object()
        .is_some_and(|o| o.name == "stderr" || o.spec() == Some("error"));
    host.log(to_err, &text);
    Ok(Outcome::Nothing)
}

/// `Return an <OK: status> for the <reason> [with <data>]`.
pub(crate) fn ret(call: &Call) -> Result<Outcome, ActionError> {
    let mut data = Vec::new();
    let value = call.clause(&["with"]).and_then(|o| o.value.clone());
    if let Some(v) = value.clone() {
        push_data(&mut data, "value", v);
    }
    let reason = match call.object() {
        Some(o) if o.is_expr => "_expression_".to_string(),
        Some(o) => o.name.to_string(),
        None => String::new(),
    };
    if let Some(o) = call.object() {
        if !o.is_expr && !matches!(o.name, "status" | "response" | "application") {
            if let Some(v) = &o.value {
                push_data(&mut data, o.name, v.clone());
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

fn push_data(data: &mut Vec<(String, Value)>, name: &str, v: Value) {
    match v {
        Value::Object(o) => {
            for (k, x) in &o.entries {
                data.push((k.to_string(), x.clone()));
            }
        }
        Value::List(_) => data.push(("data".into(), Value::str(&crate::value::to_json(&v)))),
        other => data.push((name.to_string(), other)),
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

/// `Store the <x> into the <name-repository>`: lists store element by element; observers fire.
pub(crate) fn store(call: &Call, host: &mut dyn Host) -> Result<Outcome, ActionError> {
    let value =
        call.result.value.clone().ok_or_else(|| {
            ActionError::new(format!("Undefined variable: '{}'", call.result.name))
        })?;
    let repo = call
        .object()
        .map(|o| o.name)
        .filter(|n| n.ends_with("-repository"))
        .ok_or_else(|| ActionError::new("Store needs a <name-repository> target"))?;
    let items = match value {
        Value::List(l) => l.iter().cloned().collect(),
        other => vec![other],
    };
    let mut last = Value::Null;
    for item in items {
        let id = host.new_id();
        let (stored, change, old) = host.repos().store(repo, item, || id);
        let kind = match change {
            Change::Created => "created",
            Change::Updated => "updated",
            Change::Unchanged => {
                last = stored;
                continue;
            }
        };
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

/// Network sends (Send, Broadcast, Write) need the reactor.
pub(crate) fn unsupported(call: &Call) -> Result<Outcome, ActionError> {
    Err(ActionError::new(format!(
        "'{}' needs the network reactor, which this arovm build does not include yet",
        call.verb
    )))
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
        Err(ActionError::new(format!(
            "Assertion failed: expected {}, got {}",
            crate::value::to_description(&expected),
            crate::value::to_description(&actual)
        )))
    }
}
