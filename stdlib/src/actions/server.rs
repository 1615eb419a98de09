//! Server and lifecycle actions on the console: Sleep and Keepalive suspend the fiber (never block);
//! Start/Stop/Close/Connect need the reactor, which console apps do not have.

use crate::action::{ActionError, Call, IoRequest, Outcome};
use crate::value::Value;
use std::rc::Rc;

/// `Sleep the <p> for 2 seconds.` → suspends; binds `{slept: N}`.
pub(crate) fn sleep(call: &Call) -> Result<Outcome, ActionError> {
    let amount = call
        .with_value()
        .and_then(|v| v.as_f64())
        .or_else(|| {
            call.object()
                .and_then(|o| o.value.as_ref())
                .and_then(|v| v.as_f64())
        })
        .unwrap_or(1.0);
    let unit = call
        .clause(&["unit"])
        .map(|o| o.name)
        .unwrap_or_else(|| call.object().map_or("seconds", |o| o.name));
    let factor = match unit {
        "ms" | "millisecond" | "milliseconds" => 1.0,
        "minute" | "minutes" | "min" => 60_000.0,
        "hour" | "hours" | "h" => 3_600_000.0,
        _ => 1000.0,
    };
    let ms = (amount * factor).max(0.0) as u64;
    let raw = if amount.fract() == 0.0 {
        Value::Int(amount as i64)
    } else {
        Value::Float(amount)
    };
    Ok(Outcome::Suspend(
        IoRequest::Sleep(ms),
        Value::object(vec![(Rc::from("slept"), raw)]),
    ))
}

/// `Keepalive the <application> for the <events>.`
pub(crate) fn keepalive(_call: &Call) -> Result<Outcome, ActionError> {
    Ok(Outcome::Suspend(IoRequest::Keepalive, Value::Null))
}

/// `Start the <http-server> with <contract>` / `with { port: N }`: asks the reactor to listen.
pub(crate) fn start(call: &Call) -> Result<Outcome, ActionError> {
    let target = call.result.name;
    if target != "http-server" {
        return Err(ActionError::new(format!(
            "Unknown server '{target}' (arovm starts: http-server)"
        )));
    }
    let port = call
        .clauses
        .iter()
        .filter_map(|(_, o)| o.value.as_ref())
        .find_map(|v| v.member("port"))
        .or_else(|| call.clause(&["on", "at"]).and_then(|o| o.value.clone()))
        .and_then(|p| p.as_i64())
        .and_then(|p| u16::try_from(p).ok());
    let config = call
        .clauses
        .iter()
        .filter_map(|(_, o)| o.value.as_ref())
        .find(|v| matches!(v, Value::Object(_)))
        .cloned();
    Ok(Outcome::Suspend(
        IoRequest::StartHttp { port, config },
        Value::Null,
    ))
}

/// `Stop the <http-server>`.
pub(crate) fn stop(call: &Call) -> Result<Outcome, ActionError> {
    match call.result.name {
        "http-server" => Ok(Outcome::Suspend(IoRequest::StopHttp, Value::Null)),
        other => Err(ActionError::new(format!("Unknown server '{other}'"))),
    }
}

/// The connection id an operand names: `<websocket-connection: id>` (the current connection's),
/// a variable holding an id string, or an object with `id`/`connectionId`.
pub(crate) fn connection_id(o: &crate::action::Operand) -> Option<String> {
    let v = o.value.as_ref().or(o.spec_value.as_ref())?;
    match v {
        Value::Str(s) => Some(s.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Object(obj) => obj
            .get("id")
            .or_else(|| obj.get("connectionId"))
            .map(crate::value::to_display),
        _ => None,
    }
}

/// `Close the <websocket-connection: id>` / `Close the <connection>`.
pub(crate) fn close(call: &Call) -> Result<Outcome, ActionError> {
    let id = connection_id(&call.result)
        .ok_or_else(|| ActionError::new(format!("'{}' names no connection", call.result.name)))?;
    Ok(Outcome::Suspend(IoRequest::WsClose { id }, Value::Null))
}

/// Connect: arrives with TCP sockets.
pub(crate) fn server(call: &Call) -> Result<Outcome, ActionError> {
    Err(ActionError::new(format!(
        "'{}' needs sockets, which this arovm build does not include yet",
        call.verb
    )))
}
