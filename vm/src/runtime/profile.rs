//! `--profile-actions`: how often each feature set ran and each action was called, and the wall
//! time they took, printed to stderr at exit. Off by default; when off it costs one branch per
//! action. A native profile (`make profile`) shows the Rust functions; this table names the ARO
//! feature sets and statements those functions serve.

use std::collections::HashMap;
use std::fmt::Write;
use std::time::Duration;

/// A count and the time it took.
#[derive(Default, Clone, Copy)]
struct Stat {
    count: u64,
    time: Duration,
}

impl Stat {
    fn add(&mut self, t: Duration) {
        self.count += 1;
        self.time += t;
    }
}

/// Counters collected while `--profile-actions` is on.
#[derive(Default)]
pub struct Profile {
    /// Per feature set index: fibers started, and time spent running their slices.
    feature_sets: HashMap<usize, (u64, Duration)>,
    /// Per (feature set index, verb string id): calls and time inside the action.
    actions: HashMap<(usize, u32), Stat>,
}

impl Profile {
    /// A fiber of feature set `fs` started.
    pub fn fiber_started(&mut self, fs: usize) {
        self.feature_sets.entry(fs).or_default().0 += 1;
    }

    /// A slice of a fiber of feature set `fs` ran for `t`.
    pub fn slice(&mut self, fs: usize, t: Duration) {
        self.feature_sets.entry(fs).or_default().1 += t;
    }

    /// An action (its verb's string id) called from feature set `fs` took `t`.
    pub fn action(&mut self, fs: usize, verb: u32, t: Duration) {
        self.actions.entry((fs, verb)).or_default().add(t);
    }

    /// The report: feature sets, then actions, each sorted by total time; `name` gives a feature
    /// set's display name and `verb` a verb's text.
    pub fn report(&self, name: impl Fn(usize) -> String, verb: impl Fn(u32) -> String) -> String {
        let mut out = String::new();
        let total: Duration = self.feature_sets.values().map(|s| s.1).sum();
        let _ = writeln!(
            out,
            "arovm --profile-actions: {:.3} ms in feature sets (wall time, includes actions)",
            ms(total)
        );
        let _ = writeln!(
            out,
            "{:<48} {:>10} {:>12} {:>10}",
            "feature set", "runs", "total ms", "mean µs"
        );
        let mut fss: Vec<_> = self.feature_sets.iter().collect();
        fss.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(b.0)));
        for (&fs, &(runs, time)) in fss {
            let _ = writeln!(
                out,
                "{:<48} {:>10} {:>12.3} {:>10.2}",
                clip(&name(fs)),
                runs,
                ms(time),
                mean_us(time, runs)
            );
        }
        let _ = writeln!(
            out,
            "{:<48} {:>10} {:>12} {:>10}",
            "action (in feature set)", "calls", "total ms", "mean µs"
        );
        let mut acts: Vec<_> = self.actions.iter().collect();
        acts.sort_by(|a, b| b.1.time.cmp(&a.1.time).then(a.0.cmp(b.0)));
        for (&(fs, v), s) in acts {
            let label = format!("{} (in {})", verb(v), name(fs));
            let _ = writeln!(
                out,
                "{:<48} {:>10} {:>12.3} {:>10.2}",
                clip(&label),
                s.count,
                ms(s.time),
                mean_us(s.time, s.count)
            );
        }
        out
    }
}

fn ms(t: Duration) -> f64 {
    t.as_secs_f64() * 1e3
}

fn mean_us(t: Duration, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        t.as_secs_f64() * 1e6 / n as f64
    }
}

fn clip(s: &str) -> String {
    if s.chars().count() <= 48 {
        s.to_string()
    } else {
        s.chars().take(47).chain(['…']).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_sorts_by_time_and_counts_calls() {
        let mut p = Profile::default();
        p.fiber_started(0);
        p.fiber_started(0);
        p.fiber_started(1);
        p.slice(0, Duration::from_micros(300));
        p.slice(1, Duration::from_micros(900));
        p.action(1, 7, Duration::from_micros(500));
        p.action(0, 8, Duration::from_micros(100));
        p.action(0, 8, Duration::from_micros(100));
        let r = p.report(
            |fs| ["sayHello", "Application-Start"][fs].to_string(),
            |v| if v == 7 { "Log" } else { "Return" }.to_string(),
        );
        let lines: Vec<&str> = r.lines().collect();
        assert!(lines[2].starts_with("Application-Start"), "{r}");
        assert!(
            lines[3].starts_with("sayHello") && lines[3].contains(" 2 "),
            "{r}"
        );
        assert!(lines[5].starts_with("Log (in Application-Start)"), "{r}");
        assert!(lines[6].contains("Return (in sayHello)") && lines[6].contains("100.00"));
    }
}
