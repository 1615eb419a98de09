//! What a run prints at its end (the reference's response line, `[OK] reason` and `  key: value`
//! data lines), and `arovm test`.

use super::error::RuntimeError;
use super::scheduler::{Ending, Scheduler};
use crate::loader::Loaded;
use arovm_stdlib::action::Response;
use arovm_stdlib::value::{to_description, to_display, Value};
use std::rc::Rc;

/// Names whose value a bare `Return ... for the <x>` reports when it carries no data (reference).
const FALLBACK_NAMES: &[&str] = &["greeting", "message", "result", "data", "output", "value"];

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>, depth: usize) {
    match v {
        Value::Object(_) if depth >= arovm_stdlib::value::MAX_NESTING => {
            out.push((prefix.to_string(), "…".into()))
        }
        Value::Object(o) => {
            for (k, x) in &o.entries {
                let key = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out, depth + 1);
            }
        }
        Value::List(_) => out.push((prefix.to_string(), arovm_stdlib::value::to_json(v))),
        other => out.push((prefix.to_string(), to_display(other))),
    }
}

/// The lines printed after a successful run; with `developer` (`--debug`) the response is a
/// table of typed values (ARO-0031).
pub fn response_lines(
    resp: Option<Response>,
    vars: &[(Rc<str>, Value)],
    developer: bool,
) -> Vec<String> {
    let Some(r) = resp else {
        return vec!["[OK] success".into()];
    };
    if r.reason == "application" {
        return Vec::new();
    }
    if developer {
        let table = arovm_stdlib::value::developer::response_table(&r.status, &r.reason, &r.data);
        return table.lines().map(str::to_string).collect();
    }
    let mut lines = vec![format!("[{}] {}", r.status, r.reason)];
    let mut data = Vec::new();
    for (k, v) in &r.data {
        flatten(k, v, &mut data, 0);
    }
    if data.is_empty() {
        let found = FALLBACK_NAMES
            .iter()
            .find_map(|n| vars.iter().find(|(k, _)| &**k == *n).map(|(_, v)| v));
        if let Some(v) = found {
            let text = match v {
                Value::Str(s) => s.to_string(),
                other => to_description(other),
            };
            data.push(("value".into(), text));
        }
    }
    data.sort();
    for (k, v) in data {
        lines.push(format!("  {k}: {v}"));
    }
    lines
}

/// `arovm test`: runs every feature set whose business activity ends in `Test` or `Tests`
/// (ARO-0015) as its own fiber and prints the reference's report: `PASS name (time)`, `FAIL`
/// for a failed `Then`/`Assert`, `ERROR` for any other failure, then the totals. Colours only
/// when `color` is set. Returns 0 when every test passed.
pub fn run_tests(prog: &Loaded, filter: Option<&str>, color: bool) -> i32 {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    };
    let mut s = Scheduler::new(prog);
    let tests: Vec<usize> = prog
        .program
        .feature_sets
        .iter()
        .enumerate()
        .filter(|(_, fs)| {
            let activity = prog.s(fs.activity);
            activity.ends_with("Test") || activity.ends_with("Tests")
        })
        .filter(|(_, fs)| filter.is_none_or(|f| prog.s(fs.name).contains(f)))
        .map(|(i, _)| i)
        .collect();
    let mut out = vec![
        String::new(),
        paint("1", "=== ARO Test Results ==="),
        String::new(),
    ];
    let (mut passed, mut failed, mut errors) = (0, 0, 0);
    for fs in tests {
        let name = prog.s(prog.program.feature_sets[fs].name).to_string();
        let started = std::time::Instant::now();
        let id = s.spawn_tracked(fs, Vec::new());
        s.run_until_idle();
        let took = duration(started.elapsed());
        match s.ending(id) {
            Some(Ending::Failed(e)) if is_assertion(&e) => {
                failed += 1;
                out.push(format!("  {}  {name}", paint("31", "FAIL")));
                out.push(format!("        {}", paint("31", &reason(&e))));
            }
            Some(Ending::Failed(e)) => {
                errors += 1;
                out.push(format!("  {} {name}", paint("31", "ERROR")));
                out.push(format!("        {}", paint("31", &reason(&e))));
            }
            _ => {
                passed += 1;
                let took = paint("90", &format!(" ({took})"));
                out.push(format!("  {}  {name}{took}", paint("32", "PASS")));
            }
        }
    }
    let total = passed + failed + errors;
    let bad = failed + errors > 0;
    out.push(String::new());
    out.push("------------------------".into());
    out.push(format!(
        "Total:  {}",
        paint(if bad { "31" } else { "32" }, &total.to_string())
    ));
    out.push(format!("Passed: {}", paint("32", &passed.to_string())));
    out.push(if failed > 0 {
        format!("Failed: {}", paint("31", &failed.to_string()))
    } else {
        "Failed: 0".into()
    });
    if errors > 0 {
        out.push(format!("Errors: {}", paint("31", &errors.to_string())));
    }
    out.push(String::new());
    out.push(if bad {
        paint("31", "Some tests failed.")
    } else if total == 0 {
        paint("33", "No tests found.")
    } else {
        paint("32", "All tests passed!")
    });
    out.push(String::new());
    s.host.print(&out.join("\n"));
    i32::from(bad)
}

/// A test's time as the reference prints it: `<1ms`, `12ms`, `1.25s`.
fn duration(d: std::time::Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 0.001 {
        "<1ms".into()
    } else if secs < 1.0 {
        format!("{}ms", (secs * 1000.0) as u64)
    } else {
        format!("{secs:.2}s")
    }
}

/// A failed `Then` or `Assert` (a FAIL, not an ERROR).
fn is_assertion(e: &RuntimeError) -> bool {
    matches!(e, RuntimeError::Action { text, .. }
        if text.starts_with("Cannot then ") || text.starts_with("Cannot assert "))
}

/// The one line under a FAIL or ERROR: why the test failed.
fn reason(e: &RuntimeError) -> String {
    match e {
        RuntimeError::Action { detail, .. } if !detail.is_empty() => detail.clone(),
        RuntimeError::DivisionByZero => "Division by zero".into(),
        other => other.summary(),
    }
}
