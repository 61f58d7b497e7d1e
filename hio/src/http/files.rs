//! Static files: [`StaticFiles`], a [`Handler`] that serves a directory.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE, IF_MODIFIED_SINCE, LAST_MODIFIED};
use http::{HeaderValue, Method, Request, Response, StatusCode};

use super::{Body, BodyStream, Handler, HttpError, Piece, http_date, parse_http_date};
use crate::error::{Error, Result};

/// Serves the files under a root directory: GET and HEAD, content types
/// from the file name, `Last-Modified` and `If-Modified-Since` (304), a
/// directory's `index.html`, and no way out of the root (`..`, absolute
/// paths, NUL bytes and symlinks leading outside are refused with 404).
/// Only regular files are served: a FIFO, socket, device or a directory
/// without `index.html` is 404 and is never opened, so no request can block
/// the server. An `If-Modified-Since` later than now is ignored (RFC 9110
/// §13.1.3).
///
/// ```
/// use hio::http::{Bytes, Handler, Request, StaticFiles};
/// let dir = std::env::temp_dir().join(format!("hio-static-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// std::fs::write(dir.join("hi.txt"), "hello")?;
/// let mut files = StaticFiles::new(&dir)?;
/// let req = Request::get("/hi.txt").body(Bytes::new()).unwrap();
/// let res = files.handle(req);
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.headers()["content-type"], "text/plain");
/// let bad = Request::get("/../etc/passwd").body(Bytes::new()).unwrap();
/// assert_eq!(files.handle(bad).status(), 404);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct StaticFiles {
    root: PathBuf,
}

impl StaticFiles {
    /// Serves `root` (which must be a directory).
    pub fn new(root: impl AsRef<Path>) -> Result<Self> {
        let root = root.as_ref().canonicalize()?;
        if !root.is_dir() {
            return Err(Error::Invalid(format!(
                "{} is not a directory",
                root.display()
            )));
        }
        Ok(StaticFiles { root })
    }

    /// The directory served.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file a request path names, if it is inside the root.
    fn resolve(&self, path: &str) -> Option<PathBuf> {
        let decoded = percent_decode(path)?;
        let mut out = self.root.clone();
        for comp in Path::new(&decoded).components() {
            match comp {
                Component::Normal(p) => out.push(p),
                Component::RootDir | Component::CurDir => {}
                Component::ParentDir | Component::Prefix(_) => return None,
            }
        }
        if out.is_dir() {
            out.push("index.html");
        }
        // Symlinks may not lead out of the root.
        let real = out.canonicalize().ok()?;
        real.starts_with(&self.root).then_some(real)
    }
}

/// Opens `path` only if it is a regular file, without ever blocking.
///
/// The path is checked first so FIFOs, sockets and devices are never opened
/// at all; `O_NONBLOCK` covers a swap between the check and the open (a
/// FIFO's open would otherwise wait for a writer), and the open handle is
/// checked again. `path` is canonical, so `O_NOFOLLOW` refuses only a
/// symlink planted in that window. Regular files ignore `O_NONBLOCK`.
///
/// The error is the status to answer: 403 for a regular file we may not
/// read, 404 for anything else.
fn open_regular(path: &Path) -> std::result::Result<(File, std::fs::Metadata), u16> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() => open_checked(path),
        _ => Err(404),
    }
}

/// The race-proof half of [`open_regular`]: a non-blocking open, then a
/// check of what was actually opened.
fn open_checked(path: &Path) -> std::result::Result<(File, std::fs::Metadata), u16> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY)
        .open(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::PermissionDenied => 403_u16,
            // Gone or swapped (ELOOP, ENXIO) since the check.
            _ => 404,
        })?;
    match file.metadata() {
        Ok(m) if m.is_file() => Ok((file, m)),
        _ => Err(404),
    }
}

/// Percent-decodes a path; `None` for bad escapes, NUL bytes or invalid UTF-8.
fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    if out.contains(&0) {
        return None;
    }
    String::from_utf8(out).ok()
}

impl Handler for StaticFiles {
    fn handle(&mut self, req: Request<Bytes>) -> Response<Body> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut e = HttpError::new(405);
            e.headers
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return e.into();
        }
        let Some(path) = self.resolve(req.uri().path()) else {
            return HttpError::new(404).title("Missing Resource").into();
        };
        let (file, meta) = match open_regular(&path) {
            Ok(opened) => opened,
            Err(404) => return HttpError::new(404).title("Missing Resource").into(),
            Err(status) => return HttpError::new(status).into(),
        };
        let modified = meta
            .modified()
            .ok()
            .map(chrono::DateTime::<chrono::Utc>::from);
        // HTTP dates have whole seconds.
        let modified_secs = modified.map(|t| t.timestamp());
        if let (Some(m), Some(since)) = (
            modified_secs,
            req.headers()
                .get(IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_http_date),
        ) && m <= since.timestamp()
            // RFC 9110 §13.1.3: a date later than now is invalid; ignore it.
            && since <= chrono::Utc::now()
        {
            let mut res = Response::new(Body::Empty);
            *res.status_mut() = StatusCode::NOT_MODIFIED;
            return res;
        }
        let mime = mime_guess::from_path(&path).first_or_octet_stream();
        let mut res = Response::new(Body::stream(FileStream {
            file,
            buf: vec![0; 64 * 1024],
        }));
        let h = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(mime.essence_str()) {
            h.insert(CONTENT_TYPE, v);
        }
        h.insert(CONTENT_LENGTH, HeaderValue::from(meta.len()));
        if let Some(m) = modified
            && let Ok(v) = HeaderValue::from_str(&http_date(m))
        {
            h.insert(LAST_MODIFIED, v);
        }
        res
    }
}

/// A file sent 64 KiB per pass.
struct FileStream {
    file: File,
    buf: Vec<u8>,
}

impl BodyStream for FileStream {
    fn next_piece(&mut self) -> Piece {
        match self.file.read(&mut self.buf) {
            Ok(0) => Piece::End,
            Ok(n) => Piece::Data(Bytes::copy_from_slice(&self.buf[..n])),
            Err(e) => Piece::Fail(HttpError::new(500).detail(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The check-then-open race: a FIFO that slips past the path check
    /// must still not block the open, and must be refused.
    #[test]
    fn regression_open_checked_never_blocks_on_fifo() {
        let dir = std::env::temp_dir().join(format!("hio-open-checked-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fifo = dir.join("pipe");
        let _ = std::fs::remove_file(&fifo);
        // `mkfifo(1)`: the workspace forbids `unsafe`, so not `libc::mkfifo`.
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let (tx, rx) = std::sync::mpsc::channel();
        let path = fifo.clone();
        std::thread::spawn(move || {
            let _ = tx.send(open_checked(&path).map(|_| ()));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(3));
        if got.is_err() {
            // Free a reader stuck in open so the test process can exit.
            use std::os::unix::fs::OpenOptionsExt;
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&fifo);
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(got, Ok(Err(404)), "Err(Timeout): the open blocked");
    }
}
