//! `--debug` (ARO-0031's developer context) in both run modes: Log lines become
//! `LOG[target] Feature: <typed value>` on the stream the statement names, the final response is
//! a bordered table of typed, flattened values, and without the flag nothing of this shows.

mod common;

use common::*;

const APP: &str = r#"(Application-Start: Debugging) {
    Create the <order> with { id: 7, total: 12.5, paid: true, lines: ["tea", "cake"], customer: { name: "Ada" } }.
    Log "checking out" to the <console>.
    Log <order> to the <console>.
    Log <order: total> to the <console: error>.
    Return an <OK: status> for the <order> with <order>.
}
"#;

const LOGS: &str = "LOG[console] Application-Start: String(\"checking out\")\n\
LOG[console] Application-Start: Dict { customer: Dict { name: String(\"Ada\") }, id: Int(7), lines: [String(\"tea\"), String(\"cake\")], paid: Bool(true), total: Double(12.5) }\n";

const TABLE: &str = "\
┌───────────────────────────────────────────────────────┐
│ Response<OK>                                          │
├─────────────────────┬─────────────────────────────────┤
│ reason              │ String(\"order\")                 │
│ customer.name       │ String(\"Ada\")                   │
│ id                  │ Int(7)                          │
│ lines               │ [String(\"tea\"), String(\"cake\")] │
│ order.customer.name │ String(\"Ada\")                   │
│ order.id            │ Int(7)                          │
│ order.lines         │ [String(\"tea\"), String(\"cake\")] │
│ order.paid          │ Bool(true)                      │
│ order.total         │ Double(12.5)                    │
│ paid                │ Bool(true)                      │
│ total               │ Double(12.5)                    │
└─────────────────────┴─────────────────────────────────┘
";

#[test]
fn debug_prints_typed_values_in_both_run_modes() {
    let dir = app("developer", &[("main.aro", APP)]);
    let d = dir.to_str().unwrap();
    let arob = dir.join("app.arob");
    let (code, _, err) = run_to_end(&["build", d, "-o", arob.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    for args in [
        vec!["run", d, "--debug"],
        vec![arob.to_str().unwrap(), "--debug"],
    ] {
        let (code, out, err) = run_to_end(&args, &[]);
        assert_eq!(code, 0, "{err}");
        assert!(out.starts_with(LOGS), "{out}");
        assert_eq!(err, "LOG[console] Application-Start: Double(12.5)\n");
        assert_eq!(&out[LOGS.len()..], TABLE);
    }
    let (code, out, _) = run_to_end(&["run", d], &[]);
    assert_eq!(code, 0);
    assert!(!out.contains("LOG[") && !out.contains("Response<"), "{out}");
    assert!(out.contains("[OK] order\n"), "{out}");
}
