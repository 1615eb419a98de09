//! The `<http-server>` magic object (the reference's `{port, hostname, routes, routeCount}`):
//! before `Start` the contract's port (`ARO_HTTP_PORT` first); after it the port the server
//! listens on, in the starting feature set and in every handler.

mod common;

use common::*;

const APP: &str = r#"(Application-Start: Port Demo) {
    Log "before start " ++ <http-server: port> to the <console>.
    Extract the <before> from the <http-server: port>.
    Publish as <before-start> <before>.
    Start the <http-server> with <contract>.
    Log "listening on " ++ <http-server: port> ++ " with " ++ <http-server: routeCount> ++ " routes" to the <console>.
    Keepalive the <application> for the <events>.
    Return an <OK: status> for the <startup>.
}

(ping: Port Demo) {
    Extract the <port> from the <http-server: port>.
    Extract the <routes> from the <http-server: routes>.
    Return an <OK: status> with { before: <before-start>, port: <port>, routes: <routes> }.
}
"#;

#[test]
fn the_http_server_object_holds_the_listening_port_and_the_routes() {
    let dir = app(
        "http-server-object",
        &[
            ("main.aro", APP),
            (
                "openapi.yaml",
                &contract(&[("/ping", "ping"), ("/other", "ping")]),
            ),
        ],
    );
    // `--port 0` (the tests' flag) picks the real port; before Start the object shows the
    // contract's port, which ARO_HTTP_PORT overrides.
    let s = start(&dir, &[("ARO_HTTP_PORT", "18099")]);
    let want = format!("[Application-Start] listening on {} with 2 routes", s.port);
    let mut seen = Vec::new();
    for _ in 0..50 {
        if let Ok(l) = s.lines.recv_timeout(std::time::Duration::from_millis(100)) {
            seen.push(l);
            if seen.last() == Some(&want) {
                break;
            }
        }
    }
    assert_eq!(seen.last(), Some(&want), "{seen:?}");

    let (status, body) = s.get("/ping");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        // Responses escape `/` as the reference's encoder does.
        format!(
            r#"{{"before":18099,"port":{},"routes":["\/ping","\/other"]}}"#,
            s.port
        )
    );
}
