//! Command-line parameters (ARO-0047) and the environment object: `arovm run DIR --name x`
//! and `arovm app.arob --name x` bind `<parameter: name>`, typed as the proposal says; arovm's
//! own flags still work beside them; `<env: NAME>` reads the process environment.

mod common;

use common::*;

const APP: &str = r#"(Application-Start: Greeter) {
    Extract the <all> from the <parameter>.
    Log <all> to the <console>.
    Extract the <name> from the <parameter: name>.
    Compute the <next> from <all: count> + 1.
    Log "Hello, ${<name>}! next ${<next>}" to the <console>.
    Extract the <greeting> from the <env: AROVM_TEST_GREETING>.
    Log <greeting> to the <console>.
    Return an <OK: status> for the <application>.
}
"#;

#[test]
fn parameters_reach_the_app_in_both_run_modes() {
    let dir = app("params", &[("main.aro", APP)]);
    let env = [("AROVM_TEST_GREETING", "hi from env")];
    // arovm's own flags (`--no-access-log`) are consumed by arovm and visible to the app too.
    let want = "[Application-Start] count: 5\nf: true\nname: Ada\nno-access-log: true\nrate: 1.50\nv: true\n\
                [Application-Start] Hello, Ada! next 6\n[Application-Start] hi from env\n";
    let d = dir.to_str().unwrap();
    let args = [
        "--name",
        "Ada",
        "--count",
        "5",
        "-vf",
        "--rate=1.5",
        "--no-access-log",
    ];
    let mut run = vec!["run", d];
    run.extend(args);
    let (code, out, err) = run_to_end(&run, &env);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with(want), "{out}");
    let arob = dir.join("app.arob");
    let (code, _, err) = run_to_end(&["build", d, "-o", arob.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    let mut compiled = vec![arob.to_str().unwrap()];
    compiled.extend(args);
    let (code, out, err) = run_to_end(&compiled, &env);
    assert_eq!(code, 0, "{err}");
    // The compiled form prints Log lines without the `[FeatureSet] ` prefix, as the reference's
    // compiled binaries do.
    assert!(
        out.starts_with(&want.replace("[Application-Start] ", "")),
        "{out}"
    );
}

#[test]
fn a_missing_parameter_fails_the_statement_that_needs_it() {
    let dir = app("params-missing", &[("main.aro", APP)]);
    let (code, _, err) = run_to_end(&["run", dir.to_str().unwrap(), "--count", "1"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("Cannot extract the name from the parameter: name.")
            && err.contains("Reason: Property 'name' not found"),
        "{err}"
    );
}
