//! `arovm test` (ARO-0015): test feature sets with Given / When / Then, and the reference's
//! report (`=== ARO Test Results ===`, PASS / FAIL / ERROR lines, the totals), exit status 1
//! when a test fails, `--filter`.

mod common;

use common::*;

const APP: &str = r#"(Application-Start: Calculator) {
    Log "ready" to the <console>.
    Return an <OK: status> for the <startup>.
}

(add-numbers: Calculator) {
    Compute the <sum> from <a> + <b>.
    Return an <OK: status> with <sum>.
}

(adds-two-numbers: Calculator Test) {
    Given the <a> with 5.
    Given the <b> with 3.
    When the <sum> from the <add-numbers>.
    Then the <sum> with 8.
}

(wrong-expectation: Calculator Test) {
    Given the <a> with 1.
    Given the <b> with 1.
    When the <sum> from the <add-numbers>.
    Then the <sum> with 3.
}

(divides-by-zero: Calculator Tests) {
    Given the <a> with 1.
    Compute the <q> from <a> / 0.
}
"#;

/// The report with each PASS line's time replaced by `T` (it is `<1ms`, `12ms` or `1.25s`).
fn report(out: &str) -> String {
    out.lines()
        .map(|l| match l.rfind(" (") {
            Some(i) if l.trim_start().starts_with("PASS") && l.ends_with(')') => {
                let t = &l[i + 2..l.len() - 1];
                let timed = t == "<1ms"
                    || t.strip_suffix("ms")
                        .is_some_and(|n| n.parse::<u64>().is_ok())
                    || t.strip_suffix('s')
                        .is_some_and(|n| n.parse::<f64>().is_ok());
                assert!(timed, "not a test time: {t:?} in {l:?}");
                format!("{} (T)", &l[..i])
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_report_has_the_references_shape_and_a_failure_fails_the_run() {
    let dir = app("test-report", &[("main.aro", APP)]);
    let (code, out, err) = run_to_end(&["test", dir.to_str().unwrap()], &[]);
    assert_eq!(code, 1, "stdout: {out}\nstderr: {err}");
    let want = "
=== ARO Test Results ===

  PASS  adds-two-numbers (T)
  FAIL  wrong-expectation
        Expected sum to be 3, but was 2
  ERROR divides-by-zero
        Division by zero

------------------------
Total:  3
Passed: 1
Failed: 1
Errors: 1

Some tests failed.
";
    assert_eq!(report(&out), want, "stderr: {err}");
    assert!(
        !out.contains('\u{1b}'),
        "no colours when stdout is not a terminal"
    );
}

#[test]
fn a_filter_runs_the_matching_tests_only() {
    let dir = app("test-filter", &[("main.aro", APP)]);
    let (code, out, _) = run_to_end(&["test", dir.to_str().unwrap(), "--filter", "adds"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("  PASS  adds-two-numbers ("), "{out}");
    assert!(!out.contains("wrong-expectation"), "{out}");
    assert!(
        out.contains("Total:  1\nPassed: 1\nFailed: 0\n\nAll tests passed!"),
        "{out}"
    );
    let (code, out, _) = run_to_end(&["test", dir.to_str().unwrap(), "--filter", "nothing"], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Total:  0\nPassed: 0\nFailed: 0\n\nNo tests found."),
        "{out}"
    );
}
