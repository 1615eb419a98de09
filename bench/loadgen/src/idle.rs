//! The `idle` scenario: many idle WebSocket connections, opened and held.

use crate::clients::{connect_all, handshake_all};
use mio::Poll;
use std::time::{Duration, Instant};

/// Opens `conns` WebSocket connections on `/echo`, prints how many upgraded and how long it
/// took, then holds them for `hold` seconds.
pub(crate) fn idle(port: u16, conns: usize, hold: u64) {
    let mut poll = Poll::new().expect("poll");
    let t = Instant::now();
    let mut clients = connect_all(&poll, port, conns, 0);
    handshake_all(&mut poll, &mut clients, "/echo");
    let ok = clients.iter().filter(|c| c.upgraded).count();
    println!(
        "idle conns={ok} accept_and_upgrade_ms={:.0}",
        t.elapsed().as_secs_f64() * 1000.0
    );
    std::thread::sleep(Duration::from_secs(hold));
}
