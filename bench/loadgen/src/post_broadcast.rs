//! The `post-broadcast` scenario: HTTP POSTs fanned out to WebSocket listeners (WebChat).

use crate::clients::each_frame;
use crate::clients::{connect_all, handshake_all, read_into, reregister, SCRATCH};
use crate::stats::{micros, number, percentile};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

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
pub(crate) fn post_broadcast(port: u16, listeners: usize, seconds: u64, posters: usize) {
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
