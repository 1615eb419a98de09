//! WebSocket load client for `make bench`, bounded in time and count, loopback only.
//!
//! `arovm-loadgen broadcast PORT RECEIVERS SECONDS [WINDOW]` — RECEIVERS clients listen; one more
//! client sends messages (its send time inside), keeping up to WINDOW (default 1) in flight until
//! every receiver has them, until SECONDS pass. Prints deliveries/s and p50/p99 delivery latency.
//! It also counts the deliveries and every frame received (`frames`, the sender's own copy too).
//! `arovm-loadgen chat PORT CLIENTS SECONDS [WINDOW]` — the chat room: CLIENTS clients on `/ws`
//! (default 16) all send, in turn, and all receive every message (their own too); WINDOW
//! (default 16) messages in flight in total, a message in flight until every client has it.
//! Prints messages sent, deliveries (one message received by one client), deliveries/s, p50/p99.
//! With `LOADGEN_METRICS_PORT=ADMIN_PORT` (an arovm built with `--features count-allocs`),
//! `broadcast` and `chat` also print the server's heap allocations between the end of the
//! handshakes and the last delivery (`allocs=`, `alloc_bytes=`), scraped from `/metrics`.
//! `arovm-loadgen post-broadcast PORT LISTENERS SECONDS [POSTERS]` — LISTENERS WebSocket clients
//! on `/ws` while POSTERS (default 16) keep-alive connections POST `/messages` one at a time (the
//! WebChat pattern: store, then broadcast). Prints POST req/s, deliveries/s, p50/p99 latency.
//! `arovm-loadgen echo PORT CONNS SECONDS` — each connection sends, waits for its echo, repeats.
//! Prints round trips/s and p50/p99 round-trip time.
//! `arovm-loadgen tcp-broadcast SOCKET_PORT RECEIVERS SECONDS` / `tcp-echo SOCKET_PORT CONNS SECONDS`
//! — the same over raw TCP sockets (one line per message).
//! `arovm-loadgen idle PORT CONNS HOLD_SECONDS` — opens CONNS WebSocket connections, prints the
//! time it took, holds them for HOLD_SECONDS.

mod clients;
mod echo;
mod fanout;
mod frames;
mod idle;
mod post_broadcast;
mod stats;
mod tcp;

use echo::echo;
use fanout::{broadcast, chat};
use idle::idle;
use post_broadcast::post_broadcast;
use tcp::{tcp_broadcast, tcp_echo};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let num = |i: usize, d: u64| a.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let port = num(2, 8080) as u16;
    match a.get(1).map(String::as_str) {
        Some("broadcast") => broadcast(
            port,
            num(3, 100) as usize,
            num(4, 5).min(60),
            num(5, 1).clamp(1, 1000) as usize,
        ),
        Some("chat") => chat(
            port,
            num(3, 16).clamp(1, 10_000) as usize,
            num(4, 5).min(60),
            num(5, 16).clamp(1, 1000) as usize,
        ),
        Some("post-broadcast") => post_broadcast(
            port,
            num(3, 100) as usize,
            num(4, 5).min(60),
            num(5, 16).clamp(1, 256) as usize,
        ),
        Some("echo") => echo(port, num(3, 100) as usize, num(4, 5).min(60)),
        Some("idle") => idle(port, num(3, 1000) as usize, num(4, 3).min(60)),
        Some("tcp-broadcast") => tcp_broadcast(port, num(3, 100) as usize, num(4, 5).min(60)),
        Some("tcp-echo") => tcp_echo(port, num(3, 100) as usize, num(4, 5).min(60)),
        _ => eprintln!(
            "usage: arovm-loadgen broadcast|chat|post-broadcast|echo|idle|tcp-broadcast|tcp-echo PORT N SECONDS"
        ),
    }
}
