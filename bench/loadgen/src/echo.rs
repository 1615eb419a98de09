//! The `echo` scenario and the round-trip loop it shares with `tcp-echo`.

use crate::clients::{connect_all, frames, handshake_all, poll_read, reregister, send_all, Client};
use crate::frames::masked_text;
use crate::stats::percentile;
use mio::{Events, Poll};
use std::io::Write;
use std::time::{Duration, Instant};

/// `conns` WebSocket connections on `/echo`, each sending `ping` and waiting for its echo,
/// until `seconds` pass. Prints round trips/s and p50/p99 round-trip time.
pub(crate) fn echo(port: u16, conns: usize, seconds: u64) {
    let mut poll = Poll::new().expect("poll");
    let mut clients = connect_all(&poll, port, conns, 0);
    handshake_all(&mut poll, &mut clients, "/echo");
    reregister(&poll, &mut clients);
    let ping = masked_text(b"ping");
    let (rate, p50, p99) = echo_loop(&mut poll, &mut clients, seconds, &ping, frames);
    println!("echo conns={conns} round_trips_per_s={rate:.0} p50_us={p50:.0} p99_us={p99:.0}");
}

/// Every client sends `msg`, and sends it again each time `replies` pops an answer, until
/// `seconds` pass. Returns round trips per second and the p50/p99 round-trip time in µs.
pub(crate) fn echo_loop(
    poll: &mut Poll,
    clients: &mut [Client],
    seconds: u64,
    msg: &[u8],
    replies: impl Fn(&mut Client) -> usize,
) -> (f64, f64, f64) {
    let mut sent_at = vec![Instant::now(); clients.len()];
    for (c, at) in clients.iter_mut().zip(sent_at.iter_mut()) {
        send_all(&mut c.s, msg);
        *at = Instant::now();
    }
    let start = Instant::now();
    let mut events = Events::with_capacity(4096);
    let mut trips = 0u64;
    let mut latencies = Vec::new();
    while start.elapsed() < Duration::from_secs(seconds) {
        poll_read(
            poll,
            &mut events,
            clients,
            Duration::from_millis(100),
            |i, c| {
                for _ in 0..replies(c) {
                    trips += 1;
                    latencies.push(sent_at[i].elapsed().as_secs_f64() * 1e6);
                    let _ = c.s.write_all(msg);
                    sent_at[i] = Instant::now();
                }
            },
        );
    }
    (
        trips as f64 / start.elapsed().as_secs_f64(),
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.99),
    )
}
