//! Event recording and replay: `--record FILE` writes the run's domain events as the
//! reference's JSON document; `--replay FILE` publishes them again after start-up, so the same
//! handlers run with the same payloads; a broken recording is a start-up error (exit 3).

mod common;

use common::*;

const APP: &str = r#"(Application-Start: Shop) {
    Extract the <all> from the <parameter>.
    Emit a <OrderPlaced: event> with { id: 1, total: 20 } when <all> contains "live".
    Emit a <OrderPlaced: event> with { id: 2, items: ["a", "b"] } when <all> contains "live".
    Log "started" to the <console>.
    Return an <OK: status> for the <startup>.
}

(Count Order: OrderPlaced Handler) {
    Extract the <id> from the <event: id>.
    Log "order ${<id>}" to the <console>.
    Return an <OK: status> for the <event>.
}
"#;

#[test]
fn a_recorded_run_replays_its_events_through_the_same_handlers() {
    let dir = app("record-replay", &[("main.aro", APP)]);
    let file = dir.join("events.json");
    let (d, f) = (dir.to_str().unwrap(), file.to_str().unwrap());
    let (code, out, err) = run_to_end(&["run", d, "--live", "--record", f], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("[Count Order] order 1\n[Count Order] order 2\n"),
        "{out}"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(doc["version"], "1.0");
    assert_eq!(doc["application"], "Shop");
    let events = doc["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["eventType"], "domain");
    let payload: serde_json::Value =
        serde_json::from_str(events[1]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["domainEventType"], "OrderPlaced");
    assert_eq!(payload["data"]["items"][1], "b");

    // Without --live the app emits nothing itself: the replayed events drive the handlers.
    let (code, out, err) = run_to_end(&["run", d, "--replay", f], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "[Application-Start] started\n[Count Order] order 1\n[Count Order] order 2\n[OK] startup\n"
    );
}

#[test]
fn a_broken_recording_is_a_start_up_error() {
    let dir = app("replay-broken", &[("main.aro", APP)]);
    let file = dir.join("bad.json");
    std::fs::write(&file, "{\"events\": 3}").unwrap();
    let (code, out, err) = run_to_end(
        &[
            "run",
            dir.to_str().unwrap(),
            "--replay",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 3, "{out}");
    assert!(
        err.contains("--replay") && err.contains("no \"events\" list"),
        "{err}"
    );
    assert!(out.is_empty(), "nothing runs: {out}");
}
