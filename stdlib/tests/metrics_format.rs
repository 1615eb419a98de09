//! The four `<metrics>` texts for fixed numbers, line for line: the layout the reference prints
//! (labels, widths, decimals, metric names, blank lines), so a change to it is a visible diff.

use arovm_stdlib::metrics::format::{plain, prometheus, render, short, table};
use arovm_stdlib::metrics::{FeatureSetMetrics, FeatureSetStats, Format, ProcessStats, Snapshot};
use std::rc::Rc;
use std::time::Duration;

fn set(name: &str, activity: &str, runs: &[(bool, u64)]) -> FeatureSetMetrics {
    let mut stats = FeatureSetStats::default();
    for &(ok, micros) in runs {
        stats.record(ok, Duration::from_micros(micros));
    }
    FeatureSetMetrics {
        name: Rc::from(name),
        activity: Rc::from(activity),
        stats,
    }
}

fn snap() -> Snapshot {
    Snapshot {
        feature_sets: vec![
            set("Application-Start", "Entry Point", &[(true, 12_500)]),
            set("listUsers", "User API", &[(true, 7_100), (true, 9_500)]),
        ],
        uptime: Duration::from_millis(5_200),
    }
}

fn process() -> ProcessStats {
    ProcessStats {
        cpu_user: 0.25,
        cpu_system: 0.0625,
        virtual_bytes: 100 << 20,
        resident_bytes: 8 << 20,
        open_fds: 12,
        max_fds: 1024,
        start_time: 1_750_000_000.75,
    }
}

#[test]
fn plain_lists_each_feature_set_then_the_process() {
    let want = "\
Feature Set Metrics (3 total executions, uptime: 5.2s)

Application-Start (Entry Point)
  Executions: 1 (success: 1, failed: 0)
  Duration: avg=12.5ms, min=12.5ms, max=12.5ms

listUsers (User API)
  Executions: 2 (success: 2, failed: 0)
  Duration: avg=8.3ms, min=7.1ms, max=9.5ms

System Metrics:
  CPU: user=0.250s, system=0.062s, total=0.312s
  Memory: virtual=100.00MB, resident=8.00MB
  File Descriptors: 12 / 1024
  Process Start: 2025-06-15 15:06:40";
    assert_eq!(plain(&snap(), &process()), want);
    assert_eq!(render(Format::Plain, &snap(), &process()), want);
}

#[test]
fn plain_before_any_run() {
    let empty = Snapshot {
        feature_sets: Vec::new(),
        uptime: Duration::from_millis(40),
    };
    let text = plain(&empty, &ProcessStats::default());
    assert!(
        text.starts_with(
            "Feature Set Metrics (0 total executions, uptime: 0.0s)\n\n\
             No feature sets executed yet.\nSystem Metrics:\n"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("  Process Start: 1970-01-01 00:00:00"),
        "{text}"
    );
}

#[test]
fn short_is_one_line() {
    assert_eq!(
        short(&snap(), &process()),
        "metrics: 3 executions, 2 featuresets, avg=9.7ms, uptime=5.2s, cpu=0.31s, mem=8.0MB, fds=12/1024"
    );
}

#[test]
fn table_has_totals_and_a_process_table() {
    let want = "\
+-------------------+---------+-----------+----------+-----------+-----------+
| Feature Set       | Count   | Success   | Failed   | Avg(ms)   | Max(ms)   |
+-------------------+---------+-----------+----------+-----------+-----------+
| Application-Start |       1 |         1 |        0 |     12.50 |     12.50 |
| listUsers         |       2 |         2 |        0 |      8.30 |      9.50 |
+-------------------+---------+-----------+----------+-----------+-----------+
| TOTAL             |       3 |         3 |        0 |      9.70 |     12.50 |
+-------------------+---------+-----------+----------+-----------+-----------+

+--------------------------+----------------------+
| System Metrics           | Value                |
+--------------------------+----------------------+
| CPU User Time            |               0.250s |
| CPU System Time          |               0.062s |
| CPU Total Time           |               0.312s |
| Virtual Memory           |            100.00 MB |
| Resident Memory          |              8.00 MB |
| File Descriptors         |            12 / 1024 |
| Process Start Time       |  2025-06-15 15:06:40 |
| Uptime                   |                5.20s |
+--------------------------+----------------------+";
    assert_eq!(table(&snap(), &process()), want);
}

#[test]
fn table_names_shorter_than_the_header_keep_width_13_and_no_runs_is_a_sentence() {
    let s = Snapshot {
        feature_sets: vec![set("a", "b", &[(false, 1_000)])],
        uptime: Duration::ZERO,
    };
    let t = table(&s, &ProcessStats::default());
    assert!(
        t.starts_with("+---------------+")
            && t.contains(
                "\n| a             |       1 |         0 |        1 |      1.00 |      1.00 |\n"
            ),
        "{t}"
    );
    assert_eq!(
        table(&Snapshot::default(), &ProcessStats::default()),
        "No metrics collected yet."
    );
}

#[test]
fn prometheus_families_labels_and_process() {
    let want = r#"# HELP aro_featureset_executions_total Total number of feature set executions
# TYPE aro_featureset_executions_total counter
aro_featureset_executions_total{featureset="Application-Start",activity="Entry Point"} 1
aro_featureset_executions_total{featureset="listUsers",activity="User API"} 2

# HELP aro_featureset_success_total Total successful executions
# TYPE aro_featureset_success_total counter
aro_featureset_success_total{featureset="Application-Start",activity="Entry Point"} 1
aro_featureset_success_total{featureset="listUsers",activity="User API"} 2

# HELP aro_featureset_failures_total Total failed executions
# TYPE aro_featureset_failures_total counter
aro_featureset_failures_total{featureset="Application-Start",activity="Entry Point"} 0
aro_featureset_failures_total{featureset="listUsers",activity="User API"} 0

# HELP aro_featureset_duration_ms_avg Average execution duration in milliseconds
# TYPE aro_featureset_duration_ms_avg gauge
aro_featureset_duration_ms_avg{featureset="Application-Start",activity="Entry Point"} 12.50
aro_featureset_duration_ms_avg{featureset="listUsers",activity="User API"} 8.30

# HELP aro_featureset_duration_ms_max Maximum execution duration in milliseconds
# TYPE aro_featureset_duration_ms_max gauge
aro_featureset_duration_ms_max{featureset="Application-Start",activity="Entry Point"} 12.50
aro_featureset_duration_ms_max{featureset="listUsers",activity="User API"} 9.50

# HELP aro_featureset_duration_ms_min Minimum execution duration in milliseconds
# TYPE aro_featureset_duration_ms_min gauge
aro_featureset_duration_ms_min{featureset="Application-Start",activity="Entry Point"} 12.50
aro_featureset_duration_ms_min{featureset="listUsers",activity="User API"} 7.10

# HELP aro_application_uptime_seconds Application uptime in seconds
# TYPE aro_application_uptime_seconds gauge
aro_application_uptime_seconds 5.20

# HELP aro_process_cpu_user_seconds CPU time spent in user mode
# TYPE aro_process_cpu_user_seconds counter
aro_process_cpu_user_seconds 0.2500

# HELP aro_process_cpu_system_seconds CPU time spent in system mode
# TYPE aro_process_cpu_system_seconds counter
aro_process_cpu_system_seconds 0.0625

# HELP aro_process_virtual_memory_bytes Virtual memory size in bytes
# TYPE aro_process_virtual_memory_bytes gauge
aro_process_virtual_memory_bytes 104857600

# HELP aro_process_resident_memory_bytes Resident memory size in bytes
# TYPE aro_process_resident_memory_bytes gauge
aro_process_resident_memory_bytes 8388608

# HELP aro_process_open_fds Number of open file descriptors
# TYPE aro_process_open_fds gauge
aro_process_open_fds 12

# HELP aro_process_max_fds Maximum number of file descriptors
# TYPE aro_process_max_fds gauge
aro_process_max_fds 1024

# HELP aro_process_start_time_seconds Process start time in Unix epoch seconds
# TYPE aro_process_start_time_seconds gauge
aro_process_start_time_seconds 1750000000.75"#;
    assert_eq!(prometheus(&snap(), &process()), want);
}

#[test]
fn prometheus_escapes_label_values() {
    let s = Snapshot {
        feature_sets: vec![set("a\"b", "c\\d\ne", &[(true, 1)])],
        uptime: Duration::ZERO,
    };
    let text = prometheus(&s, &ProcessStats::default());
    assert!(
        text.contains(
            "aro_featureset_executions_total{featureset=\"a\\\"b\",activity=\"c\\\\d\\ne\"} 1\n"
        ),
        "{text}"
    );
}
