//! Operability of the command line: invalid operator settings exit 3 naming the setting before
//! anything starts, `arovm --version` names the git revision, `arovm app.arob --help` lists the
//! flags.

mod common;

use common::*;

/// Flags, environment, and the start of the error message they cause.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

fn hello_app(name: &str) -> std::path::PathBuf {
    let main = format!(
        "{START}(hello: Test Server) {{\n    Return an <OK: status> with {{ hello: \"world\" }}.\n}}\n"
    );
    app(
        name,
        &[
            ("main.aro", &main),
            ("openapi.yaml", &contract(&[("/hello", "hello")])),
        ],
    )
}

#[test]
fn invalid_settings_exit_3_naming_the_setting() {
    let dir = hello_app("ops-config");
    let d = dir.to_str().unwrap();
    let cases: &[Case] = &[
        (&[], &[("ARO_LOG_LEVEL", "loud")], "ARO_LOG_LEVEL=\"loud\""),
        (&["--log-format", "xml"], &[], "--log-format: \"xml\""),
        (
            &[],
            &[("AROVM_LOG_FORMAT", "yaml")],
            "AROVM_LOG_FORMAT: \"yaml\"",
        ),
        (&["--admin", "nonsense"], &[], "--admin: \"nonsense\""),
        (
            &[],
            &[("AROVM_ADMIN", "host:port")],
            "AROVM_ADMIN: \"host:port\"",
        ),
        (
            &["--trusted-proxy", "10.0.0.0/33"],
            &[],
            "--trusted-proxy: \"10.0.0.0/33\"",
        ),
        (
            &[],
            &[("AROVM_TRUSTED_PROXIES", "10.0.0.0/8,bogus")],
            "AROVM_TRUSTED_PROXIES: \"bogus\"",
        ),
        (
            &[],
            &[("AROVM_ACCESS_LOG", "maybe")],
            "AROVM_ACCESS_LOG=\"maybe\"",
        ),
    ];
    for (args, env, names) in cases {
        let mut argv = vec!["run", d, "--port", "0", "--bind", "127.0.0.1"];
        argv.extend_from_slice(args);
        let (code, out, err) = run_to_end(&argv, env);
        assert_eq!(code, 3, "{args:?} {env:?}: {err}");
        assert_eq!(out, "", "nothing started for {args:?} {env:?}");
        assert!(
            err.starts_with(&format!("error: {names}")),
            "{names}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn version_names_the_package_and_the_git_revision() {
    let (code, out, _) = run_to_end(&["--version"], &[]);
    assert_eq!(code, 0);
    let line = out.trim_end();
    let rest = line
        .strip_prefix(&format!("arovm {} (", env!("CARGO_PKG_VERSION")))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{line:?}"));
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success());
    match head {
        Some(o) => {
            let rev = String::from_utf8_lossy(&o.stdout).trim().to_string();
            let built = rest.strip_suffix("-modified").unwrap_or(rest);
            assert_eq!(built, rev, "{line:?}");
        }
        None => assert_eq!(rest, "unknown revision"),
    }
}

#[test]
fn help_of_an_arob_file_lists_the_operator_flags() {
    let dir = hello_app("ops-help");
    let arob = dir.join("app.arob");
    let (code, _, err) = run_to_end(
        &["build", dir.to_str().unwrap(), "-o", arob.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run_to_end(&[arob.to_str().unwrap(), "--help"], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Usage: arovm "), "{out}");
    for flag in [
        "--log-format",
        "--no-access-log",
        "--admin",
        "--trusted-proxy",
        "--port",
        "--bind",
        "--keep-alive",
    ] {
        assert!(out.contains(&format!("  {flag}")), "{flag} missing: {out}");
    }
}

/// Compile warnings go to stderr and the app still builds; `--deny-warnings` makes them fail the
/// build with exit 2, for every command that compiles.
#[test]
fn deny_warnings_turns_a_warning_into_a_failed_build() {
    let main = "(Application-Start: Warned) {\n    Create the <xs> with [1, 2].\n    Compute the <n: lenght> from the <xs>.\n    Return an <OK: status> for the <application>.\n}\n";
    let dir = app("deny-warnings", &[("main.aro", main)]);
    let d = dir.to_str().unwrap();
    let out = std::env::temp_dir().join(format!("deny-{}.arob", std::process::id()));
    let o = out.to_str().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_arovm"))
            .args(args)
            .output()
            .unwrap()
    };
    let built = run(&["build", d, "-o", o]);
    assert_eq!(built.status.code(), Some(0));
    let err = String::from_utf8_lossy(&built.stderr);
    assert!(
        err.contains("warning: Unknown computation 'lenght'"),
        "{err}"
    );
    for args in [
        &["build", d, "-o", o, "--deny-warnings"][..],
        &["run", d, "--deny-warnings"],
        &["check", d, "--deny-warnings"],
        &["test", d, "--deny-warnings"],
    ] {
        let r = run(args);
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(
            err.contains("warnings are denied (--deny-warnings)"),
            "{args:?}: {err}"
        );
    }
    let _ = std::fs::remove_file(&out);
}
