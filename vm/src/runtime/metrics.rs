//! ARO-0044's collector, always on: for every feature set run that ends (Application-Start/End,
//! HTTP, event, WebSocket and socket handlers, observers; not templates, which are part of their
//! caller's run) the count, successes, failures and total/min/max wall time, keyed by feature set.
//! A run costs two clock reads (the fiber's start, its end) and no allocation: the table has one
//! entry per feature set of the program, made at start-up. The process figures (`/proc`) are read
//! only when a text format asks for them. Exporters (an admin `/metrics` endpoint) read
//! [`Metrics::snapshot`], [`Metrics::iter`] or [`Metrics::render`].

use crate::loader::Loaded;
use arovm_stdlib::metrics::{
    check_path, field, format, FeatureSetMetrics, FeatureSetStats, Format, Qualifier, Snapshot,
};
use arovm_stdlib::value::Value;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// One feature set's labels and statistics.
struct Entry {
    name: Rc<str>,
    activity: Rc<str>,
    stats: FeatureSetStats,
}

/// Per-feature-set execution statistics of one application run.
pub struct Metrics {
    /// When the application started (the runtime was created).
    started: Instant,
    /// By feature set index.
    entries: Vec<Entry>,
    /// Indices of the counted feature sets (templates excluded) ordered by name, then activity:
    /// the order every reader sees.
    order: Vec<usize>,
    /// The string id of `metrics` in the program (`None`: no descriptor can name it).
    sym: Option<u32>,
}

impl Metrics {
    /// A collector for `prog`'s feature sets, starting the uptime clock now.
    pub fn new(prog: &Loaded) -> Metrics {
        let sets = &prog.program.feature_sets;
        let entries: Vec<Entry> = sets
            .iter()
            .map(|fs| Entry {
                name: prog.strs[fs.name as usize].clone(),
                activity: prog.strs[fs.activity as usize].clone(),
                stats: FeatureSetStats::default(),
            })
            .collect();
        let mut order: Vec<usize> = (0..entries.len())
            .filter(|&i| !entries[i].name.starts_with("template:"))
            .collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&entries[a], &entries[b]);
            x.name
                .cmp(&y.name)
                .then_with(|| x.activity.cmp(&y.activity))
        });
        Metrics {
            started: Instant::now(),
            entries,
            order,
            sym: prog.sym("metrics"),
        }
    }

    /// Counts one ended run of feature set `fs` (a template's run, or an unknown index, is
    /// not counted).
    pub fn record(&mut self, fs: usize, success: bool, took: Duration) {
        if let Some(e) = self.entries.get_mut(fs) {
            if !e.name.starts_with("template:") {
                e.stats.record(success, took);
            }
        }
    }

    /// Whether the string id `base` is the name `metrics` (one integer comparison: the
    /// interpreter asks for every descriptor it resolves).
    pub fn names_it(&self, base: u32) -> bool {
        self.sym == Some(base)
    }

    /// When the application started.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Time since the application started.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// The statistics of feature set `fs` (all zero before its first run).
    pub fn stats(&self, fs: usize) -> Option<&FeatureSetStats> {
        self.entries.get(fs).map(|e| &e.stats)
    }

    /// Every feature set that ran at least once, as (name, business activity, statistics),
    /// ordered by name. Allocates nothing.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &FeatureSetStats)> + '_ {
        self.order
            .iter()
            .map(|&i| &self.entries[i])
            .filter(|e| e.stats.executions > 0)
            .map(|e| (&*e.name, &*e.activity, &e.stats))
    }

    /// A copy of the statistics now, with the uptime.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            feature_sets: self
                .order
                .iter()
                .map(|&i| &self.entries[i])
                .filter(|e| e.stats.executions > 0)
                .map(|e| FeatureSetMetrics {
                    name: e.name.clone(),
                    activity: e.activity.clone(),
                    stats: e.stats,
                })
                .collect(),
            uptime: self.uptime(),
        }
    }

    /// The metrics as text in format `f`, with the process figures read now. For a Prometheus
    /// endpoint: `render(Format::Prometheus)` plus a final `\n`.
    pub fn render(&self, f: Format) -> String {
        format::render(f, &self.snapshot(), &process_stats())
    }

    /// The value of `<metrics>` with the qualifier path `path` (dotted parts split): bare, the
    /// plain text; a format, its text; a field, its value (the caller applies `path[1..]`).
    /// Err names the supported qualifiers.
    pub fn value(&self, path: &[&str]) -> Result<Value, String> {
        Ok(match check_path(path)? {
            None => Value::str(&self.render(Format::Plain)),
            Some(Qualifier::Format(f)) => Value::str(&self.render(f)),
            Some(Qualifier::Field(name)) => field(&self.snapshot(), name).unwrap_or_default(),
        })
    }
}

pub use crate::telemetry::process::process_stats;

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(src: &str) -> Loaded {
        let program =
            arovm_compiler::compile_sources(vec![("main.aro".into(), src.into())], Vec::new())
                .unwrap_or_else(|_| panic!("compiles"));
        Loaded::new(program)
    }

    const APP: &str = "(Application-Start: Demo) { Return an <OK: status> for the <startup>. }\n\
                       (zeta: Z API) { Return an <OK: status> for the <z>. }\n\
                       (Alpha Handler: Ping Handler) { Return an <OK: status> for the <a>. }\n";

    #[test]
    fn runs_are_counted_per_feature_set_and_listed_by_name() {
        let prog = loaded(APP);
        let mut m = Metrics::new(&prog);
        assert_eq!(m.iter().count(), 0);
        let idx = |name: &str| prog.feature_set(name, None).unwrap_or(usize::MAX);
        m.record(idx("zeta"), true, Duration::from_millis(3));
        m.record(idx("zeta"), false, Duration::from_millis(1));
        m.record(idx("Application-Start"), true, Duration::from_millis(9));
        m.record(usize::MAX, true, Duration::ZERO);
        let seen: Vec<(&str, &str, u64, u64)> = m
            .iter()
            .map(|(n, a, s)| (n, a, s.executions, s.failures))
            .collect();
        assert_eq!(
            seen,
            [("Application-Start", "Demo", 1, 0), ("zeta", "Z API", 2, 1)]
        );
        let snap = m.snapshot();
        assert_eq!(snap.feature_sets.len(), 2);
        assert_eq!(snap.totals().executions, 3);
        assert_eq!(snap.feature_sets[1].stats.min, Duration::from_millis(1));
        assert!(matches!(m.value(&["totalExecutions"]), Ok(Value::Int(3))));
        assert!(m.value(&["short"]).is_ok_and(|v| v
            .as_str()
            .is_some_and(|s| s.starts_with("metrics: 3 executions, 2 featuresets, "))));
        assert!(m.value(&["bogus"]).is_err());
        assert!(m.value(&["table", "length"]).is_err());
    }

    #[test]
    fn process_figures_come_from_proc_on_linux() {
        let p = process_stats();
        if cfg!(target_os = "linux") {
            assert!(
                p.resident_bytes > 0 && p.virtual_bytes >= p.resident_bytes,
                "{p:?}"
            );
            assert!(p.open_fds > 0 && p.max_fds >= p.open_fds, "{p:?}");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            assert!(p.start_time > 1e9 && p.start_time <= now + 1.0, "{p:?}");
        }
    }
}
