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

/// `Listen on port 9000 as <socket-server>.` (ARO-0008 §6.1, also `Await`): starts the TCP
/// socket server on that port, as `Start the <socket-server> on port 9000` does. The
/// reference's other forms (`Listen the <keyboard> to the <stdin>`, `Listen for <events>`) only
/// announce themselves there; here they are an error that says so.
pub(crate) fn listen(call: &Call) -> Result<Outcome, ActionError> {
    if !matches!(call.result.name, "socket-server" | "socketserver") {
        return Err(ActionError::new(format!(
            "{} supports 'Listen on port <N> as <socket-server>' (a TCP socket server); \
             listening as <{}> (keyboard input, events) is not supported",
            call.verb, call.result.name
        )));
    }
    let port = clause_port(call)
        .ok_or_else(|| ActionError::new(format!("{} needs a port: on port <N>", call.verb)))?;
    let port = u16::try_from(port)
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| ActionError::new(format!("Invalid port {port}: use 1 to 65535")))?;
    Ok(Outcome::Suspend(
        IoRequest::StartSocket { port: Some(port) },
        Value::Null,
    ))
}

/// `Start the <http-server> with <contract>` / `with { port: N }`: asks the reactor to listen.
pub(crate) fn start(call: &Call) -> Result<Outcome, ActionError> {
    let target = call.result.name;
    if matches!(target, "socket-server" | "socketserver") {
        let port = clause_port(call).and_then(|p| u16::try_from(p).ok());
        return Ok(Outcome::Suspend(
            IoRequest::StartSocket { port },
            Value::Null,
        ));
    }
    if matches!(target, "file-monitor" | "filemonitor" | "watcher") {
        // `with "./dir"`, `with { directory: "./dir" }` (or `path`), else the current directory.
        let given = call
            .with_value()
            .or_else(|| call.object().and_then(|o| o.value.clone()));
        let path = match &given {
            Some(Value::Str(s)) => s.to_string(),
            Some(v @ Value::Object(_)) => v
                .member("directory")
                .or_else(|| v.member("path"))
                .and_then(|p| p.as_str().map(str::to_string))
                .unwrap_or_else(|| ".".into()),
            _ => ".".into(),
        };
        return Ok(Outcome::Suspend(
            IoRequest::StartMonitor { path },
            Value::Null,
        ));
    }
    if !matches!(target, "http-server" | "httpserver" | "server") {
        return Err(ActionError::new(format!(
            "Unknown server '{target}' (arovm starts: http-server, socket-server, file-monitor)"
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
        "socket-server" | "socketserver" => {
            Ok(Outcome::Suspend(IoRequest::StopSocket, Value::Null))
        }
        "file-monitor" | "filemonitor" | "watcher" => {
            Ok(Outcome::Suspend(IoRequest::StopMonitor, Value::Null))
        }
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
    if matches!(
        call.result.name,
        "socket-server" | "socketserver" | "server"
    ) {
        return Ok(Outcome::Suspend(IoRequest::StopSocket, Value::Null));
    }
    // `Close the <connection> with <id>` closes the id in the clause.
    let operand = match call.object() {
        Some(o) if call.result.name == "connection" && call.result.value.is_none() => o,
        _ => &call.result,
    };
    let id = connection_id(operand)
        .ok_or_else(|| ActionError::new(format!("'{}' names no connection", call.result.name)))?;
    Ok(Outcome::Suspend(IoRequest::CloseConn { id }, Value::Null))
}

/// `Connect the <conn> to the <host> with { port: N }` (or `to <host: "10.0.0.5">`,
/// `to "localhost:9001"`): suspends until connected; binds the connection id.
pub(crate) fn connect(call: &Call) -> Result<Outcome, ActionError> {
    let target = call
        .clauses
        .iter()
        .find(|(w, _)| matches!(*w, "to" | "with" | "on" | "at"))
        .map(|(_, o)| o)
        .ok_or_else(|| {
            ActionError::new("Connect needs a host: Connect the <c> to the <host> with { port: N }")
        })?;
    let mut host = match (&target.value, target.spec()) {
        (_, Some(_)) if target.name == "host" => {
            target.specs.join(".").trim_matches('"').to_string()
        }
        (Some(Value::Str(s)), _) => s.to_string(),
        _ if target.name == "host" => "localhost".to_string(),
        _ => target.name.to_string(),
    };
    let mut port = clause_port(call);
    if let Some((h, p)) = host
        .rsplit_once(':')
        .and_then(|(h, p)| p.parse::<i64>().ok().map(|p| (h.to_string(), p)))
    {
        host = h;
        port = port.or(Some(p));
    }
    let port = port.and_then(|p| u16::try_from(p).ok()).unwrap_or(8080);
    Ok(Outcome::Suspend(
        IoRequest::Connect { host, port },
        Value::Null,
    ))
}

/// The port a clause gives: a bare number or the `port` of an object (`with { port: N }`).
fn clause_port(call: &Call) -> Option<i64> {
    call.clauses
        .iter()
        .filter_map(|(_, o)| o.value.as_ref())
        .find_map(|v| match v {
            Value::Int(i) => Some(*i),
            Value::Object(_) => v.member("port").and_then(|p| p.as_i64()),
            _ => None,
        })
}
