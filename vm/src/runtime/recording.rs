//! Event recording and replay (the Guide's event bus chapter): `--record FILE` writes the
//! domain events a run emitted as the reference's JSON document; `--replay FILE` publishes a
//! recording's domain events again after `Application-Start` begins. Text in, text out: the
//! driver and the CLI read and write the file.

use arovm_stdlib::value::{from_json, to_json, Value};

/// At most this many events are kept in a recording; later ones are counted, not kept.
pub const MAX_RECORDED_EVENTS: usize = 100_000;

/// A recording in progress: (timestamp, event name, payload) in emission order.
#[derive(Debug, Default)]
pub struct Recording {
    /// The recorded events.
    pub events: Vec<(String, String, Value)>,
    /// Events past [`MAX_RECORDED_EVENTS`], dropped.
    pub dropped: usize,
}

impl Recording {
    /// Records one emitted domain event.
    pub fn push(&mut self, at: String, event: &str, payload: &Value) {
        if self.events.len() < MAX_RECORDED_EVENTS {
            self.events.push((at, event.to_string(), payload.clone()));
        } else {
            self.dropped += 1;
        }
    }

    /// The JSON document: `version`, `application`, `recorded`, and per event `timestamp`,
    /// `eventType` (`domain`) and `payload` (a JSON text `{domainEventType, data}`).
    pub fn to_document(&self, application: &str, recorded: &str) -> String {
        let events: Vec<serde_json::Value> = self
            .events
            .iter()
            .map(|(at, name, payload)| {
                let inner = format!(
                    "{{\"domainEventType\":{},\"data\":{}}}",
                    serde_json::Value::String(name.clone()),
                    to_json(payload)
                );
                serde_json::json!({ "timestamp": at, "eventType": "domain", "payload": inner })
            })
            .collect();
        let doc = serde_json::json!({
            "version": "1.0",
            "application": application,
            "recorded": recorded,
            "events": events,
        });
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    }
}

/// The domain events of a recording, in order: (event name, payload). Events of other types
/// (the reference's system events) are skipped; anything malformed is an error naming it.
pub fn domain_events(text: &str) -> Result<Vec<(String, Value)>, String> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not a JSON recording: {e}"))?;
    let events = doc
        .get("events")
        .and_then(|e| e.as_array())
        .ok_or("no \"events\" list")?;
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if e.get("eventType").and_then(|t| t.as_str()) != Some("domain") {
            continue;
        }
        let payload = e
            .get("payload")
            .and_then(|p| p.as_str())
            .ok_or_else(|| format!("event {i}: no \"payload\" text"))?;
        let inner: serde_json::Value = serde_json::from_str(payload)
            .map_err(|err| format!("event {i}: payload is not JSON: {err}"))?;
        let name = inner
            .get("domainEventType")
            .and_then(|n| n.as_str())
            .ok_or_else(|| format!("event {i}: no \"domainEventType\""))?;
        let data = inner
            .get("data")
            .map_or("null".to_string(), |d| d.to_string());
        let value = from_json(&data).unwrap_or(Value::Null);
        out.push((name.to_string(), value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recording_replays_as_the_same_events() {
        let mut r = Recording::default();
        let order = from_json(r#"{"id": 7, "items": ["a", "b"], "note": "x\"y"}"#).unwrap();
        r.push("2026-12-07T10:00:00Z".into(), "OrderPlaced", &order);
        r.push("2026-12-07T10:00:01Z".into(), "Ping", &Value::Null);
        let doc = r.to_document("Shop", "2026-12-07T10:00:02Z");
        let back = domain_events(&doc).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].0, "OrderPlaced");
        assert_eq!(to_json(&back[0].1), to_json(&order));
        assert_eq!(back[1].0, "Ping");
        assert!(doc.contains("\"eventType\": \"domain\""));
    }

    #[test]
    fn malformed_recordings_are_errors_and_system_events_are_skipped() {
        assert!(domain_events("nope").is_err());
        assert!(domain_events("{}").is_err());
        let doc = r#"{"events":[{"eventType":"system","payload":"{}"},
            {"eventType":"domain","payload":"{\"data\":1}"}]}"#;
        assert!(domain_events(doc).unwrap_err().contains("domainEventType"));
        let skipped = r#"{"events":[{"eventType":"system","payload":"x"}]}"#;
        assert!(domain_events(skipped).unwrap().is_empty());
    }
}
