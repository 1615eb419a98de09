//! The process's Prometheus metrics (prometheus-client types, one registry): counters and
//! histograms updated where things happen (reactor, driver), gauges sampled at scrape time
//! (fibers, queues, repositories, process CPU/RSS/fds). Labels have bounded values only: a route
//! is the contract's operationId, never the raw path.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock};

/// A request's labels: the route (operationId, or `unmatched`), method and status code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// operationId of the route; `unmatched` when no route matched, `-` for protocol errors.
    pub route: Arc<String>,
    /// Request method (a known method or `other`).
    pub method: &'static str,
    /// Response status code.
    pub status: u16,
}

/// A route label alone.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// operationId of the route.
    pub route: Arc<String>,
}

/// Connection kind: `http`, `websocket`, `tcp`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// Connection kind.
    pub kind: &'static str,
}

/// Connection kind and direction (`in`, `out`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FlowLabels {
    /// Connection kind.
    pub kind: &'static str,
    /// `in` (received) or `out` (sent).
    pub direction: &'static str,
}

/// Why a connection closed.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CloseLabels {
    /// Connection kind.
    pub kind: &'static str,
    /// `normal`, `slow_consumer`, `protocol_error`, `timeout`, `going_away`, `lost`, `limit`.
    pub reason: &'static str,
}

/// A feature set and its business activity.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FeatureSetLabels {
    /// Feature set name.
    pub feature_set: Arc<String>,
    /// Business activity.
    pub activity: Arc<String>,
}

/// A repository name.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RepositoryLabels {
    /// Repository name.
    pub repository: String,
}

/// A fiber state (`ready`, `suspended`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    /// Fiber state.
    pub state: &'static str,
}

/// Every metric arovm exports.
pub struct Metrics {
    /// HTTP requests answered, by route, method and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Time from a complete request to its response being written, by route.
    pub request_seconds: Family<RouteLabels, Histogram>,
    /// Connections open now, by kind.
    pub open: Family<KindLabels, Gauge>,
    /// Connections accepted or made since start, by kind.
    pub opened: Family<KindLabels, Counter>,
    /// Connections refused at `AROVM_MAX_CONNECTIONS`.
    pub refused: Counter,
    /// WebSocket messages and TCP reads/writes, by kind and direction.
    pub messages: Family<FlowLabels, Counter>,
    /// Bytes on the wire, by kind and direction.
    pub bytes: Family<FlowLabels, Counter>,
    /// Connections closed, by kind and reason.
    pub closed: Family<CloseLabels, Counter>,
    /// Feature set runs that failed (synced at scrape from the `<metrics>` collector).
    pub handler_failures: Family<FeatureSetLabels, Counter>,
    /// Feature set runs that ended (synced at scrape from the `<metrics>` collector).
    pub runs: Family<FeatureSetLabels, Counter>,
    /// Wall time of ended runs, summed (synced at scrape from the `<metrics>` collector).
    pub run_seconds: Family<FeatureSetLabels, Counter<f64, AtomicU64>>,
    /// Fibers by state (sampled at scrape).
    pub fibers: Family<StateLabels, Gauge>,
    /// Output bytes queued on all connections, and on the fullest one (sampled at scrape).
    pub queued_bytes: Gauge,
    /// Output bytes queued on the connection with the most.
    pub queued_bytes_max: Gauge,
    /// WebSocket/TCP events waiting for a handler, all connections (sampled at scrape).
    pub queued_events: Gauge,
    /// Entries per repository (sampled at scrape).
    pub repository_entries: Family<RepositoryLabels, Gauge>,
    /// Process CPU seconds (user + system), sampled at scrape.
    pub cpu_seconds: Gauge<f64, AtomicU64>,
    /// Resident memory in bytes, sampled at scrape.
    pub resident_bytes: Gauge,
    /// Open file descriptors, sampled at scrape.
    pub open_fds: Gauge,
    /// Process start time (Unix seconds).
    pub start_time: Gauge,
    /// 1 when ready (Application-Start finished and not draining).
    pub ready: Gauge,
    registry: Registry,
}

/// Latency buckets in seconds: 0.5 ms to 10 s.
const LATENCY: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY)
}

impl Metrics {
    fn new() -> Metrics {
        let m = Metrics {
            requests: Family::default(),
            request_seconds: Family::new_with_constructor(latency_histogram),
            open: Family::default(),
            opened: Family::default(),
            refused: Counter::default(),
            messages: Family::default(),
            bytes: Family::default(),
            closed: Family::default(),
            handler_failures: Family::default(),
            runs: Family::default(),
            run_seconds: Family::default(),
            fibers: Family::default(),
            queued_bytes: Gauge::default(),
            queued_bytes_max: Gauge::default(),
            queued_events: Gauge::default(),
            repository_entries: Family::default(),
            cpu_seconds: Gauge::default(),
            resident_bytes: Gauge::default(),
            open_fds: Gauge::default(),
            start_time: Gauge::default(),
            ready: Gauge::default(),
            registry: Registry::with_prefix("arovm"),
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        m.start_time.set(now);
        m
    }

    fn register(mut self) -> Metrics {
        let r = &mut self.registry;
        r.register(
            "http_requests",
            "HTTP requests answered",
            self.requests.clone(),
        );
        r.register_with_unit(
            "http_request_duration",
            "Time from a complete request to its response being written",
            Unit::Seconds,
            self.request_seconds.clone(),
        );
        r.register("connections_open", "Open connections", self.open.clone());
        r.register(
            "connections_opened",
            "Connections accepted or made",
            self.opened.clone(),
        );
        r.register(
            "connections_refused",
            "Connections refused at AROVM_MAX_CONNECTIONS",
            self.refused.clone(),
        );
        r.register(
            "connections_closed",
            "Connections closed, by reason",
            self.closed.clone(),
        );
        r.register(
            "messages",
            "WebSocket messages and TCP reads/writes",
            self.messages.clone(),
        );
        r.register_with_unit(
            "transferred",
            "Bytes on the wire",
            Unit::Bytes,
            self.bytes.clone(),
        );
        r.register(
            "handler_failures",
            "Feature set runs that ended with a runtime error",
            self.handler_failures.clone(),
        );
        r.register(
            "feature_set_runs",
            "Feature set runs that ended (the counts of the language's <metrics>)",
            self.runs.clone(),
        );
        r.register_with_unit(
            "feature_set_run",
            "Wall time of ended feature set runs, waits included",
            Unit::Seconds,
            self.run_seconds.clone(),
        );
        r.register("fibers", "Fibers by state", self.fibers.clone());
        r.register_with_unit(
            "output_queued",
            "Output bytes queued on all connections",
            Unit::Bytes,
            self.queued_bytes.clone(),
        );
        r.register_with_unit(
            "output_queued_max",
            "Output bytes queued on the connection with the most",
            Unit::Bytes,
            self.queued_bytes_max.clone(),
        );
        r.register(
            "events_queued",
            "WebSocket/TCP events waiting for a handler",
            self.queued_events.clone(),
        );
        r.register(
            "repository_entries",
            "Entries per repository",
            self.repository_entries.clone(),
        );
        r.register(
            "ready",
            "1 when serving (Application-Start finished, not draining)",
            self.ready.clone(),
        );
        r.register_with_unit(
            "process_cpu",
            "User and system CPU time",
            Unit::Seconds,
            self.cpu_seconds.clone(),
        );
        r.register_with_unit(
            "process_resident_memory",
            "Resident memory",
            Unit::Bytes,
            self.resident_bytes.clone(),
        );
        r.register(
            "process_open_fds",
            "Open file descriptors",
            self.open_fds.clone(),
        );
        r.register_with_unit(
            "process_start_time",
            "Start time since the Unix epoch",
            Unit::Seconds,
            self.start_time.clone(),
        );
        self
    }

    /// The exposition text (OpenMetrics, which Prometheus scrapes) after sampling the process.
    pub fn encode(&self) -> String {
        self.sample_process();
        let mut out = String::with_capacity(8 * 1024);
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Samples CPU time, resident memory and open descriptors.
    fn sample_process(&self) {
        let p = super::process::process_stats();
        self.cpu_seconds.set(p.cpu_user + p.cpu_system);
        self.resident_bytes.set(p.resident_bytes as i64);
        self.open_fds.set(p.open_fds as i64);
    }
}

/// The metrics of this process.
pub static METRICS: LazyLock<Metrics> = LazyLock::new(|| Metrics::new().register());

/// The counters of one connection kind, resolved once: on the hot path an update is one atomic
/// add, with no label lookup.
#[derive(Debug)]
pub struct KindMeters {
    /// `http`, `websocket` or `tcp`.
    pub name: &'static str,
    /// Open connections of this kind.
    pub open: Gauge,
    /// Connections of this kind since start.
    pub opened: Counter,
    /// Bytes read.
    pub bytes_in: Counter,
    /// Bytes written.
    pub bytes_out: Counter,
    /// Messages received (WebSocket messages, TCP reads).
    pub msgs_in: Counter,
    /// Messages queued for sending.
    pub msgs_out: Counter,
}

impl KindMeters {
    fn of(m: &Metrics, kind: &'static str) -> KindMeters {
        // One statement per lookup: a family's read guard lives to the end of its statement,
        // and a second lookup in the same family that must insert would wait for it forever.
        let flow = |direction| FlowLabels { kind, direction };
        let open = m.open.get_or_create(&KindLabels { kind }).clone();
        let opened = m.opened.get_or_create(&KindLabels { kind }).clone();
        let bytes_in = m.bytes.get_or_create(&flow("in")).clone();
        let bytes_out = m.bytes.get_or_create(&flow("out")).clone();
        let msgs_in = m.messages.get_or_create(&flow("in")).clone();
        let msgs_out = m.messages.get_or_create(&flow("out")).clone();
        KindMeters {
            name: kind,
            open,
            opened,
            bytes_in,
            bytes_out,
            msgs_in,
            msgs_out,
        }
    }

    /// Counts a connection closing for `reason`.
    pub fn closed(&self, reason: &'static str) {
        self.open.dec();
        METRICS
            .closed
            .get_or_create(&CloseLabels {
                kind: self.name,
                reason,
            })
            .inc();
    }
}

/// The reactor's per-kind counters.
#[derive(Debug)]
pub struct NetMeters {
    /// Plain HTTP connections.
    pub http: KindMeters,
    /// Upgraded WebSocket connections.
    pub websocket: KindMeters,
    /// Raw TCP socket connections.
    pub tcp: KindMeters,
    /// Connections to the admin listener (kept apart from the app's traffic).
    pub admin: KindMeters,
}

/// The reactor's counters of this process.
pub static NET: LazyLock<NetMeters> = LazyLock::new(|| NetMeters {
    http: KindMeters::of(&METRICS, "http"),
    websocket: KindMeters::of(&METRICS, "websocket"),
    tcp: KindMeters::of(&METRICS, "tcp"),
    admin: KindMeters::of(&METRICS, "admin"),
});

/// The exposition content type.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The bounded label value of a request method.
pub fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_every_family_and_ends_with_eof() {
        let m = Metrics::new().register();
        m.requests
            .get_or_create(&RequestLabels {
                route: Arc::new("listNotes".into()),
                method: "GET",
                status: 200,
            })
            .inc();
        m.request_seconds
            .get_or_create(&RouteLabels {
                route: Arc::new("listNotes".into()),
            })
            .observe(0.002);
        let text = m.encode();
        assert!(text.contains(
            "arovm_http_requests_total{route=\"listNotes\",method=\"GET\",status=\"200\"} 1"
        ));
        assert!(text.contains(
            "arovm_http_request_duration_seconds_bucket{le=\"0.0025\",route=\"listNotes\"} 1"
        ));
        assert!(text.contains("# TYPE arovm_process_cpu_seconds gauge"));
        assert!(text.trim_end().ends_with("# EOF"));
    }
}
