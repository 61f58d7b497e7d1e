//! Path helpers, shared with `wiring`.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::hash::{BuildHasher, Hasher, RandomState};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::FileMode;
use crate::error::{Error, Result};

/// The platform temp directory: `/tmp` on macOS (whose `$TMPDIR` is too
/// long for socket paths), [`std::env::temp_dir`] elsewhere.
pub(crate) fn default_temp_head_dir() -> PathBuf {
    if cfg!(target_os = "macos") {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    }
}

/// Eight random characters from `[a-z0-9_]`, like `mkdtemp`'s.
pub(crate) fn random_token() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    h.write_u128(nanos);
    let mut v = h.finish();
    let n = CHARS.len() as u64;
    (0..8)
        .map(|_| {
            let c = CHARS[(v % n) as usize];
            v /= n;
            char::from(c)
        })
        .collect()
}

/// Makes a new directory `<dir>/<prefix>XXXXXXXX<suffix>`, mode `0o700`, that
/// did not exist before (Python's `tempfile.mkdtemp`).
pub(crate) fn make_temp_dir(dir: &Path, prefix: &str, suffix: &str) -> Result<PathBuf> {
    let mut last = None;
    for _ in 0..64 {
        let path = dir.join(format!("{prefix}{}{suffix}", random_token()));
        match DirBuilder::new().mode(0o700).create(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(path_err("cannot create temp directory", &path, &e)),
        }
    }
    let e = last.unwrap_or_else(|| io::Error::other("no free name"));
    Err(path_err("cannot create a temp directory in", dir, &e))
}

/// Creates `path` exclusively (read/write, `perm`), or opens it with `mode`
/// if it exists (HIO's `ocfn`).
pub(crate) fn open_or_create(path: &Path, mode: FileMode, perm: u32) -> io::Result<File> {
    match OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(perm)
        .open(path)
    {
        Ok(file) => Ok(file),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => mode.open(path),
        Err(e) => Err(e),
    }
}

/// Whether an existing path is readable and writable by this process, by
/// trying (std has no `access(2)`): a file is opened read/write; a
/// directory is listed and a probe entry is made in it and removed; any
/// other entry (a socket) counts as accessible when its directory is.
pub(crate) fn accessible(path: &Path) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    if meta.is_dir() {
        fs::read_dir(path).is_ok() && dir_writable(path)
    } else if meta.is_file() {
        OpenOptions::new().read(true).write(true).open(path).is_ok()
    } else {
        path.parent().is_some_and(dir_writable)
    }
}

pub(crate) fn dir_writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".hio-probe-{}", random_token()));
    match DirBuilder::new().create(&probe) {
        Ok(()) => {
            let _ = fs::remove_dir(&probe);
            true
        }
        Err(_) => false,
    }
}

/// Removes whatever is at `path` (a directory tree, or a single entry);
/// nothing there is fine.
pub(crate) fn remove_entry(path: &Path) -> Result<()> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Ok(());
    };
    let removed = if meta.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    };
    match removed {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(path_err("cannot remove", path, &e)),
        _ => Ok(()),
    }
}

/// Removes a directory tree; a missing one is fine.
pub(crate) fn remove_tree(path: &Path) -> Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(path_err("cannot remove", path, &e)),
        _ => Ok(()),
    }
}

pub(crate) fn path_err(what: &str, path: &Path, err: &io::Error) -> Error {
    Error::Filer(format!("{what} {}: {err}", path.display()))
}

/// Checks a relative path option: not absolute, no `..`, no NUL; `name`s
/// must name something.
pub(crate) fn check_rel(what: &str, value: &str, allow_empty: bool) -> Result<()> {
    if value.contains('\0') {
        return Err(Error::Filer(format!(
            "{what} {value:?} contains a NUL byte"
        )));
    }
    let mut named = false;
    for c in Path::new(value).components() {
        match c {
            Component::Normal(_) => named = true,
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(Error::Filer(format!(
                    "{what} {value:?} must not contain `..`"
                )));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(Error::Filer(format!(
                    "{what} {value:?} is not a relative path"
                )));
            }
        }
    }
    if !named && !allow_empty {
        return Err(Error::Filer(format!("{what} {value:?} is empty")));
    }
    Ok(())
}

/// Checks a piece of a file name (no separator, no NUL).
pub(crate) fn check_part(what: &str, value: &str) -> Result<()> {
    if value.contains('/') || value.contains('\0') {
        return Err(Error::Filer(format!(
            "{what} {value:?} must not contain `/` or NUL"
        )));
    }
    Ok(())
}

pub(crate) fn check_fext(fext: &str) -> Result<()> {
    check_part("file extension", fext)?;
    if fext.is_empty() {
        return Err(Error::Filer("file extension is empty".into()));
    }
    Ok(())
}

pub(crate) fn check_perm(perm: u32) -> Result<()> {
    if perm & !0o7777 != 0 {
        return Err(Error::Filer(format!(
            "perm {perm:#o} is not a permission mode"
        )));
    }
    Ok(())
}

/// Appends the normal components of a validated relative path.
pub(crate) fn push_rel(out: &mut PathBuf, rel: &Path) {
    for c in rel.components() {
        if let Component::Normal(part) = c {
            out.push(part);
        }
    }
}

/// Replaces a leading `~` component with the home directory.
pub(crate) fn expand_home(
    path: &Path,
    home: impl FnOnce() -> Result<Option<PathBuf>>,
) -> Result<PathBuf> {
    let mut parts = path.components();
    if parts.next() == Some(Component::Normal("~".as_ref())) {
        let home = home()?.ok_or_else(|| {
            Error::Filer(format!("no home directory to expand {}", path.display()))
        })?;
        return Ok(home.join(parts.as_path()));
    }
    Ok(path.to_owned())
}

/// Absolute and lexically normalized (Python's `os.path.abspath`).
pub(crate) fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        Ok(normalize(path))
    } else {
        Ok(normalize(&std::env::current_dir()?.join(path)))
    }
}

/// Drops `.` components and resolves `..` lexically.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filing::Filer;

    #[test]
    fn tokens_differ_and_use_mkdtemp_alphabet() {
        let a = random_token();
        let b = random_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 8);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
        );
    }

    #[test]
    fn normalize_resolves_dots() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/..")), PathBuf::from("/"));
        assert_eq!(normalize(Path::new("a/../../b")), PathBuf::from("../b"));
    }

    #[test]
    fn rel_path_adds_extension_only_when_missing() {
        let f = |name: &str| {
            Filer::builder()
                .name(name)
                .filed(true)
                .build()
                .unwrap()
                .rel_path()
        };
        assert_eq!(f("test"), PathBuf::from("test.text"));
        assert_eq!(f("test.json"), PathBuf::from("test.json"));
        assert_eq!(f("a.b/c"), PathBuf::from("a.b/c.text"));
        assert_eq!(f("./x/"), PathBuf::from("x.text"));
        assert_eq!(f(".hidden"), PathBuf::from(".hidden.text"));
    }
}
