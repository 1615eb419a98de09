//! What the file worker says about a path: its metadata ([`Entry`]), its permission bits as
//! text, and a failed call on it in the reference's words (`File not found: P`).

use std::io::ErrorKind;

/// One directory entry or a path's metadata.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The last path component.
    pub name: String,
    /// The absolute path.
    pub path: String,
    /// Bytes (files); directories report their own size.
    pub size: u64,
    /// A directory (symlinks are not followed).
    pub is_dir: bool,
    /// Creation time, seconds since the epoch, when the file system records it.
    pub created: Option<i64>,
    /// Modification time, seconds since the epoch.
    pub modified: Option<i64>,
    /// Permission bits.
    pub mode: u32,
    /// Owner's name, when the system knows it.
    pub owner: Option<String>,
    /// Group's name, when the system knows it.
    pub group: Option<String>,
}

/// A failed call on `path` while `doing` something, as the reference words it.
pub fn why(e: &std::io::Error, path: &str, doing: &str) -> String {
    match e.kind() {
        ErrorKind::NotFound => format!("File not found: {path}"),
        ErrorKind::PermissionDenied => format!("Permission denied: {path}"),
        _ => format!("Error {doing} {path}: {e}"),
    }
}

/// Permission bits as `rwxr-xr-x`.
pub fn permissions(mode: u32) -> String {
    let mut s = String::with_capacity(9);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_read_as_ls_shows_them() {
        assert_eq!(permissions(0o100644), "rw-r--r--");
        assert_eq!(permissions(0o40755), "rwxr-xr-x");
    }
}
