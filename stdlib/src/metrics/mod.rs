//! ARO-0044 runtime metrics as data: the statistics of one feature set, a snapshot of all of them,
//! the process figures beside them, and the qualifiers `<metrics: …>` accepts (four text formats,
//! rendered in [`format`], and the fields arovm adds). Pure: the VM measures (clock, `/proc`) and
//! hands the numbers in; the compiler reads [`parse_qualifier`] to reject unknown qualifiers.

pub mod format;

use crate::value::Value;
use std::rc::Rc;
use std::time::Duration;

/// Execution statistics of one feature set (ARO-0044 §4.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeatureSetStats {
    /// Runs that ended.
    pub executions: u64,
    /// Runs that ended without a runtime error.
    pub successes: u64,
    /// Runs that ended with a runtime error.
    pub failures: u64,
    /// Sum of the runs' wall times (start of the run to its end, waits included).
    pub total: Duration,
    /// The shortest run (zero before the first).
    pub min: Duration,
    /// The longest run.
    pub max: Duration,
}

impl FeatureSetStats {
    /// Counts one run that took `took`.
    pub fn record(&mut self, success: bool, took: Duration) {
        if self.executions == 0 || took < self.min {
            self.min = took;
        }
        self.max = self.max.max(took);
        self.executions += 1;
        if success {
            self.successes += 1;
        } else {
            self.failures += 1;
        }
        self.total += took;
    }

    /// Mean run time in milliseconds (0 before the first run).
    pub fn average_ms(&self) -> f64 {
        if self.executions == 0 {
            0.0
        } else {
            ms(self.total) / self.executions as f64
        }
    }

    /// Successful runs in percent (0 before the first run).
    pub fn success_rate(&self) -> f64 {
        if self.executions == 0 {
            0.0
        } else {
            self.successes as f64 * 100.0 / self.executions as f64
        }
    }
}

/// A duration in (fractional) milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One feature set's statistics with its labels.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureSetMetrics {
    /// The feature set's name (`listUsers`, `Application-Start`).
    pub name: Rc<str>,
    /// Its business activity (`User API`).
    pub activity: Rc<str>,
    /// Its statistics.
    pub stats: FeatureSetStats,
}

/// The metrics at one moment: every feature set that has run at least once, by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Feature sets that ran, ordered by name (then business activity).
    pub feature_sets: Vec<FeatureSetMetrics>,
    /// Time since the application started.
    pub uptime: Duration,
}

impl Snapshot {
    /// All feature sets together: summed counts and time, the overall shortest and longest run.
    pub fn totals(&self) -> FeatureSetStats {
        let mut t = FeatureSetStats::default();
        for (i, f) in self.feature_sets.iter().enumerate() {
            let s = &f.stats;
            t.executions += s.executions;
            t.successes += s.successes;
            t.failures += s.failures;
            t.total += s.total;
            t.min = if i == 0 { s.min } else { t.min.min(s.min) };
            t.max = t.max.max(s.max);
        }
        t
    }
}

/// Figures of the whole process (the reference's "System Metrics"); zero where unknown.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProcessStats {
    /// CPU time in user mode, seconds.
    pub cpu_user: f64,
    /// CPU time in kernel mode, seconds.
    pub cpu_system: f64,
    /// Virtual memory size, bytes.
    pub virtual_bytes: u64,
    /// Resident set size, bytes.
    pub resident_bytes: u64,
    /// Open file descriptors.
    pub open_fds: u64,
    /// The soft limit on open file descriptors.
    pub max_fds: u64,
    /// When the process started, seconds since the Unix epoch.
    pub start_time: f64,
}

/// A text format of `<metrics: …>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Several lines per feature set, then the process figures (the default).
    Plain,
    /// One line.
    Short,
    /// An ASCII table, then a table of the process figures.
    Table,
    /// The Prometheus text exposition format (version 0.0.4).
    Prometheus,
}

/// The format qualifiers, in the order error messages list them.
pub const FORMATS: &[&str] = &["plain", "short", "table", "prometheus"];

/// The field qualifiers (an arovm addition: the reference offers only the formats).
pub const FIELDS: &[&str] = &[
    "totalExecutions",
    "totalSuccesses",
    "totalFailures",
    "averageDurationMs",
    "maxDurationMs",
    "uptimeSeconds",
    "featureSets",
];

/// What the first qualifier of `<metrics: q>` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Qualifier {
    /// The metrics as text.
    Format(Format),
    /// One field as a value (see [`field`]).
    Field(&'static str),
}

/// The qualifier `q` names (formats case-insensitively, as the reference reads them; fields
/// exactly), or the error that lists every supported one.
pub fn parse_qualifier(q: &str) -> Result<Qualifier, String> {
    let format = match q.to_ascii_lowercase().as_str() {
        "plain" => Some(Format::Plain),
        "short" => Some(Format::Short),
        "table" => Some(Format::Table),
        "prometheus" => Some(Format::Prometheus),
        _ => None,
    };
    if let Some(f) = format {
        return Ok(Qualifier::Format(f));
    }
    match FIELDS.iter().find(|f| **f == q) {
        Some(f) => Ok(Qualifier::Field(f)),
        None => Err(format!(
            "Unknown qualifier '{q}' on <metrics>: {}",
            supported()
        )),
    }
}

/// Checks the whole qualifier path of `<metrics: …>` (dotted parts split): the first part names a
/// format or a field, and a format ends the path (`<metrics: featureSets.first.name>` is fine,
/// `<metrics: table.x>` is not). `Ok(None)` for bare `<metrics>`.
pub fn check_path<S: AsRef<str>>(path: &[S]) -> Result<Option<Qualifier>, String> {
    let Some(first) = path.first().map(AsRef::as_ref) else {
        return Ok(None);
    };
    let q = parse_qualifier(first)?;
    if let (Qualifier::Format(_), Some(extra)) = (q, path.get(1)) {
        return Err(format!(
            "The <metrics: {first}> format takes no further qualifier, found '{}'",
            extra.as_ref()
        ));
    }
    Ok(Some(q))
}

/// The sentence naming every supported qualifier.
pub fn supported() -> String {
    format!(
        "the formats are {}; the fields are {}",
        FORMATS.join(", "),
        FIELDS.join(", ")
    )
}

/// The value of a field qualifier (`None` for a name not in [`FIELDS`]). Counts are integers,
/// times are milliseconds (uptime: seconds) as floats; `featureSets` is a list of objects with
/// `name`, `businessActivity`, `executionCount`, `successCount`, `failureCount`,
/// `totalDurationMs`, `minDurationMs`, `maxDurationMs`, `averageDurationMs`, `successRate`.
pub fn field(snap: &Snapshot, name: &str) -> Option<Value> {
    let t = snap.totals();
    let int = |n: u64| Value::Int(i64::try_from(n).unwrap_or(i64::MAX));
    Some(match name {
        "totalExecutions" => int(t.executions),
        "totalSuccesses" => int(t.successes),
        "totalFailures" => int(t.failures),
        "averageDurationMs" => Value::Float(t.average_ms()),
        "maxDurationMs" => Value::Float(ms(t.max)),
        "uptimeSeconds" => Value::Float(snap.uptime.as_secs_f64()),
        "featureSets" => Value::list(
            snap.feature_sets
                .iter()
                .map(|f| {
                    let s = &f.stats;
                    Value::object(vec![
                        (Rc::from("name"), Value::Str(f.name.clone())),
                        (Rc::from("businessActivity"), Value::Str(f.activity.clone())),
                        (Rc::from("executionCount"), int(s.executions)),
                        (Rc::from("successCount"), int(s.successes)),
                        (Rc::from("failureCount"), int(s.failures)),
                        (Rc::from("totalDurationMs"), Value::Float(ms(s.total))),
                        (Rc::from("minDurationMs"), Value::Float(ms(s.min))),
                        (Rc::from("maxDurationMs"), Value::Float(ms(s.max))),
                        (Rc::from("averageDurationMs"), Value::Float(s.average_ms())),
                        (Rc::from("successRate"), Value::Float(s.success_rate())),
                    ])
                })
                .collect(),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms_(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn stats_count_runs_and_keep_min_max_and_mean() {
        let mut s = FeatureSetStats::default();
        assert_eq!(s.average_ms(), 0.0);
        s.record(true, ms_(7));
        s.record(false, ms_(3));
        s.record(true, ms_(20));
        assert_eq!((s.executions, s.successes, s.failures), (3, 2, 1));
        assert_eq!((s.min, s.max, s.total), (ms_(3), ms_(20), ms_(30)));
        assert_eq!(s.average_ms(), 10.0);
        assert!((s.success_rate() - 66.666).abs() < 0.01);
    }

    #[test]
    fn qualifiers_formats_any_case_fields_exactly_and_unknown_ones_list_the_supported() {
        assert_eq!(
            parse_qualifier("Prometheus"),
            Ok(Qualifier::Format(Format::Prometheus))
        );
        assert_eq!(
            parse_qualifier("totalExecutions"),
            Ok(Qualifier::Field("totalExecutions"))
        );
        let e = parse_qualifier("json").unwrap_err();
        assert!(
            e.starts_with("Unknown qualifier 'json' on <metrics>: "),
            "{e}"
        );
        for q in FORMATS.iter().chain(FIELDS) {
            assert!(e.contains(q), "{e} lacks {q}");
        }
        assert!(parse_qualifier("totalexecutions").is_err());
        assert_eq!(check_path::<&str>(&[]), Ok(None));
        assert!(check_path(&["featureSets", "first", "name"]).is_ok());
        let e = check_path(&["table", "length"]).unwrap_err();
        assert_eq!(
            e,
            "The <metrics: table> format takes no further qualifier, found 'length'"
        );
    }

    #[test]
    fn fields_are_values() {
        let mut a = FeatureSetStats::default();
        a.record(true, ms_(4));
        a.record(false, ms_(2));
        let snap = Snapshot {
            feature_sets: vec![FeatureSetMetrics {
                name: Rc::from("listUsers"),
                activity: Rc::from("User API"),
                stats: a,
            }],
            uptime: Duration::from_millis(1500),
        };
        assert!(matches!(
            field(&snap, "totalExecutions"),
            Some(Value::Int(2))
        ));
        assert!(matches!(field(&snap, "totalFailures"), Some(Value::Int(1))));
        assert!(matches!(field(&snap, "uptimeSeconds"), Some(Value::Float(x)) if x == 1.5));
        let Some(Value::List(ref l)) = field(&snap, "featureSets") else {
            panic!("featureSets is a list")
        };
        assert!(matches!(l[0].member("executionCount"), Some(Value::Int(2))));
        assert!(matches!(l[0].member("minDurationMs"), Some(Value::Float(x)) if x == 2.0));
        assert!(matches!(l[0].member("name"), Some(Value::Str(ref s)) if &**s == "listUsers"));
        assert!(field(&snap, "nope").is_none());
    }
}
