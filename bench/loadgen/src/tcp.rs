//! The raw TCP scenarios: `tcp-broadcast` and `tcp-echo`, one line per message.

use crate::clients::{connect_all, poll_read, reregister, send_all, Client};
use crate::echo::echo_loop;
use crate::stats::percentile;
use mio::{Events, Poll};
use std::time::{Duration, Instant};

/// Raw TCP clients (no handshake): `tcp-broadcast` counts the lines every client receives after
/// one client sends a `B...` line; `tcp-echo` counts echoed lines.
fn tcp_clients(poll: &Poll, port: u16, n: usize) -> Vec<Client> {
    let mut v = connect_all(poll, port, n, 0);
    for c in v.iter_mut() {
        c.upgraded = true;
    }
    // Let the server accept every connection before the first message.
    std::thread::sleep(Duration::from_millis(300 + n as u64));
    v
}

/// Pops the complete lines from the buffer; returns how many there were.
fn lines(c: &mut Client) -> usize {
    let n = c.buf.iter().filter(|&&b| b == b'\n').count();
    if let Some(last) = c.buf.iter().rposition(|&b| b == b'\n') {
        c.buf.drain(..=last);
    }
    n
}

/// Sends `B probe K` lines from client `from` until one reaches every client (at most 10 s),
/// as [`settle`](crate::clients::settle) does for WebSocket: the server may not have taken every connection into its
/// broadcast yet (the fixed wait of [`tcp_clients`] is short on a busy machine). True when one
/// did; what the clients read is dropped.
fn tcp_settle(poll: &mut Poll, clients: &mut [Client], from: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = Events::with_capacity(4096);
    let mut got = vec![false; clients.len()];
    let mut probe = 0u64;
    while Instant::now() < deadline {
        let line = format!("B probe {probe}\n");
        send_all(&mut clients[from].s, line.as_bytes());
        got.iter_mut().for_each(|g| *g = false);
        let mut n = 0;
        let wait = Instant::now() + Duration::from_millis(200);
        while n < clients.len() && Instant::now() < wait {
            poll_read(
                poll,
                &mut events,
                clients,
                Duration::from_millis(20),
                |i, c| {
                    if !got[i] && c.buf.windows(line.len()).any(|w| w == line.as_bytes()) {
                        got[i] = true;
                        n += 1;
                    }
                    lines(c);
                },
            );
        }
        if n == clients.len() {
            return true;
        }
        probe += 1;
    }
    false
}

/// One sender and `receivers` other raw TCP clients; each round one `B hello` line, awaited on
/// every client (the sender's copy too), until `seconds` pass. Prints deliveries/s, p50/p99.
pub(crate) fn tcp_broadcast(port: u16, receivers: usize, seconds: u64) {
    let mut poll = Poll::new().expect("poll");
    let mut clients = tcp_clients(&poll, port, receivers + 1);
    reregister(&poll, &mut clients);
    let mut stalled = !tcp_settle(&mut poll, &mut clients, receivers);
    let start = Instant::now();
    let mut events = Events::with_capacity(4096);
    let (mut deliveries, mut rounds) = (0u64, 0u64);
    let mut latencies = Vec::new();
    while start.elapsed() < Duration::from_secs(seconds) {
        let t0 = Instant::now();
        send_all(&mut clients[receivers].s, b"B hello\n");
        let mut got = 0;
        let deadline = Instant::now() + Duration::from_secs(10);
        while got < receivers + 1 && Instant::now() < deadline {
            poll_read(
                &mut poll,
                &mut events,
                &mut clients,
                Duration::from_millis(100),
                |_, c| {
                    let n = lines(c);
                    for _ in 0..n {
                        latencies.push(t0.elapsed().as_secs_f64() * 1e6);
                    }
                    got += n;
                },
            );
        }
        stalled |= got < receivers + 1;
        deliveries += got as u64;
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "tcp-broadcast receivers={} rounds={rounds} deliveries_per_s={:.0} p50_us={:.0} p99_us={:.0}{}",
        receivers + 1,
        deliveries as f64 / secs,
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.99),
        if stalled { " stalled=1" } else { "" }
    );
}

/// `conns` raw TCP connections, each sending a line and waiting for its echo, until `seconds`
/// pass. Prints round trips/s and p50/p99 round-trip time.
pub(crate) fn tcp_echo(port: u16, conns: usize, seconds: u64) {
    let mut poll = Poll::new().expect("poll");
    let mut clients = tcp_clients(&poll, port, conns);
    reregister(&poll, &mut clients);
    let (rate, p50, p99) = echo_loop(&mut poll, &mut clients, seconds, b"echo\n", lines);
    println!("tcp-echo conns={conns} round_trips_per_s={rate:.0} p50_us={p50:.0} p99_us={p99:.0}");
}
