//! File actions against a real file system, in both run modes (`arovm run DIR` and the built
//! `.arob`): Write/Read in several formats, List, Stat, Copy, Delete under the test's own temp
//! directory (absolute paths), and the documented bounds `AROVM_MAX_FILE_BYTES` and
//! `AROVM_MAX_LIST_ENTRIES`, which fail the statement with an error naming them.

mod common;

use common::*;

fn program(root: &str) -> String {
    format!(
        r#"(Application-Start: Files Both Modes) {{
    Create the <rows> with [ {{ id: 1, name: "Ada" }}, {{ id: 2, name: "Grace, Hopper" }} ].
    Write the <rows> to the <file: "{root}/data/rows.csv">.
    Write the <rows> to the <file: "{root}/data/rows.yaml">.
    Read the <from-csv> from the <file: "{root}/data/rows.csv">.
    Read the <from-yaml> from the <file: "{root}/data/rows.yaml">.
    Log "csv same: " ++ (<from-csv> == <rows>) ++ ", yaml same: " ++ (<from-yaml> == <rows>) to the <console>.
    Copy the <file: "{root}/data/rows.csv"> to the <destination: "{root}/backup/rows.csv">.
    List the <entries: recursively> from the <directory: "{root}/backup">.
    Compute the <n: count> from <entries>.
    Stat the <info> for the <file: "{root}/backup/rows.csv">.
    Extract the <size> from the <info: size>.
    Log "backup entries: " ++ <n> ++ ", size " ++ <size> to the <console>.
    Delete the <directory: "{root}/backup">.
    Exists the <gone> for the <directory: "{root}/backup">.
    Log "backup left: " ++ <gone> to the <console>.
    Return an <OK: status> for the <application>.
}}
"#
    )
}

const WANT: &str =
    "csv same: true, yaml same: true\nbackup entries: 1, size 31\nbackup left: false\n";

#[test]
fn file_actions_work_in_both_run_modes() {
    let scratch = app("files-both-modes", &[]);
    let root = scratch.to_str().unwrap().to_string();
    let dir = app("files-both-modes-app", &[("main.aro", &program(&root))]);
    let d = dir.to_str().unwrap();
    let (code, out, err) = run_to_end(&["run", d], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.replace("[Application-Start] ", ""), WANT);
    let arob = dir.join("app.arob");
    let (code, _, err) = run_to_end(&["build", d, "-o", arob.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run_to_end(&[arob.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, WANT);
    assert!(scratch.join("data/rows.csv").is_file());
    assert!(!scratch.join("backup").exists());
}

#[test]
fn read_and_list_bounds_fail_the_statement_with_their_names() {
    let scratch = app(
        "files-bounds",
        &[
            ("big.txt", &"x".repeat(100)),
            ("d/a", ""),
            ("d/b", ""),
            ("d/c", ""),
        ],
    );
    let root = scratch.to_str().unwrap();
    let text = format!(
        "(Application-Start: Bounds) {{\n    Read the <t> from the <file: \"{root}/big.txt\">.\n    Return an <OK: status> for the <application>.\n}}\n"
    );
    let dir = app("files-bounds-read", &[("main.aro", &text)]);
    let (code, _, err) = run_to_end(
        &["run", dir.to_str().unwrap()],
        &[("AROVM_MAX_FILE_BYTES", "10")],
    );
    assert_eq!(code, 1);
    assert!(err.contains("AROVM_MAX_FILE_BYTES"), "{err}");
    let (code, _, err) = run_to_end(&["run", dir.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    let text = format!(
        "(Application-Start: Bounds) {{\n    List the <e> from the <directory: \"{root}/d\">.\n    Return an <OK: status> for the <application>.\n}}\n"
    );
    let dir = app("files-bounds-list", &[("main.aro", &text)]);
    let (code, _, err) = run_to_end(
        &["run", dir.to_str().unwrap()],
        &[("AROVM_MAX_LIST_ENTRIES", "2")],
    );
    assert_eq!(code, 1);
    assert!(err.contains("AROVM_MAX_LIST_ENTRIES"), "{err}");
}

#[test]
fn the_monitor_reports_a_burst_of_files_written_by_another_process() {
    use std::io::{BufRead, BufReader};
    let watched = app("files-monitor-watched", &[("keep", "")]);
    let w = watched.to_str().unwrap();
    let text = format!(
        "(Application-Start: Watch) {{\n    Start the <file-monitor> with \"{w}\".\n    Keepalive the <application> for the <events>.\n    Return an <OK: status> for the <application>.\n}}\n\
(Seen Created: File Event Handler) {{\n    Log \"created \" ++ <path> to the <console>.\n    Return an <OK: status> for the <event>.\n}}\n\
(Seen Deleted: File Event Handler) {{\n    Log \"deleted \" ++ <path> to the <console>.\n    Return an <OK: status> for the <event>.\n}}\n"
    );
    let dir = app("files-monitor-app", &[("main.aro", &text)]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_arovm"))
        .args(["run", dir.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("File Monitor started"), "{first}");
    for i in 0..1000 {
        std::fs::write(watched.join(format!("f{i}.txt")), "x").unwrap();
    }
    std::fs::remove_file(watched.join("keep")).unwrap();
    let (mut created, mut deleted) = (0, 0);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.contains("created ") {
            created += 1;
        }
        if line.contains("deleted ") && line.ends_with("/keep") {
            deleted += 1;
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!((created, deleted), (1000, 1));
}

/// A raw text larger than one copy slice (4 MiB) is written over several loop turns and
/// arrives whole, byte for byte; so is a stream of its lines.
#[test]
fn a_large_raw_write_arrives_whole_and_streams_back_line_by_line() {
    let mut text = String::new();
    let mut i = 0u64;
    while text.len() < 10 << 20 {
        text.push_str(&format!("line {i} é ✓\n"));
        i += 1;
    }
    let scratch = app("files-large-write", &[("big.txt", &text)]);
    let root = scratch.to_str().unwrap().to_string();
    let program = format!(
        r#"(Application-Start: Large Write) {{
    Read the <text: raw> from the <file: "{root}/big.txt">.
    Write the <text: raw> to the <file: "{root}/copy.txt">.
    Stream the <lines> from "{root}/copy.txt".
    Create the <count> with 0.
    for each <line> at <i> in <lines> {{
        Compute the <last> from <i> + 1.
        Publish as <seen> <last>.
    }}
    Log "lines: " ++ <seen> to the <console>.
    Return an <OK: status> for the <application>.
}}
"#
    );
    let dir = app("files-large-write-app", &[("main.aro", &program)]);
    let (code, out, err) = run_to_end(&["run", dir.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    let copy = std::fs::read(scratch.join("copy.txt")).unwrap();
    assert!(
        copy == text.as_bytes(),
        "the copy differs from the original"
    );
    assert_eq!(out.trim(), format!("[Application-Start] lines: {i}"));
}

/// HTTP, a TCP socket server and the file monitor in one process: a GET writes a file into the
/// watched directory, the monitor's handler broadcasts the change to the socket clients, and
/// HTTP keeps answering meanwhile.
#[test]
fn http_a_socket_server_and_the_file_monitor_compose_in_one_process() {
    use std::io::{BufRead, BufReader};
    let scratch = app("files-multi-service", &[]);
    let watched = scratch.join("inbox");
    let root = watched.to_str().unwrap().to_string();
    let program = format!(
        r#"(Application-Start: Multi Service) {{
    Make the <dir> to the <path: "{root}">.
    Start the <http-server> with <contract>.
    Start the <socket-server> with {{ port: 9000 }}.
    Start the <file-monitor> with "{root}".
    Keepalive the <application> for the <events>.
    Return an <OK: status> for the <startup>.
}}

(drop: Multi Service) {{
    Create the <note> with "hello".
    Write the <note: raw> to the <file: "{root}/note.txt">.
    Return an <OK: status> with {{ written: true }}.
}}

(ping: Multi Service) {{
    Return an <OK: status> with {{ pong: true }}.
}}

(Announce File Created: File Event Handler) {{
    Extract the <path> from the <event: path>.
    Split the <parts> from the <path> by /\//.
    Extract the <name> from the <parts: last>.
    Broadcast "created ${{<name>}}\n" to the <socket-server>.
    Return an <OK: status> for the <event>.
}}
"#
    );
    let dir = app(
        "files-multi-service-app",
        &[
            ("main.aro", &program),
            (
                "openapi.yaml",
                &contract(&[("/drop", "drop"), ("/ping", "ping")]),
            ),
        ],
    );
    let s = start(&dir, &[("ARO_SOCKET_PORT", "0")]);
    let mut sock = None;
    for _ in 0..50 {
        if let Ok(l) = s.lines.recv_timeout(std::time::Duration::from_millis(100)) {
            if let Some(p) = l.strip_prefix("Socket Server started on port ") {
                sock = p.trim().parse::<u16>().ok();
                break;
            }
        }
    }
    let sock = sock.expect("the socket server started");
    let client = std::net::TcpStream::connect(("127.0.0.1", sock)).unwrap();
    client
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    assert_eq!(s.get("/ping").0, 200);
    std::thread::sleep(std::time::Duration::from_millis(200)); // the client is registered
    let (status, body) = s.get("/drop");
    assert_eq!(status, 200, "{body}");
    let mut line = String::new();
    BufReader::new(&client).read_line(&mut line).unwrap();
    assert_eq!(line, "created note.txt\n");
    assert_eq!(s.get("/ping").0, 200);
    assert_eq!(
        std::fs::read_to_string(watched.join("note.txt")).unwrap(),
        "hello"
    );
}

/// Only sources, the contract, templates and `.store` files go into a build: a data file the
/// app reads or streams at run time stays on disk (a 1 GB log beside `main.aro` must not be
/// read by `arovm run` nor copied into the `.arob`).
#[test]
fn a_data_file_beside_the_app_is_not_built_into_the_arob() {
    let data = "x".repeat(4 << 20);
    let dir = app(
        "files-not-bundled",
        &[
            (
                "main.aro",
                "(Application-Start: Small) {\n    Log \"ok\" to the <console>.\n    Return an <OK: status> for the <application>.\n}\n",
            ),
            ("big.log", &data),
            ("users.store", "- { name: Ada }\n"),
        ],
    );
    let arob = dir.join("app.arob");
    let (code, _, err) = run_to_end(
        &["build", dir.to_str().unwrap(), "-o", arob.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let size = std::fs::metadata(&arob).unwrap().len();
    assert!(size < 64 << 10, "the .arob is {size} bytes");
    let (code, listing, err) = run_to_end(&["disasm", arob.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!listing.contains("big.log"), "{listing}");
    assert!(listing.contains("users.store"), "{listing}");
}

/// Binary data (ARO-0072): a file that is not UTF-8 is read as bytes and written back unchanged,
/// byte for byte, also above the 4 MiB copy slice.
#[test]
fn binary_files_are_read_and_written_unchanged() {
    let scratch = app("files-binary", &[]);
    let mut blob: Vec<u8> = (0..=255u8).collect();
    blob.extend_from_slice(b"\x89PNG\r\n\x1a\n\xff\xfe\x00");
    let mut big = Vec::new();
    while big.len() < 5 << 20 {
        big.extend_from_slice(&blob);
    }
    std::fs::create_dir_all(&scratch).unwrap();
    std::fs::write(scratch.join("small.bin"), &blob).unwrap();
    std::fs::write(scratch.join("big.dat"), &big).unwrap();
    let root = scratch.to_str().unwrap().to_string();
    let program = format!(
        r#"(Application-Start: Binary) {{
    Read the <small> from the <file: "{root}/small.bin">.
    Write the <small> to the <file: "{root}/small-copy.bin">.
    Read the <big: binary> from the <file: "{root}/big.dat">.
    Write the <big: binary> to the <file: "{root}/big-copy.dat">.
    Return an <OK: status> for the <application>.
}}
"#
    );
    let dir = app("files-binary-app", &[("main.aro", &program)]);
    let (code, _, err) = run_to_end(&["run", dir.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read(scratch.join("small-copy.bin")).unwrap() == blob);
    assert!(std::fs::read(scratch.join("big-copy.dat")).unwrap() == big);
}
