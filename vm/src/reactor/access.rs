//! The reactor's access records: request ids, the client address behind trusted proxies, one
//! access line and the request metrics per answered request, one line and the close metrics per
//! ended WebSocket or TCP connection.

use super::conn::{Conn, Current};
use super::{ConnId, Reactor};
use crate::net::http::forwarded;
use crate::net::http::request::Request;
use crate::telemetry::log::{self, Field};
use crate::telemetry::metrics::{method_label, RequestLabels, RouteLabels, METRICS};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

/// Request ids: a random per-process prefix and a counter (20 hex digits, unique per process
/// and very likely across processes).
pub(super) struct RequestIds {
    prefix: u32,
    next: u64,
}

impl RequestIds {
    pub(super) fn new() -> RequestIds {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let mix = (t ^ (u64::from(std::process::id()) << 32)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        RequestIds {
            prefix: (mix >> 32) as u32,
            next: 1,
        }
    }

    pub(super) fn next(&mut self) -> Rc<str> {
        let n = self.next;
        self.next += 1;
        let mut digits = [0u8; 20];
        let value = (u128::from(self.prefix) << 48) | u128::from(n & 0xffff_ffff_ffff);
        for (i, d) in digits.iter_mut().enumerate() {
            *d = b"0123456789abcdef"[((value >> (4 * (19 - i))) & 0xf) as usize];
        }
        Rc::from(std::str::from_utf8(&digits).unwrap_or("0"))
    }
}

/// Request counters by (route label address, method label address, status); the route's `Arc`
/// is kept so its address stays its own.
pub(super) type RequestMeters = crate::idmap::IdMap<
    (usize, usize, u16),
    (
        Arc<String>,
        prometheus_client::metrics::counter::Counter,
        prometheus_client::metrics::histogram::Histogram,
    ),
>;

/// The label of requests no route matched.
fn unmatched() -> Arc<String> {
    thread_local!(static L: Arc<String> = Arc::new("unmatched".into()));
    L.with(Arc::clone)
}

/// The label of requests that failed before routing (protocol errors, timeouts).
pub(super) fn unparsed() -> Arc<String> {
    thread_local!(static L: Arc<String> = Arc::new("-".into()));
    L.with(Arc::clone)
}

impl Reactor {
    /// Sets the proxies whose `Forwarded`/`X-Forwarded-For` and `X-Request-ID` are believed.
    pub fn set_trusted_proxies(&mut self, trusted: Vec<forwarded::Cidr>) {
        self.trusted = trusted;
    }

    /// Names the route a request was given to (its metrics label).
    pub fn set_route(&mut self, conn: ConnId, route: Arc<String>) {
        if let Some(Some(c)) = self.conns.get_mut(conn.slot) {
            if c.generation == conn.generation {
                if let Some(cur) = c.current.as_mut() {
                    cur.route = Some(route);
                }
            }
        }
    }

    /// A complete request: remembers it for the access line and returns its id and the client's
    /// address.
    pub(super) fn begin_request(&mut self, slot: usize, req: &Request) -> Option<Rc<str>> {
        let c = self.conns.get_mut(slot)?.as_mut()?;
        let peer = c.peer.ip();
        c.client = forwarded::client_address(req, peer, &self.trusted);
        let id = match req.header("x-request-id") {
            Some(v)
                if forwarded::valid_request_id(v) && forwarded::is_trusted(peer, &self.trusted) =>
            {
                Rc::from(v)
            }
            _ => self.ids.next(),
        };
        // The connection's previous record is reused (its strings keep their capacity): a
        // keep-alive connection allocates none per request.
        let mut cur = c.spare_current.take().unwrap_or_else(|| {
            Box::new(Current {
                method: String::new(),
                path: String::new(),
                id: id.clone(),
                at: self.now,
                route: None,
            })
        });
        cur.method.clear();
        cur.method.push_str(req.method());
        cur.path.clear();
        cur.path.push_str(req.path());
        cur.id = id.clone();
        cur.at = self.now;
        cur.route = None;
        c.current = Some(cur);
        Some(id)
    }

    /// The client address of the connection in `slot`.
    pub(super) fn client_of(&self, slot: usize) -> std::net::IpAddr {
        match self.conns.get(slot) {
            Some(Some(c)) => c.client,
            _ => std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        }
    }

    /// A response of `bytes` bytes with `status` was written on `slot`: count it and log it.
    pub(super) fn request_done(&mut self, slot: usize, status: u16, bytes: usize) {
        let Some(Some(c)) = self.conns.get_mut(slot) else {
            return;
        };
        if c.admin {
            return;
        }
        let cur = c.current.take();
        let (method, path, id, at, route) = match &cur {
            Some(r) => (
                r.method.as_str(),
                r.path.as_str(),
                &*r.id,
                r.at,
                r.route.clone().unwrap_or_else(unmatched),
            ),
            None => ("-", "-", "-", self.now, unparsed()),
        };
        let seconds = Instant::now().saturating_duration_since(at).as_secs_f64();
        let label = method_label(method);
        // The counter and histogram of this route/method/status, resolved once (no label
        // hashing per request).
        let key = (
            Arc::as_ptr(&route) as usize,
            label.as_ptr() as usize,
            status,
        );
        let (_, count, histogram) = self.request_meters.entry(key).or_insert_with(|| {
            let count = METRICS.requests.get_or_create_owned(&RequestLabels {
                route: route.clone(),
                method: label,
                status,
            });
            let histogram = METRICS.request_seconds.get_or_create_owned(&RouteLabels {
                route: route.clone(),
            });
            (route.clone(), count, histogram)
        });
        count.inc();
        histogram.observe(seconds);
        if log::access_enabled() {
            log::emit_access(
                "request",
                &[
                    ("remote", Field::Ip(c.client)),
                    ("method", Field::Str(method)),
                    ("path", Field::Str(path)),
                    ("status", Field::Int(i64::from(status))),
                    ("bytes", Field::Int(bytes as i64)),
                    ("duration_ms", Field::Ms(seconds * 1000.0)),
                    ("request_id", Field::Str(id)),
                ],
            );
        }
        if let Some(cur) = cur.filter(|r| r.method.len() + r.path.len() <= 1024) {
            c.spare_current = Some(cur);
        }
    }
}

/// A WebSocket or TCP connection ended: count it by cause and write its access line.
pub(super) fn connection_done(c: &Conn, code: Option<u16>, reason: &str) {
    let cause = match (c.close_cause, code) {
        (Some(cause), _) => cause,
        (None, Some(1000)) | (None, None) => "normal",
        (None, Some(1001)) => "going_away",
        (None, Some(1008)) if reason == "slow consumer" => "slow_consumer",
        (None, Some(1006)) if reason == "ping timeout" => "timeout",
        (None, Some(1006)) => "lost",
        (None, Some(1002 | 1003 | 1007 | 1009)) => "protocol_error",
        (None, Some(_)) => "normal",
    };
    c.meters.closed(cause);
    if !matches!(c.meters.name, "websocket" | "tcp") || !log::access_enabled() {
        return;
    }
    let remote = c.client.to_string();
    let t = c.traffic;
    let duration = c.opened.elapsed().as_secs_f64() * 1000.0;
    let path =
        c.ws.as_ref()
            .map(|w| w.path.to_string())
            .unwrap_or_default();
    let mut fields = vec![
        ("remote", Field::Str(&remote)),
        ("connection_id", Field::Int(c.generation as i64)),
    ];
    if c.ws.is_some() {
        fields.push(("path", Field::Str(&path)));
    }
    fields.extend([
        ("duration_ms", Field::Ms(duration)),
        ("messages_in", Field::Int(t.msgs_in as i64)),
        ("messages_out", Field::Int(t.msgs_out as i64)),
        ("bytes_in", Field::Int(t.bytes_in as i64)),
        ("bytes_out", Field::Int(t.bytes_out as i64)),
    ]);
    if let Some(code) = code {
        fields.push(("close_code", Field::Int(i64::from(code))));
    }
    fields.push(("reason", Field::Str(reason)));
    let msg = if c.ws.is_some() { "websocket" } else { "tcp" };
    log::emit_access(msg, &fields);
}

/// A TLS session failed (a plain-HTTP client on the HTTPS port, a client that does not trust the
/// certificate, a broken record): one access line saying why.
pub(super) fn tls_failed(c: &Conn, e: &std::io::Error) {
    let remote = c.client.to_string();
    let why = e
        .get_ref()
        .map_or_else(|| e.to_string(), ToString::to_string);
    log::emit_access(
        "tls failed",
        &[
            ("remote", Field::Str(&remote)),
            ("connection_id", Field::Int(c.generation as i64)),
            ("error", Field::Str(&why)),
        ],
    );
}
