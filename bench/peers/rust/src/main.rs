//! Rust peer for `make bench`: hyper (http1) + tokio-tungstenite on one current-thread tokio
//! runtime, one port, the same behaviour as bench/apps/chat:
//! GET /hello → {"message":"Hello World"}; POST /messages stores the JSON body in memory,
//! broadcasts it to every /ws client and answers 201 with it (malformed → 400);
//! WebSocket /ws broadcasts every message to every /ws client, /echo echoes. Else 404.
//! Usage: peer-rust HTTP_PORT

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::convert::Infallible;
use std::rc::Rc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::upgrade::Upgraded;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio::task::{spawn_local, LocalSet};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_tungstenite::WebSocketStream;

const HELLO: &[u8] = br#"{"message":"Hello World"}"#;

/// Shared by every task on the single thread.
#[derive(Default)]
struct State {
    /// Outgoing queues of the clients connected on /ws.
    clients: RefCell<HashMap<u64, UnboundedSender<Message>>>,
    next_id: Cell<u64>,
    /// Every message posted to /messages, kept for the whole run.
    messages: RefCell<Vec<Value>>,
}

impl State {
    fn broadcast(&self, msg: &Message) {
        for tx in self.clients.borrow().values() {
            // Payloads are refcounted `Bytes`: the clone does not copy.
            let _ = tx.send(msg.clone());
        }
    }
}

fn main() {
    let port: u16 = match std::env::args().nth(1).map(|p| p.parse()) {
        Some(Ok(p)) => p,
        _ => {
            eprintln!("usage: peer-rust HTTP_PORT");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    LocalSet::new().block_on(&rt, serve(port));
}

async fn serve(port: u16) {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| panic!("bind 127.0.0.1:{port}: {e}"));
    println!("listening on {port}");
    let state = Rc::new(State::default());
    loop {
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                // e.g. EMFILE: back off instead of spinning.
                eprintln!("accept: {e}");
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        spawn_local(async move {
            let svc = service_fn(move |req| handle(req, state.clone()));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        });
    }
}

type Resp = Response<Full<Bytes>>;

fn empty(status: StatusCode) -> Resp {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

fn json(status: StatusCode, body: Bytes) -> Resp {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

async fn handle(req: Request<Incoming>, state: Rc<State>) -> Result<Resp, Infallible> {
    let resp = match (req.method(), req.uri().path()) {
        (&Method::GET, "/hello") => json(StatusCode::OK, Bytes::from_static(HELLO)),
        (&Method::POST, "/messages") => post_message(req, &state).await,
        (&Method::GET, "/ws") => upgrade(req, state, true),
        (&Method::GET, "/echo") => upgrade(req, state, false),
        _ => empty(StatusCode::NOT_FOUND),
    };
    Ok(resp)
}

async fn post_message(req: Request<Incoming>, state: &State) -> Resp {
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return empty(StatusCode::BAD_REQUEST),
    };
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) => return empty(StatusCode::BAD_REQUEST),
    };
    let text = serde_json::to_string(&value).expect("a Value always serializes");
    state.messages.borrow_mut().push(value);
    // One buffer shared by the frames and the response.
    let frame = Utf8Bytes::from(text);
    let body = Bytes::from(frame.clone());
    state.broadcast(&Message::Text(frame));
    json(StatusCode::CREATED, body)
}

/// Answers the handshake with 101 and runs the socket once hyper hands the connection over.
fn upgrade(mut req: Request<Incoming>, state: Rc<State>, broadcast: bool) -> Resp {
    let h = req.headers();
    let is_ws = h
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !is_ws {
        return empty(StatusCode::NOT_FOUND);
    }
    let key = match h.get(header::SEC_WEBSOCKET_KEY) {
        Some(k) if h.get(header::SEC_WEBSOCKET_VERSION).map(|v| v.as_bytes()) == Some(b"13") => k,
        _ => return empty(StatusCode::BAD_REQUEST),
    };
    let accept = derive_accept_key(key.as_bytes());
    let on_upgrade = hyper::upgrade::on(&mut req);
    spawn_local(async move {
        if let Ok(upgraded) = on_upgrade.await {
            let ws =
                WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
            run_socket(ws, state, broadcast).await;
        }
    });
    let mut r = empty(StatusCode::SWITCHING_PROTOCOLS);
    let rh = r.headers_mut();
    rh.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    rh.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    rh.insert(
        header::SEC_WEBSOCKET_ACCEPT,
        HeaderValue::from_str(&accept).expect("base64 is a valid header value"),
    );
    r
}

/// One task writes from the client's queue, this one reads. The default
/// WebSocketConfig (16 MiB frames, 64 MiB messages) accepts 1 MiB payloads.
async fn run_socket(ws: WebSocketStream<TokioIo<Upgraded>>, state: Rc<State>, broadcast: bool) {
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
    let id = broadcast.then(|| {
        let id = state.next_id.get();
        state.next_id.set(id + 1);
        state.clients.borrow_mut().insert(id, tx.clone());
        id
    });
    spawn_local(async move {
        while let Some(msg) = rx.recv().await {
            if sink.feed(msg).await.is_err() {
                return;
            }
            // Queue everything already waiting, then flush once.
            while let Ok(msg) = rx.try_recv() {
                if sink.feed(msg).await.is_err() {
                    return;
                }
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
        let _ = sink.close().await;
    });
    while let Some(Ok(msg)) = stream.next().await {
        match msg {
            Message::Text(_) | Message::Binary(_) => {
                if broadcast {
                    state.broadcast(&msg);
                } else {
                    let _ = tx.send(msg);
                }
            }
            Message::Close(_) => break,
            // Pings are answered by tungstenite itself.
            _ => {}
        }
    }
    if let Some(id) = id {
        state.clients.borrow_mut().remove(&id);
    }
    // With every sender gone the writer drains its queue, closes and ends.
}
