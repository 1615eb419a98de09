//! The blocking side of the file actions, run on the file worker thread: each [`Job`] is a few
//! syscalls with the reference's error texts (`File not found: P`, `Permission denied: P`).
//! Paths are relative to the working directory, as in the reference.

use super::detached::{self, Detached};
use super::paths::{why, Entry};
use super::streams::Streams;
use arovm_stdlib::action::PathOp;
use arovm_stdlib::formats::{Format, Options};
use std::fs;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// One file-system job.
#[derive(Debug)]
pub enum Job {
    /// Read a whole file (at most `limit` bytes) and decode it in `format`.
    Read {
        /// The path.
        path: String,
        /// The largest file read whole.
        limit: u64,
        /// How to decode it.
        format: Format,
        /// CSV/TSV options.
        options: Options,
    },
    /// Replace a file atomically (temporary file, fsync, rename) or append to it.
    Write {
        /// The path.
        path: String,
        /// The bytes.
        bytes: Vec<u8>,
        /// Append instead of replacing.
        append: bool,
    },
    /// A path operation (`List` at most `list_limit` entries).
    Path(PathOp, usize),
    /// Open a file as line stream `id`.
    StreamOpen {
        /// The stream's id (chosen by the driver).
        id: u64,
        /// The path.
        path: String,
    },
    /// The next chunk of lines of stream `id`.
    StreamNext(u64),
    /// Close stream `id` before its end.
    StreamClose(u64),
}

/// What a job produced.
pub enum Output {
    /// A value built on the worker (a decoded file, entries, metadata, lines, a flag, a path).
    Value(Detached),
    /// Done, with nothing to give.
    Done,
}

/// Runs one job (stream jobs on the worker's open `streams`).
pub fn run(job: Job, streams: &mut Streams) -> Result<Output, String> {
    match job {
        Job::StreamOpen { id, path } => streams.open(id, &path).map(|()| Output::Done),
        Job::StreamNext(id) => streams
            .next(id)
            .map(|ls| Output::Value(detached::lines(ls))),
        Job::StreamClose(id) => {
            streams.close(id);
            Ok(Output::Done)
        }
        Job::Read {
            path,
            limit,
            format,
            options,
        } => read(&path, limit, format, &options),
        Job::Write {
            path,
            bytes,
            append,
        } => write(&path, &bytes, append).map(|()| Output::Done),
        Job::Path(op, list_limit) => match op {
            PathOp::List {
                path,
                recursive,
                pattern,
            } => list(&path, recursive, pattern.as_deref(), list_limit)
                .map(|es| Output::Value(detached::entries(&es))),
            PathOp::Stat { path } => {
                let md = fs::symlink_metadata(&path).map_err(|e| why(&e, &path, "reading"))?;
                Ok(Output::Value(detached::stat(&entry(
                    Path::new(&path),
                    &md,
                    true,
                ))))
            }
            PathOp::Exists { path, dir } => Ok(Output::Value(detached::boolean(
                match (fs::metadata(&path), dir) {
                    (Ok(m), Some(true)) => m.is_dir(),
                    (Ok(m), Some(false)) => !m.is_dir(),
                    (Ok(_), None) => true,
                    (Err(_), _) => false,
                },
            ))),
            PathOp::Make { path, file } => {
                make(&path, file).map(|()| Output::Value(detached::text(&path)))
            }
            PathOp::Copy { from, to, moving } => copy(&from, &to, moving).map(|()| Output::Done),
            PathOp::Delete { path } => delete(&path).map(|()| Output::Done),
        },
    }
}

fn delete(path: &str) -> Result<(), String> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(why(&e, path, "deleting")),
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).map_err(|e| why(&e, path, "deleting")),
        Ok(_) => fs::remove_file(path).map_err(|e| why(&e, path, "deleting")),
    }
}

fn read(path: &str, limit: u64, format: Format, options: &Options) -> Result<Output, String> {
    let md = fs::metadata(path).map_err(|e| why(&e, path, "reading"))?;
    if md.is_dir() {
        return Err(format!("Error reading {path}: it is a directory"));
    }
    if md.len() > limit {
        return Err(format!(
            "Error reading {path}: {} bytes is more than the {limit} a Read takes whole \
             (AROVM_MAX_FILE_BYTES)",
            md.len()
        ));
    }
    let bytes = fs::read(path).map_err(|e| why(&e, path, "reading"))?;
    detached::decode(bytes, format, options).map(Output::Value)
}

fn parent_dirs(path: &Path) -> Result<(), String> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => fs::create_dir_all(p)
            .map_err(|e| why(&e, &p.display().to_string(), "creating directory")),
        _ => Ok(()),
    }
}

/// Replaces `path` with `bytes`: a temporary file in the same directory, fsync, rename, fsync
/// of the directory. A crash leaves the old file or the new one, never half of one.
fn write(path: &str, bytes: &[u8], append: bool) -> Result<(), String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let p = Path::new(path);
    parent_dirs(p)?;
    if append {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .map_err(|e| why(&e, path, "writing"))?;
        return f.write_all(bytes).map_err(|e| why(&e, path, "writing"));
    }
    let name = p
        .file_name()
        .ok_or_else(|| format!("Error writing {path}: not a file name"))?;
    let tmp = p.with_file_name(format!(
        ".{}.arovm-{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, p)?;
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    result.map_err(|e: std::io::Error| {
        let _ = fs::remove_file(&tmp);
        why(&e, path, "writing")
    })
}

fn make(path: &str, file: bool) -> Result<(), String> {
    let p = Path::new(path);
    if !file {
        if p.is_file() {
            return Err(format!(
                "Error creating directory {path}: a file is in the way"
            ));
        }
        return fs::create_dir_all(p).map_err(|e| why(&e, path, "creating directory"));
    }
    parent_dirs(p)?;
    let f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(p)
        .map_err(|e| why(&e, path, "creating"))?;
    f.set_modified(std::time::SystemTime::now())
        .map_err(|e| why(&e, path, "touching"))
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    let md = fs::symlink_metadata(from)?;
    if md.is_dir() {
        fs::create_dir_all(to)?;
        for e in fs::read_dir(from)? {
            let e = e?;
            copy_tree(&e.path(), &to.join(e.file_name()))?;
        }
        Ok(())
    } else {
        fs::copy(from, to).map(|_| ())
    }
}

fn copy(from: &str, to: &str, moving: bool) -> Result<(), String> {
    let (f, t) = (Path::new(from), Path::new(to));
    fs::symlink_metadata(f).map_err(|e| why(&e, from, "copying"))?;
    let same = match (fs::canonicalize(f), fs::canonicalize(t)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(format!(
            "Error copying {from} to {to}: they are the same path"
        ));
    }
    parent_dirs(t)?;
    if fs::symlink_metadata(t).is_ok() {
        delete(to)?;
    }
    let doing = if moving { "moving" } else { "copying" };
    let err = |e: std::io::Error| format!("Error {doing} {from} to {to}: {e}");
    if moving {
        match fs::rename(f, t) {
            Ok(()) => return Ok(()),
            // Another file system (EXDEV): copy, then remove the source.
            Err(e) if e.raw_os_error() == Some(18) => {}
            Err(e) => return Err(err(e)),
        }
        copy_tree(f, t).map_err(err)?;
        return delete(from);
    }
    copy_tree(f, t).map_err(err)
}

fn entry(p: &Path, md: &fs::Metadata, names: bool) -> Entry {
    let secs = |t: std::io::Result<std::time::SystemTime>| {
        t.ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_secs() as i64)
    };
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    Entry {
        name: abs.file_name().map_or_else(
            || abs.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        path: abs.display().to_string(),
        size: md.len(),
        is_dir: md.is_dir(),
        created: secs(md.created()),
        modified: secs(md.modified()),
        mode: md.permissions().mode(),
        owner: names.then(|| id_name("/etc/passwd", md.uid())).flatten(),
        group: names.then(|| id_name("/etc/group", md.gid())).flatten(),
    }
}

/// The name of a user or group id from `/etc/passwd` or `/etc/group` (`name:x:id:…`).
fn id_name(file: &str, id: u32) -> Option<String> {
    let text = fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)?.parse::<u32>().ok()? == id).then(|| name.to_string())
    })
}

/// `*` any run (also empty), `?` one character, anything else itself; case-insensitive.
/// Linear backtracking over the last `*`: no exponential patterns.
pub fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let n: Vec<char> = name.to_lowercase().chars().collect();
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

fn list(
    path: &str,
    recursive: bool,
    pattern: Option<&str>,
    limit: usize,
) -> Result<Vec<Entry>, String> {
    let md = fs::metadata(path).map_err(|_| format!("Directory not found: {path}"))?;
    if !md.is_dir() {
        return Err(format!("Directory not found: {path} is not a directory"));
    }
    let mut out = Vec::new();
    walk(Path::new(path), recursive, pattern, limit, &mut out)?;
    Ok(out)
}

fn walk(
    dir: &Path,
    recursive: bool,
    pattern: Option<&str>,
    limit: usize,
    out: &mut Vec<Entry>,
) -> Result<(), String> {
    let shown = dir.display().to_string();
    let mut children: Vec<(String, PathBuf)> = fs::read_dir(dir)
        .map_err(|e| why(&e, &shown, "listing"))?
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    children.sort();
    for (name, p) in children {
        let Ok(md) = fs::symlink_metadata(&p) else {
            continue;
        };
        if pattern.is_none_or(|g| glob(g, &name)) {
            if out.len() >= limit {
                return Err(format!(
                    "Error listing {shown}: more than {limit} entries (AROVM_MAX_LIST_ENTRIES)"
                ));
            }
            out.push(entry(&p, &md, false));
        }
        if recursive && md.is_dir() {
            walk(&p, true, pattern, limit, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("*.TXT", "notes.txt"));
        assert!(glob("a?c*", "abcdef"));
        assert!(!glob("*.md", "notes.txt"));
        assert!(glob("*", ""));
        assert!(!glob("a*b*c*d*e*f*g*h*i*j*k*z", &"a".repeat(200)));
    }
}
