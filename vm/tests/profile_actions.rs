//! `--profile-actions`: the table on stderr names the feature sets and actions that ran, with
//! their counts; stdout is unchanged.

mod common;

use common::*;

#[test]
fn profile_actions_counts_feature_sets_and_actions_on_stderr() {
    let main = r#"(Application-Start: Profiled) {
    Create the <xs> with [1, 2, 3, 4, 5].
    for each <x> in <xs> {
        Emit a <Tick: event> with <x>.
    }
    Log "done" to the <console>.
    Return an <OK: status> for the <startup>.
}
(On Tick: Tick Handler) {
    Extract the <v> from the <event: x>.
    Compute the <w> from <v> * 2.
    Return an <OK: status> for the <w>.
}
"#;
    let dir = app("profile-actions", &[("main.aro", main)]);
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_arovm"))
            .arg("run")
            .arg(&dir)
            .args(extra)
            .output()
            .unwrap()
    };
    let plain = run(&[]);
    let profiled = run(&["--profile-actions"]);
    assert_eq!(profiled.status.code(), Some(0));
    assert_eq!(plain.stdout, profiled.stdout, "stdout must not change");
    let table = String::from_utf8_lossy(&profiled.stderr);
    let line = |prefix: &str| {
        table
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no line for {prefix:?} in:\n{table}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert!(table.starts_with("arovm --profile-actions:"), "{table}");
    assert!(line("On Tick (Tick Handler)").contains(" 5 "), "{table}");
    assert!(
        line("Application-Start (Profiled)").contains(" 1 "),
        "{table}"
    );
    assert!(
        line("Emit (in Application-Start (Profiled))").contains(" 5 "),
        "{table}"
    );
    assert!(
        line("Compute (in On Tick (Tick Handler))").contains(" 5 "),
        "{table}"
    );
    assert!(plain.stderr.is_empty(), "no table without the flag");
}
