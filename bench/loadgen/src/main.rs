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

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

fn upgrade(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n").into_bytes()
}

struct Client {
    s: TcpStream,
    buf: Vec<u8>,
    upgraded: bool,
}

fn masked_text(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x81u8];
    if payload.len() < 126 {
        f.push(0x80 | payload.len() as u8);
    } else {
        f.push(0x80 | 126);
        f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    let key = [1u8, 2, 3, 4];
    f.extend_from_slice(&key);
    f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    f
}

/// Calls `f` with the payload of every complete text or binary frame in the buffer (after the
/// handshake head), removes them from the buffer and returns how many there were. No copies.
fn each_frame(c: &mut Client, mut f: impl FnMut(&[u8])) -> usize {
    if !c.upgraded {
        match c.buf.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(i) => {
                c.buf.drain(..i + 4);
                c.upgraded = true;
            }
            None => return 0,
        }
    }
    let (mut done, mut n) = (0, 0);
    loop {
        let b = &c.buf[done..];
        if b.len() < 2 {
            break;
        }
        let (len, at) = match b[1] & 0x7f {
            126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
            127 if b.len() >= 10 => {
                let mut l = [0u8; 8];
                l.copy_from_slice(&b[2..10]);
                (u64::from_be_bytes(l) as usize, 10)
            }
            126 | 127 => break,
            l => (l as usize, 2),
        };
        if b.len() < at + len {
            break;
        }
        if matches!(b[0] & 0x0f, 1 | 2) {
            f(&b[at..at + len]);
            n += 1;
        }
        done += at + len;
    }
    c.buf.drain(..done);
    n
}

/// Pops the complete text or binary frames from the buffer; returns how many there were.
fn frames(c: &mut Client) -> usize {
    each_frame(c, |_| {})
}

fn connect_all(poll: &Poll, port: u16, n: usize, base: usize) -> Vec<Client> {
    let addr = ([127, 0, 0, 1], port).into();
    (0..n)
        .map(|i| {
            let mut s = TcpStream::connect(addr).expect("connect");
            poll.registry()
                .register(
                    &mut s,
                    Token(base + i),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .expect("register");
            Client {
                s,
                buf: Vec::new(),
                upgraded: false,
            }
        })
        .collect()
}

/// Drives the handshakes until every client is upgraded (bounded by 60 s).
fn handshake_all(poll: &mut Poll, clients: &mut [Client], path: &str) {
    let req = upgrade(path);
    let mut sent = vec![false; clients.len()];
    let mut events = Events::with_capacity(4096);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut done = 0;
    while done < clients.len() && Instant::now() < deadline {
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .expect("poll");
        for ev in events.iter() {
            let i = ev.token().0;
            let Some(c) = clients.get_mut(i) else {
                continue;
            };
            if ev.is_writable() && !sent[i] && c.s.write_all(&req).is_ok() {
                sent[i] = true;
            }
            if ev.is_readable() && !c.upgraded {
                read_into(c);
                frames(c);
                if c.upgraded {
                    done += 1;
                }
            }
        }
    }
    for c in clients.iter_mut() {
        let _ = poll
            .registry()
            .reregister(&mut c.s, Token(usize::MAX), Interest::READABLE);
    }
}

thread_local! {
    /// The read buffer, zeroed once (not at every read).
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 65536]);
}

/// Appends what the socket has to the client's buffer. A short read ends the pass (mio is
/// edge-triggered: more data later brings a new event), which saves the `EAGAIN` read.
fn read_into(c: &mut Client) {
    SCRATCH.with_borrow_mut(|buf| loop {
        match c.s.read(buf) {
            Ok(0) => return,
            Ok(n) => {
                c.buf.extend_from_slice(&buf[..n]);
                if n < buf.len() {
                    return;
                }
            }
            Err(_) => return,
        }
    })
}

fn reregister(poll: &Poll, clients: &mut [Client]) {
    for (i, c) in clients.iter_mut().enumerate() {
        let _ = poll
            .registry()
            .reregister(&mut c.s, Token(i), Interest::READABLE);
    }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[((v.len() - 1) as f64 * p) as usize]
}

/// Microseconds since `origin`, the sender's timestamp carried in each payload.
fn micros(origin: Instant) -> u64 {
    origin.elapsed().as_micros() as u64
}

/// The number after `key` (`"t":`, the sender's timestamp, or `"seq":`, the message number) in
/// a JSON payload, without allocating.
fn number(payload: &[u8], key: &[u8]) -> Option<u64> {
    let at = payload.windows(key.len()).position(|w| w == key)? + key.len();
    let digits = &payload[at..];
    let end = digits
        .iter()
        .position(|d| !d.is_ascii_digit())
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    Some(
        digits[..end]
            .iter()
            .fold(0u64, |v, d| v.wrapping_mul(10) + u64::from(d - b'0')),
    )
}

/// Sends probe messages (`{"probe":K}`, no `seq`) from client `from` until one reaches every
/// client, at most 10 s; true when one did. A server may add a connection to its broadcast set a
/// moment after it answered the handshake (hyper hands the upgraded connection to a new task):
/// a measured message sent before that would never reach every client. Each connection's
/// frames arrive in order, so once every client has probe K no earlier probe is on its way.
fn settle(poll: &mut Poll, clients: &mut [Client], from: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = Events::with_capacity(4096);
    let mut got = vec![false; clients.len()];
    let mut probe = 0u64;
    while Instant::now() < deadline {
        let msg = format!("{{\"probe\":{probe}}}");
        send_all(&mut clients[from].s, &masked_text(msg.as_bytes()));
        got.iter_mut().for_each(|g| *g = false);
        let mut n = 0;
        let wait = Instant::now() + Duration::from_millis(200);
        while n < clients.len() && Instant::now() < wait {
            poll.poll(&mut events, Some(Duration::from_millis(20)))
                .expect("poll");
            for ev in events.iter() {
                let i = ev.token().0;
                let Some(c) = clients.get_mut(i) else {
                    continue;
                };
                read_into(c);
                each_frame(c, |p| {
                    if number(p, b"\"probe\":") == Some(probe) && !got[i] {
                        got[i] = true;
                        n += 1;
                    }
                });
            }
        }
        if n == clients.len() {
            return true;
        }
        probe += 1;
    }
    false
}

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
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .expect("poll");
        for ev in events.iter() {
            let i = ev.token().0;
            let Some(c) = clients.get_mut(i) else {
                continue;
            };
            read_into(c);
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
        }
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

/// CPU time of this (single-threaded) process so far, in ns (`/proc/self/schedstat`).
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One sender, `receivers` listeners on `/ws`; up to `window` messages in flight. Deliveries
/// count the listeners' receipts; `frames` also the sender's own copy (every frame the server
/// wrote).
fn broadcast(port: u16, receivers: usize, seconds: u64, window: usize) {
    let r = fan_out(port, receivers + 1, seconds, window, Senders::One);
    println!(
        "broadcast receivers={receivers} window={window} messages={} deliveries={} frames={} deliveries_per_s={:.0} p50_us={:.0} p99_us={:.0}{}",
        r.messages,
        r.deliveries,
        r.frames,
        r.deliveries as f64 / r.secs,
        r.p50,
        r.p99,
        extra_fields(&r)
    );
}

/// The chat room: `clients` connections on `/ws` that all send (in turn) and all receive;
/// `window` messages in flight in total. A delivery is one message received by one client, the
/// sender's own copy included.
fn chat(port: u16, clients: usize, seconds: u64, window: usize) {
    let r = fan_out(port, clients, seconds, window, Senders::All);
    println!(
        "chat clients={clients} window={window} messages={} deliveries={} frames={} deliveries_per_s={:.0} p50_us={:.0} p99_us={:.0}{}",
        r.messages,
        r.deliveries,
        r.frames,
        r.deliveries as f64 / r.secs,
        r.p50,
        r.p99,
        extra_fields(&r)
    );
}

/// The server's allocation counters (`arovm_heap_allocations_total`,
/// `arovm_heap_allocated_bytes_total`) from its admin `/metrics`, when `LOADGEN_METRICS_PORT`
/// names the admin port (an `arovm` built with `--features count-allocs`).
fn alloc_counters() -> Option<(u64, u64)> {
    let port: u16 = std::env::var("LOADGEN_METRICS_PORT").ok()?.parse().ok()?;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut text = Vec::new();
    let mut buf = [0u8; 16384];
    while !text.ends_with(b"# EOF\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => text.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&text);
    let value = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    Some((
        value("arovm_heap_allocations_total")?,
        value("arovm_heap_allocated_bytes_total")?,
    ))
}

/// Pops complete HTTP responses (head + Content-Length body) from a buffer; returns how many.
fn responses(buf: &mut Vec<u8>) -> usize {
    let mut n = 0;
    loop {
        let Some(head_end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            return n;
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let len = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if buf.len() < head_end + 4 + len {
            return n;
        }
        buf.drain(..head_end + 4 + len);
        n += 1;
    }
}

/// The WebChat pattern: `listeners` WebSocket clients on `/ws`, and `posters` keep-alive HTTP
/// connections that each POST `/messages` (a JSON body with the send time) and wait for the
/// answer, until SECONDS pass. Prints POST req/s, deliveries/s and p50/p99 delivery latency.
fn post_broadcast(port: u16, listeners: usize, seconds: u64, posters: usize) {
    let mut poll = Poll::new().expect("poll");
    let mut clients = connect_all(&poll, port, listeners, 0);
    handshake_all(&mut poll, &mut clients, "/ws");
    reregister(&poll, &mut clients);
    let addr = ([127, 0, 0, 1], port).into();
    let mut http: Vec<(TcpStream, Vec<u8>)> = (0..posters)
        .map(|i| {
            let mut s = TcpStream::connect(addr).expect("connect");
            poll.registry()
                .register(
                    &mut s,
                    Token(listeners + i),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .expect("register");
            (s, Vec::new())
        })
        .collect();
    let origin = Instant::now();
    let until = origin + Duration::from_secs(seconds);
    let post = |t: u64| {
        let body = format!("{{\"text\":\"hello from the bench\",\"t\":{t}}}");
        format!("POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    };
    let mut started = vec![false; posters];
    let mut events = Events::with_capacity(4096);
    let (mut answered, mut deliveries) = (0u64, 0u64);
    let mut latencies = Vec::new();
    let mut last_progress = Instant::now();
    while Instant::now() < until || last_progress.elapsed() < Duration::from_millis(300) {
        if last_progress.elapsed() > Duration::from_secs(10) {
            break;
        }
        poll.poll(&mut events, Some(Duration::from_millis(50)))
            .expect("poll");
        for ev in events.iter() {
            let i = ev.token().0;
            if i < listeners {
                let c = &mut clients[i];
                read_into(c);
                let got = each_frame(c, |payload| {
                    if let Some(t0) = number(payload, b"\"t\":") {
                        latencies.push(micros(origin).saturating_sub(t0) as f64);
                    }
                });
                if got > 0 {
                    last_progress = Instant::now();
                    deliveries += got as u64;
                }
                continue;
            }
            let k = i - listeners;
            let Some((s, buf)) = http.get_mut(k) else {
                continue;
            };
            if ev.is_writable() && !started[k] {
                started[k] = true;
                let _ = s.write_all(&post(micros(origin)));
            }
            SCRATCH.with_borrow_mut(|tmp| {
                while let Ok(n) = s.read(tmp) {
                    buf.extend_from_slice(&tmp[..n]);
                    if n < tmp.len() {
                        break;
                    }
                }
            });
            let done = responses(buf);
            if done > 0 {
                last_progress = Instant::now();
                answered += done as u64;
                if Instant::now() < until {
                    let _ = s.write_all(&post(micros(origin)));
                }
            }
        }
    }
    let secs = origin.elapsed().as_secs_f64();
    let p50 = percentile(&mut latencies, 0.5);
    let p99 = percentile(&mut latencies, 0.99);
    println!(
        "post-broadcast listeners={listeners} posters={posters} posts_per_s={:.0} deliveries_per_s={:.0} p50_us={p50:.0} p99_us={p99:.0}",
        answered as f64 / secs,
        deliveries as f64 / secs
    );
}

fn echo(port: u16, conns: usize, seconds: u64) {
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
fn echo_loop(
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
        poll.poll(&mut events, Some(Duration::from_millis(100)))
            .expect("poll");
        for ev in events.iter() {
            let i = ev.token().0;
            let Some(c) = clients.get_mut(i) else {
                continue;
            };
            read_into(c);
            for _ in 0..replies(c) {
                trips += 1;
                latencies.push(sent_at[i].elapsed().as_secs_f64() * 1e6);
                let _ = c.s.write_all(msg);
                sent_at[i] = Instant::now();
            }
        }
    }
    (
        trips as f64 / start.elapsed().as_secs_f64(),
        percentile(&mut latencies, 0.5),
        percentile(&mut latencies, 0.99),
    )
}

fn idle(port: u16, conns: usize, hold: u64) {
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

fn lines(c: &mut Client) -> usize {
    let n = c.buf.iter().filter(|&&b| b == b'\n').count();
    if let Some(last) = c.buf.iter().rposition(|&b| b == b'\n') {
        c.buf.drain(..=last);
    }
    n
}

/// Writes all bytes on a non-blocking socket (bounded retries while it is not writable yet).
fn send_all(s: &mut TcpStream, mut buf: &[u8]) {
    for _ in 0..10_000 {
        match s.write(buf) {
            Ok(n) if n == buf.len() => return,
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::NotConnected => {
                std::thread::sleep(Duration::from_millis(1))
            }
            Err(e) => panic!("send: {e}"),
        }
    }
}

/// Sends `B probe K` lines from client `from` until one reaches every client (at most 10 s),
/// as [`settle`] does for WebSocket: the server may not have taken every connection into its
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
            poll.poll(&mut events, Some(Duration::from_millis(20)))
                .expect("poll");
            for ev in events.iter() {
                let i = ev.token().0;
                let Some(c) = clients.get_mut(i) else {
                    continue;
                };
                read_into(c);
                if !got[i] && c.buf.windows(line.len()).any(|w| w == line.as_bytes()) {
                    got[i] = true;
                    n += 1;
                }
                lines(c);
            }
        }
        if n == clients.len() {
            return true;
        }
        probe += 1;
    }
    false
}

fn tcp_broadcast(port: u16, receivers: usize, seconds: u64) {
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
            poll.poll(&mut events, Some(Duration::from_millis(100)))
                .expect("poll");
            for ev in events.iter() {
                let Some(c) = clients.get_mut(ev.token().0) else {
                    continue;
                };
                read_into(c);
                let n = lines(c);
                for _ in 0..n {
                    latencies.push(t0.elapsed().as_secs_f64() * 1e6);
                }
                got += n;
            }
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

fn tcp_echo(port: u16, conns: usize, seconds: u64) {
    let mut poll = Poll::new().expect("poll");
    let mut clients = tcp_clients(&poll, port, conns);
    reregister(&poll, &mut clients);
    let (rate, p50, p99) = echo_loop(&mut poll, &mut clients, seconds, b"echo\n", lines);
    println!("tcp-echo conns={conns} round_trips_per_s={rate:.0} p50_us={p50:.0} p99_us={p99:.0}");
}

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
