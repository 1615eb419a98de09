//! The conformance runner: every case under `conformance/cases/` is built to `.arob` with the real
//! `arovm` binary, run, and its stdout / stderr / exit status compared with the case's expectations.
//! Ends with the line `N passed, N failed`. `--bless` writes actual results as expectations.
//!
//! Case layout: `cases/<area>/<case>/` holds `main.aro` (and any other app files) plus
//! `expected.stdout`, optional `expected.stderr`, optional `expected.status` (default 0).
//! A case whose output holds timings has `expected.pattern` instead of `expected.stdout`: the
//! same lines, where `__ANY__` stands for any text within its line.
//! A case expecting status 2 is a negative (compile-error) case: only `arovm build` runs and its
//! stderr is compared with `expected.stderr`; otherwise the build's warnings lead the run's stderr.
//! A case under `files/` runs in a fresh copy of its directory in the temp dir, in both modes:
//! the `.arob`, then `arovm run .` in another copy, which must print the same (less its
//! `[feature set] ` line prefixes) with the same status.
//! A case with `http.script` is an HTTP case (see
//! [`http`]): the app serves on a free loopback port and the script's requests are checked.

mod http;
mod ws;

use std::path::{Path, PathBuf};
use std::process::Command;

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.join("main.aro").exists()
                || p.join("expected.stdout").exists()
                || p.join("expected.pattern").exists()
                || p.join("http.script").exists()
                || p.join("ws.script").exists()
            {
                out.push(p);
            } else {
                cases(&p, out);
            }
        }
    }
}

fn read(p: &Path) -> Option<String> {
    std::fs::read_to_string(p).ok()
}

struct Outcome {
    stdout: String,
    stderr: String,
    status: i32,
}

/// Copies a directory tree (a `files/` case's app and seed files).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let target = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &target)?;
        } else {
            std::fs::copy(e.path(), target)?;
        }
    }
    Ok(())
}

/// A case under `files/` reads and writes files relative to its working directory: it runs in
/// a fresh copy of its directory under the temp dir, so nothing is written into the checkout;
/// and it runs in both modes (the built `.arob`, then `arovm run .` in another fresh copy),
/// which must print the same.
fn run_case(arovm: &Path, case: &Path, expected_status: i32) -> Outcome {
    if !case.components().any(|c| c.as_os_str() == "files") {
        return run_case_in(arovm, case, expected_status);
    }
    let built = in_scratch(case, "arob", |dir| run_case_in(arovm, dir, expected_status));
    if built.status == 2 {
        return built; // a compile error: there is no second mode to run
    }
    let direct = in_scratch(case, "dir", |dir| {
        let run = Command::new("timeout")
            .arg("20")
            .arg(arovm)
            .args(["run", "."])
            .current_dir(dir)
            .output();
        match run {
            Ok(o) => Outcome {
                stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                stderr: without_timestamps(&String::from_utf8_lossy(&o.stderr)),
                status: o.status.code().unwrap_or(-1),
            },
            Err(e) => Outcome {
                stdout: String::new(),
                stderr: format!("cannot run: {e}"),
                status: -1,
            },
        }
    });
    // `arovm run` prefixes console lines with `[feature set] `, as the reference's `aro run`.
    let unprefixed: String = direct
        .stdout
        .lines()
        .map(
            |l| match l.strip_prefix('[').and_then(|r| r.split_once("] ")) {
                Some((_, rest)) => format!("{rest}\n"),
                None => format!("{l}\n"),
            },
        )
        .collect();
    if (&unprefixed, direct.status) != (&built.stdout, built.status) {
        return Outcome {
            stdout: built.stdout.clone(),
            stderr: format!(
                "{}`arovm run .` printed differently (status {}):\n{}",
                built.stderr, direct.status, direct.stdout
            ),
            status: -3,
        };
    }
    built
}

/// Runs `f` in a fresh copy of `case` under the temp dir, removed afterwards.
fn in_scratch(case: &Path, mode: &str, f: impl FnOnce(&Path) -> Outcome) -> Outcome {
    let name = case.file_name().unwrap_or_default().to_string_lossy();
    let scratch = std::env::temp_dir().join(format!(
        "arovm-conf-files-{}-{name}-{mode}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&scratch);
    if let Err(e) = copy_dir(case, &scratch) {
        return Outcome {
            stdout: String::new(),
            stderr: format!("cannot copy the case: {e}"),
            status: -1,
        };
    }
    let out = f(&scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    out
}

fn run_case_in(arovm: &Path, case: &Path, expected_status: i32) -> Outcome {
    let arob = std::env::temp_dir().join(format!(
        "arovm-conf-{}-{}.arob",
        std::process::id(),
        case.file_name()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_default()
    ));
    let build = Command::new(arovm)
        .arg("build")
        .arg(".")
        .arg("-o")
        .arg(&arob)
        .current_dir(case)
        .output();
    let build = match build {
        Ok(o) => o,
        Err(e) => {
            return Outcome {
                stdout: String::new(),
                stderr: format!("cannot start arovm: {e}"),
                status: -1,
            }
        }
    };
    let bstatus = build.status.code().unwrap_or(-1);
    if bstatus != 0 || expected_status == 2 {
        return Outcome {
            stdout: String::from_utf8_lossy(&build.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&build.stderr).into_owned(),
            status: bstatus,
        };
    }
    let run = Command::new("timeout")
        .arg("20")
        .arg(arovm)
        .arg(&arob)
        .current_dir(case)
        .output();
    let _ = std::fs::remove_file(&arob);
    // The build's warnings come first on stderr, as `arovm run DIR` prints them.
    let warnings = String::from_utf8_lossy(&build.stderr).into_owned();
    match run {
        Ok(o) => Outcome {
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: warnings + &without_timestamps(&String::from_utf8_lossy(&o.stderr)),
            status: o.status.code().unwrap_or(-1),
        },
        Err(e) => Outcome {
            stdout: String::new(),
            stderr: format!("cannot run: {e}"),
            status: -1,
        },
    }
}

/// Whether `line` matches the pattern line `pat`, where `__ANY__` matches any text (none
/// included). The literal pieces are found leftmost-first, which is exact for this one wildcard.
/// Log lines start with the time (`2026-01-02T03:04:05.678Z `): written as `TIME ` so a case
/// can expect them.
fn without_timestamps(text: &str) -> String {
    let stamp = |l: &str| {
        let b = l.as_bytes();
        b.len() > 25
            && b[4] == b'-'
            && b[10] == b'T'
            && b[19] == b'.'
            && b[23] == b'Z'
            && b[24] == b' '
            && b[..4].iter().all(u8::is_ascii_digit)
    };
    text.split_inclusive('\n')
        .map(|l| {
            if stamp(l) {
                format!("TIME {}", &l[25..])
            } else {
                l.to_string()
            }
        })
        .collect()
}

fn line_matches(pat: &str, line: &str) -> bool {
    let pieces: Vec<&str> = pat.split("__ANY__").collect();
    let [first, middle @ .., last] = pieces.as_slice() else {
        return pat == line;
    };
    if line.len() < first.len() + last.len() || !line.starts_with(first) || !line.ends_with(last) {
        return false;
    }
    let mut rest = &line[first.len()..line.len() - last.len()];
    for m in middle {
        match rest.find(m) {
            Some(i) => rest = &rest[i + m.len()..],
            None => return false,
        }
    }
    true
}

/// The first line where `actual` does not match `pattern` (see [`line_matches`]).
fn pattern_diff(pattern: &str, actual: &str) -> Option<String> {
    let p: Vec<&str> = pattern.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    for i in 0..p.len().max(a.len()) {
        let ok = match (p.get(i), a.get(i)) {
            (Some(x), Some(y)) => line_matches(x, y),
            _ => false,
        };
        if !ok {
            return Some(format!(
                "    stdout line {} (pattern):\n      expected: {}\n      actual:   {}",
                i + 1,
                p.get(i).map_or("<none>".to_string(), |s| format!("{s:?}")),
                a.get(i).map_or("<none>".to_string(), |s| format!("{s:?}"))
            ));
        }
    }
    None
}

/// A short line diff: the first differing line of each side.
fn diff(what: &str, expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i), a.get(i));
        if x != y {
            return format!(
                "    {what} line {}:\n      expected: {}\n      actual:   {}",
                i + 1,
                x.map_or("<none>".to_string(), |s| format!("{s:?}")),
                y.map_or("<none>".to_string(), |s| format!("{s:?}"))
            );
        }
    }
    format!("    {what}: differs in trailing whitespace")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bless = args.iter().any(|a| a == "--bless");
    let filter = args.iter().skip(1).find(|a| !a.starts_with("--")).cloned();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let arovm = std::env::var("AROVM")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("../target/release/arovm"));
    let arovm = std::fs::canonicalize(&arovm).unwrap_or(arovm);
    let mut all = Vec::new();
    cases(&root.join("cases"), &mut all);
    let (mut passed, mut failed) = (0, 0);
    for case in &all {
        let name = case
            .strip_prefix(root.join("cases"))
            .unwrap_or(case)
            .display()
            .to_string();
        if let Some(f) = &filter {
            if !name.contains(f.as_str()) {
                continue;
            }
        }
        let ws_script = read(&case.join("ws.script"));
        if let Some(script) = read(&case.join("http.script")).or(ws_script.clone()) {
            let arob =
                std::env::temp_dir().join(format!("arovm-conf-http-{}.arob", std::process::id()));
            let built = Command::new(&arovm)
                .args(["build", ".", "-o"])
                .arg(&arob)
                .current_dir(case)
                .output();
            let problems = match built {
                Ok(o) if o.status.success() && ws_script.is_some() => {
                    ws::run(&arovm, &arob, case, &script)
                }
                Ok(o) if o.status.success() => http::run(&arovm, &arob, case, &script),
                Ok(o) => vec![format!(
                    "build failed: {}",
                    String::from_utf8_lossy(&o.stderr)
                )],
                Err(e) => vec![format!("cannot run arovm: {e}")],
            };
            let _ = std::fs::remove_file(&arob);
            if problems.is_empty() {
                passed += 1;
            } else {
                failed += 1;
                println!("FAIL {name}");
                for p in problems {
                    println!("    {p}");
                }
            }
            continue;
        }
        let exp_status: i32 = read(&case.join("expected.status"))
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        let got = run_case(&arovm, case, exp_status);
        let pattern = read(&case.join("expected.pattern"));
        if bless {
            if pattern.is_none() {
                let _ = std::fs::write(case.join("expected.stdout"), &got.stdout);
            }
            if !got.stderr.is_empty() {
                let _ = std::fs::write(case.join("expected.stderr"), &got.stderr);
            }
            if got.status != 0 {
                let _ = std::fs::write(case.join("expected.status"), format!("{}\n", got.status));
            }
        }
        let mut problems = Vec::new();
        if got.status != exp_status {
            problems.push(format!(
                "    exit status: expected {exp_status}, got {}",
                got.status
            ));
        }
        if let Some(p) = &pattern {
            problems.extend(pattern_diff(p, &got.stdout));
        } else {
            let exp_out = read(&case.join("expected.stdout")).unwrap_or_default();
            if exp_out != got.stdout {
                problems.push(diff("stdout", &exp_out, &got.stdout));
            }
        }
        if let Some(exp_err) = read(&case.join("expected.stderr")) {
            if exp_err != got.stderr {
                problems.push(diff("stderr", &exp_err, &got.stderr));
            }
        }
        if problems.is_empty() {
            passed += 1;
        } else {
            failed += 1;
            println!("FAIL {name}");
            for p in problems {
                println!("{p}");
            }
            if !got.stderr.is_empty() && read(&case.join("expected.stderr")).is_none() {
                println!("    stderr: {}", got.stderr.lines().next().unwrap_or(""));
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_matches_text_within_a_line() {
        assert!(line_matches("abc", "abc"));
        assert!(!line_matches("abc", "abcd"));
        assert!(line_matches("avg=__ANY__ms", "avg=0.1ms"));
        assert!(line_matches("avg=__ANY__ms", "avg=ms"));
        assert!(line_matches("__ANY__", ""));
        assert!(line_matches("a __ANY__ b __ANY__ c", "a 1 b 2 b 3 c"));
        assert!(!line_matches("a __ANY__ b __ANY__ c", "a 1 c"));
        assert!(!line_matches("x__ANY__x", "x"));
        assert!(pattern_diff("a\nb__ANY__", "a\nb12\n").is_none());
        assert!(pattern_diff("a\nb__ANY__", "a\nb12\nc\n").is_some());
    }
}
