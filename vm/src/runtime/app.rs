//! What a run prints at its end (the reference's response line, `[OK] reason` and `  key: value`
//! data lines), and `arovm test`.

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

/// The lines printed after a successful run.
pub fn response_lines(resp: Option<Response>, vars: &[(Rc<str>, Value)]) -> Vec<String> {
    let Some(r) = resp else {
        return vec!["[OK] success".into()];
    };
    if r.reason == "application" {
        return Vec::new();
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

/// `arovm test`: runs every feature set whose business activity ends in `Test` as its own fiber
/// and prints one line per test plus `N passed, N failed`. Returns 0 when all pass.
pub fn run_tests(prog: &Loaded) -> i32 {
    let mut s = Scheduler::new(prog);
    let tests: Vec<usize> = prog
        .program
        .feature_sets
        .iter()
        .enumerate()
        .filter(|(_, fs)| prog.s(fs.activity).ends_with("Test"))
        .map(|(i, _)| i)
        .collect();
    let (mut passed, mut failed) = (0, 0);
    for fs in tests {
        let name = prog.s(prog.program.feature_sets[fs].name).to_string();
        let id = s.spawn_tracked(fs, Vec::new());
        s.run_until_idle();
        match s.ending(id) {
            Some(Ending::Failed(e)) => {
                failed += 1;
                s.host.print(&format!("FAIL {name}\n{}", e.render()));
            }
            _ => {
                passed += 1;
                s.host.print(&format!("PASS {name}"));
            }
        }
    }
    s.host.print(&format!("{passed} passed, {failed} failed"));
    i32::from(failed > 0)
}
