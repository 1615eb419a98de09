//! The fan-out scenarios over WebSocket: `broadcast` (one sender) and `chat` (all send).

use crate::clients::{
    connect_all, each_frame, handshake_all, poll_read, reregister, send_all, settle,
};
use crate::frames::masked_text;
use crate::stats::{alloc_counters, cpu_ns, micros, number, percentile};
use mio::{Events, Poll};
use std::time::{Duration, Instant};

/// Who sends in a fan-out run.
#[derive(Clone, Copy, PartialEq)]
enum Senders {
    /// One extra client sends; the others only listen (its own copy is not a delivery).
    One,
    /// Every client sends in turn (round robin) and every client receives every message, its
    /// own included (the chat room).
    All,
}

/// Counts of one fan-out run, with the server's allocations during the load when asked.
struct FanOut {
    messages: u64,
    deliveries: u64,
    frames: u64,
    secs: f64,
    p50: f64,
    p99: f64,
    /// The load client's own CPU time over the run, as a share of one core.
    cpu: Option<f64>,
    /// Not every client got the settling probe, or messages were still missing after 10 s
    /// without progress: the figures are not comparable.
    stalled: bool,
    allocs: Option<(u64, u64)>,
}

/// `clients` connections on `/ws`; messages carry their number and send time and are sent
/// while fewer than `window` are in flight (a message is in flight until every client has it),
/// until `seconds` pass; then the messages still in flight are awaited (at most 10 s without
/// progress). Latency is receive time minus the timestamp in the payload.
fn fan_out(port: u16, clients_n: usize, seconds: u64, window: usize, senders: Senders) -> FanOut {
    let mut poll = Poll::new().expect("poll");
    let mut clients = connect_all(&poll, port, clients_n, 0);
    handshake_all(&mut poll, &mut clients, "/ws");
    reregister(&poll, &mut clients);
    let settled = settle(&mut poll, &mut clients, clients_n - 1);
    let before = alloc_counters();
    let cpu0 = cpu_ns();
    let origin = Instant::now();
    let until = origin + Duration::from_secs(seconds);
    let mut events = Events::with_capacity(4096);
    let mut latencies = Vec::new();
    let (mut deliveries, mut frames_in) = (0u64, 0u64);
    let mut sent = 0u64;
    // Receipts still missing per message in flight, by sequence number.
    let mut missing: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    let fixed_sender = clients_n - 1;
    let mut last_progress = Instant::now();
    loop {
        let now = Instant::now();
        while now < until && missing.len() < window.max(1) {
            let from = match senders {
                Senders::One => fixed_sender,
                Senders::All => (sent % clients_n as u64) as usize,
            };
            let msg = format!("{{\"seq\":{sent},\"t\":{}}}", micros(origin));
            send_all(&mut clients[from].s, &masked_text(msg.as_bytes()));
            missing.insert(sent, clients_n);
            sent += 1;
        }
        if missing.is_empty() || last_progress.elapsed() > Duration::from_secs(10) {
            break;
        }
        poll_read(
            &mut poll,
            &mut events,
            &mut clients,
            Duration::from_millis(100),
            |i, c| {
                let got = each_frame(c, |payload| {
                    let t = micros(origin);
                    let seq = number(payload, b"\"seq\":");
                    if let Some(left) = seq.and_then(|q| missing.get_mut(&q)) {
                        *left -= 1;
                        if *left == 0 {
                            missing.remove(&seq.unwrap_or(0));
                        }
                    }
                    if senders == Senders::All || i != fixed_sender {
                        if let Some(t0) = number(payload, b"\"t\":") {
                            latencies.push(t.saturating_sub(t0) as f64);
                        }
                        deliveries += 1;
                    }
                });
                if got > 0 {
                    frames_in += got as u64;
                    last_progress = Instant::now();
                }
            },
        );
    }
    let stalled = !missing.is_empty();
    let secs = origin.elapsed().as_secs_f64();
    let cpu = cpu_ns()
        .zip(cpu0)
        .map(|(b, a)| b.saturating_sub(a) as f64 / 1e9 / secs);
    let allocs = before
        .zip(alloc_counters())
        .map(|((a0, b0), (a1, b1))| (a1.saturating_sub(a0), b1.saturating_sub(b0)));
    FanOut {
        messages: sent,
        deliveries,
        frames: frames_in,
        secs,
        p50: percentile(&mut latencies, 0.5),
        p99: percentile(&mut latencies, 0.99),
        cpu,
        stalled: stalled || !settled,
        allocs,
    }
}

/// ` client_cpu=F` (the load client's CPU share: near 1.0, the client set the pace),
/// ` stalled=1` when the run stalled, then ` allocs=N alloc_bytes=N` when the server's
/// allocation counters were scraped.
fn extra_fields(r: &FanOut) -> String {
    let mut out = String::new();
    if let Some(c) = r.cpu {
        out += &format!(" client_cpu={c:.2}");
    }
    if r.stalled {
        out += " stalled=1";
    }
    if let Some((n, b)) = r.allocs {
        out += &format!(" allocs={n} alloc_bytes={b}");
    }
    out
}

/// One sender, `receivers` listeners on `/ws`; up to `window` messages in flight. Deliveries
/// count the listeners' receipts; `frames` also the sender's own copy (every frame the server
/// wrote).
pub(crate) fn broadcast(port: u16, receivers: usize, seconds: u64, window: usize) {
    let r = fan_out(port, receivers + 1, seconds, window, Senders::One);
    report(&format!("broadcast receivers={receivers}"), window, &r);
}

/// The chat room: `clients` connections on `/ws` that all send (in turn) and all receive;
/// `window` messages in flight in total. A delivery is one message received by one client, the
/// sender's own copy included.
pub(crate) fn chat(port: u16, clients: usize, seconds: u64, window: usize) {
    let r = fan_out(port, clients, seconds, window, Senders::All);
    report(&format!("chat clients={clients}"), window, &r);
}

/// Prints a fan-out run's line: `head`, then the counts, rates and latencies (`bench/ws.sh`
/// reads these fields).
fn report(head: &str, window: usize, r: &FanOut) {
    println!(
        "{head} window={window} messages={} deliveries={} frames={} deliveries_per_s={:.0} p50_us={:.0} p99_us={:.0}{}",
        r.messages,
        r.deliveries,
        r.frames,
        r.deliveries as f64 / r.secs,
        r.p50,
        r.p99,
        extra_fields(r)
    );
}
