//! `arovm::net::http::router::Router::route` — contract routing, against a router built once
//! (lazily, per thread) from a small app compiled with `arovm_compiler::compile_sources`: literal
//! and `{param}` segments, several methods on one path, an operation without a feature set
//! (WebSocket 101), and a declared array query parameter.
//!
//! Input: `METHOD SP TARGET` (no space: all of it is the path with method GET). The target is
//! routed as the driver does (query stripped, trailing `/` trimmed), and also raw; a handler match
//! then builds the handler's request variables with `request_env`.
#![no_main]

use arovm::loader::Loaded;
use arovm::net::http::content::request_env;
use arovm::net::http::request::Request;
use arovm::net::http::router::{percent_decode, Routed, Router};
use arovm_compiler::bytecode::Resource;
use arovm_compiler::compile_sources;
use libfuzzer_sys::fuzz_target;

const MAIN: &str = r#"(Application-Start: Router Fuzz) {
    Start the <http-server> with <contract>.
    Return an <OK: status> for the <startup>.
}
(listNotes: Notes API) { Return an <OK: status> for the <request>. }
(createNote: Notes API) { Return an <OK: status> for the <request>. }
(getNote: Notes API) { Return an <OK: status> for the <request>. }
(deleteNote: Notes API) { Return an <OK: status> for the <request>. }
(getComment: Notes API) { Return an <OK: status> for the <request>. }
(getUserAvatar: Notes API) { Return an <OK: status> for the <request>. }
(getUser: Notes API) { Return an <OK: status> for the <request>. }
(health: Notes API) { Return an <OK: status> for the <request>. }
(filterTagged: Notes API) { Return an <OK: status> for the <request>. }
"#;

const CONTRACT: &str = r#"openapi: 3.0.3
info:
  title: Router Fuzz
  version: 1.0.0
servers:
  - url: http://localhost:8080
paths:
  /:
    get:
      operationId: health
  /notes:
    get:
      operationId: listNotes
    post:
      operationId: createNote
  /notes/{id}:
    get:
      operationId: getNote
    delete:
      operationId: deleteNote
  /notes/{id}/comments/{cid}:
    get:
      operationId: getComment
  /users/{name}:
    get:
      operationId: getUser
  /users/me/avatar:
    put:
      operationId: getUserAvatar
  /tagged:
    get:
      operationId: filterTagged
      parameters:
        - name: tags
          in: query
          schema:
            type: array
            items:
              type: string
  /ws:
    get:
      operationId: chatSocket
      responses:
        '101':
          description: WebSocket upgrade
"#;

thread_local! {
    static ROUTER: Router = {
        let resources = vec![Resource {
            path: "openapi.yaml".into(),
            bytes: CONTRACT.as_bytes().to_vec(),
        }];
        let program = match compile_sources(vec![("main.aro".into(), MAIN.into())], resources) {
            Ok(p) => p,
            Err(_) => panic!("the router fuzz app does not compile"),
        };
        let router = Router::new(&Loaded::new(program));
        assert!(!router.is_empty());
        router
    };
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (method, target) = text.split_once(' ').unwrap_or(("GET", &text));
    let _ = percent_decode(target, true);
    ROUTER.with(|router| {
        let _ = router.route(method, target);
        let path = target.split('?').next().unwrap_or("/");
        let trimmed = match path.trim_end_matches('/') {
            "" => "/",
            p => p,
        };
        match router.route(method, trimmed) {
            Routed::Handler { params, arrays, .. } => {
                let req = Request::new(method, target, 1, &[("Host", "x")]);
                let _ = request_env(&req, &params, &arrays, "127.0.0.1");
            }
            Routed::MethodNotAllowed(allowed) => assert!(!allowed.is_empty()),
            Routed::Unimplemented(_) | Routed::NotFound => {}
        }
    });
});
