//! `.store` seed files at build time (ARO-0073): converted to JSON resources, malformed YAML and
//! writable (other-write) files refused with a diagnostic.

use arovm_compiler::{compile_dir, CompileError};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

fn app(name: &str, store: &str, mode: u32) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arovm-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("main.aro"),
        "(Application-Start: S) {\n    Return an <OK: status> for the <application>.\n}\n",
    )
    .unwrap();
    let file = dir.join("tasks.store");
    std::fs::write(&file, store).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    dir
}

#[test]
fn a_read_only_store_file_becomes_a_json_seed() {
    let dir = app(
        "ro",
        "- title: write tests\n  done: false\n- title: ship\n",
        0o644,
    );
    let p = compile_dir(&dir).unwrap_or_else(|_| panic!("compiles"));
    let seed = p
        .resources
        .iter()
        .find(|r| r.path == ":store/task-repository")
        .expect("a seed for task-repository");
    assert_eq!(
        String::from_utf8_lossy(&seed.bytes),
        r#"[{"title":"write tests","done":false},{"title":"ship"}]"#
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_writable_store_file_is_refused() {
    let dir = app("rw", "- title: a\n", 0o646);
    match compile_dir(&dir) {
        Err(CompileError::Diagnostics(text)) => {
            assert!(
                text.contains("tasks.store has the other-write permission set"),
                "{text}"
            );
            assert!(text.contains("chmod o-w tasks.store"), "{text}");
        }
        _ => panic!("a writable store file must not compile"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
