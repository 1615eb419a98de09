//! The four texts of `<metrics: plain | short | table | prometheus>`, laid out as the reference
//! prints them: the same lines, labels, column widths, decimals (C `printf` rounding) and metric
//! names, so dashboards and scrapers written against it read arovm's output. Lines are separated
//! by `\n` with none after the last; a Prometheus endpoint may append one.

use super::{ms, FeatureSetStats, Format, ProcessStats, Snapshot};
use crate::value::date::format_iso;
use std::fmt::Write;

const MIB: f64 = 1_048_576.0;

/// The snapshot and the process figures in format `f`.
pub fn render(f: Format, snap: &Snapshot, process: &ProcessStats) -> String {
    match f {
        Format::Plain => plain(snap, process),
        Format::Short => short(snap, process),
        Format::Table => table(snap, process),
        Format::Prometheus => prometheus(snap, process),
    }
}

/// Text built line by line: a `\n` goes between lines, not after the last.
#[derive(Default)]
struct Lines(String);

impl Lines {
    fn line(&mut self, s: impl std::fmt::Display) {
        if !self.0.is_empty() {
            self.0.push('\n');
        }
        let _ = write!(self.0, "{s}");
    }

    /// A blank line (never the first).
    fn blank(&mut self) {
        self.0.push('\n');
    }
}

/// `yyyy-MM-dd HH:mm:ss` (UTC) of a Unix time.
fn date_time(unix: f64) -> String {
    let iso = format_iso(unix.floor() as i64);
    iso.trim_end_matches('Z').replacen('T', " ", 1)
}

/// Several lines per feature set, then the process figures.
pub fn plain(snap: &Snapshot, p: &ProcessStats) -> String {
    let mut out = Lines::default();
    out.line(format_args!(
        "Feature Set Metrics ({} total executions, uptime: {:.1}s)",
        snap.totals().executions,
        snap.uptime.as_secs_f64()
    ));
    out.blank();
    if snap.feature_sets.is_empty() {
        out.line("No feature sets executed yet.");
    }
    for f in &snap.feature_sets {
        let s = &f.stats;
        out.line(format_args!("{} ({})", f.name, f.activity));
        out.line(format_args!(
            "  Executions: {} (success: {}, failed: {})",
            s.executions, s.successes, s.failures
        ));
        out.line(format_args!(
            "  Duration: avg={:.1}ms, min={:.1}ms, max={:.1}ms",
            s.average_ms(),
            ms(s.min),
            ms(s.max)
        ));
        out.blank();
    }
    out.line("System Metrics:");
    out.line(format_args!(
        "  CPU: user={:.3}s, system={:.3}s, total={:.3}s",
        p.cpu_user,
        p.cpu_system,
        p.cpu_user + p.cpu_system
    ));
    out.line(format_args!(
        "  Memory: virtual={:.2}MB, resident={:.2}MB",
        p.virtual_bytes as f64 / MIB,
        p.resident_bytes as f64 / MIB
    ));
    out.line(format_args!(
        "  File Descriptors: {} / {}",
        p.open_fds, p.max_fds
    ));
    out.line(format_args!("  Process Start: {}", date_time(p.start_time)));
    out.0
}

/// One line.
pub fn short(snap: &Snapshot, p: &ProcessStats) -> String {
    let t = snap.totals();
    format!(
        "metrics: {} executions, {} featuresets, avg={:.1}ms, uptime={:.1}s, cpu={:.2}s, mem={:.1}MB, fds={}/{}",
        t.executions,
        snap.feature_sets.len(),
        t.average_ms(),
        snap.uptime.as_secs_f64(),
        p.cpu_user + p.cpu_system,
        p.resident_bytes as f64 / MIB,
        p.open_fds,
        p.max_fds
    )
}

/// `+---+---+` for columns of these widths (one space of padding each side).
fn rule(widths: &[usize]) -> String {
    let mut s = String::from("+");
    for w in widths {
        s.push_str(&"-".repeat(w + 2));
        s.push('+');
    }
    s
}

/// A table of the feature sets with a TOTAL row, a blank line, a table of the process figures.
pub fn table(snap: &Snapshot, p: &ProcessStats) -> String {
    if snap.feature_sets.is_empty() {
        return "No metrics collected yet.".into();
    }
    let name_w = snap
        .feature_sets
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(13);
    let sep = rule(&[name_w, 7, 9, 8, 9, 9]);
    let row = |name: &str, s: &FeatureSetStats| {
        format!(
            "| {name:<name_w$} | {:>7} | {:>9} | {:>8} | {:>9.2} | {:>9.2} |",
            s.executions,
            s.successes,
            s.failures,
            s.average_ms(),
            ms(s.max)
        )
    };
    let mut out = Lines::default();
    out.line(&sep);
    out.line(format_args!(
        "| {:<name_w$} | {:<7} | {:<9} | {:<8} | {:<9} | {:<9} |",
        "Feature Set", "Count", "Success", "Failed", "Avg(ms)", "Max(ms)"
    ));
    out.line(&sep);
    for f in &snap.feature_sets {
        out.line(row(&f.name, &f.stats));
    }
    out.line(&sep);
    out.line(row("TOTAL", &snap.totals()));
    out.line(&sep);
    out.blank();
    let sep = rule(&[24, 20]);
    out.line(&sep);
    out.line(format_args!(
        "| {:<24} | {:<20} |",
        "System Metrics", "Value"
    ));
    out.line(&sep);
    let cpu = |secs: f64| format!("{secs:.3}s");
    let mem = |bytes: u64| format!("{:.2} MB", bytes as f64 / MIB);
    for (label, value) in [
        ("CPU User Time", cpu(p.cpu_user)),
        ("CPU System Time", cpu(p.cpu_system)),
        ("CPU Total Time", cpu(p.cpu_user + p.cpu_system)),
        ("Virtual Memory", mem(p.virtual_bytes)),
        ("Resident Memory", mem(p.resident_bytes)),
        (
            "File Descriptors",
            format!("{} / {}", p.open_fds, p.max_fds),
        ),
        ("Process Start Time", date_time(p.start_time)),
        ("Uptime", format!("{:.2}s", snap.uptime.as_secs_f64())),
    ] {
        out.line(format_args!("| {label:<24} | {value:>20} |"));
    }
    out.line(&sep);
    out.0
}

/// A label value with `\`, `"` and newlines escaped (exposition format 0.0.4).
fn label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

/// One metric family: `# HELP`, `# TYPE`, then its samples (already `name{labels} value`).
fn family(out: &mut Vec<String>, name: &str, kind: &str, help: &str, samples: &[String]) {
    let mut s = format!("# HELP {name} {help}\n# TYPE {name} {kind}");
    for x in samples {
        s.push('\n');
        s.push_str(x);
    }
    out.push(s);
}

/// The Prometheus text exposition format: per-feature-set families labelled `featureset` and
/// `activity`, the uptime, the process families; families separated by a blank line.
pub fn prometheus(snap: &Snapshot, p: &ProcessStats) -> String {
    let mut out = Vec::new();
    type Value = fn(&FeatureSetStats) -> String;
    let per_set: [(&str, &str, &str, Value); 6] = [
        (
            "aro_featureset_executions_total",
            "counter",
            "Total number of feature set executions",
            |s| s.executions.to_string(),
        ),
        (
            "aro_featureset_success_total",
            "counter",
            "Total successful executions",
            |s| s.successes.to_string(),
        ),
        (
            "aro_featureset_failures_total",
            "counter",
            "Total failed executions",
            |s| s.failures.to_string(),
        ),
        (
            "aro_featureset_duration_ms_avg",
            "gauge",
            "Average execution duration in milliseconds",
            |s| format!("{:.2}", s.average_ms()),
        ),
        (
            "aro_featureset_duration_ms_max",
            "gauge",
            "Maximum execution duration in milliseconds",
            |s| format!("{:.2}", ms(s.max)),
        ),
        (
            "aro_featureset_duration_ms_min",
            "gauge",
            "Minimum execution duration in milliseconds",
            |s| format!("{:.2}", ms(s.min)),
        ),
    ];
    for (name, kind, help, value) in per_set {
        let samples: Vec<String> = snap
            .feature_sets
            .iter()
            .map(|f| {
                format!(
                    "{name}{{featureset=\"{}\",activity=\"{}\"}} {}",
                    label(&f.name),
                    label(&f.activity),
                    value(&f.stats)
                )
            })
            .collect();
        family(&mut out, name, kind, help, &samples);
    }
    let single = [
        (
            "aro_application_uptime_seconds",
            "gauge",
            "Application uptime in seconds",
            format!("{:.2}", snap.uptime.as_secs_f64()),
        ),
        (
            "aro_process_cpu_user_seconds",
            "counter",
            "CPU time spent in user mode",
            format!("{:.4}", p.cpu_user),
        ),
        (
            "aro_process_cpu_system_seconds",
            "counter",
            "CPU time spent in system mode",
            format!("{:.4}", p.cpu_system),
        ),
        (
            "aro_process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes",
            p.virtual_bytes.to_string(),
        ),
        (
            "aro_process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes",
            p.resident_bytes.to_string(),
        ),
        (
            "aro_process_open_fds",
            "gauge",
            "Number of open file descriptors",
            p.open_fds.to_string(),
        ),
        (
            "aro_process_max_fds",
            "gauge",
            "Maximum number of file descriptors",
            p.max_fds.to_string(),
        ),
        (
            "aro_process_start_time_seconds",
            "gauge",
            "Process start time in Unix epoch seconds",
            format!("{:.2}", p.start_time),
        ),
    ];
    for (name, kind, help, value) in single {
        family(&mut out, name, kind, help, &[format!("{name} {value}")]);
    }
    out.join("\n\n")
}
