//! The static file handler (`StaticFiles`): non-regular files are never
//! opened.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use chrono::Utc;
use hio::http::{Body, Handler, Piece, StaticFiles, http_date};

/// A fresh directory under the temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir =
            std::env::temp_dir().join(format!("hio-files-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `mkfifo(1)`: the workspace forbids `unsafe`, so `libc::mkfifo` is out.
fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Status and full body of a response (a streamed body is drained).
fn drain(res: http::Response<Body>) -> (u16, Vec<u8>) {
    let status = res.status().as_u16();
    let body = match res.into_body() {
        Body::Empty => Vec::new(),
        Body::Full(b) => b.to_vec(),
        Body::Stream(mut s) => {
            let mut out = Vec::new();
            loop {
                match s.next_piece() {
                    Piece::Data(b) => out.extend_from_slice(&b),
                    Piece::End => break,
                    Piece::Fail(e) => panic!("body failed: {e}"),
                }
            }
            out
        }
    };
    (status, body)
}

fn get(files: &mut StaticFiles, path: &str, ims: Option<&str>) -> (u16, Vec<u8>) {
    let mut req = http::Request::get(path);
    if let Some(v) = ims {
        req = req.header("if-modified-since", v);
    }
    drain(files.handle(req.body(Bytes::new()).unwrap()))
}

/// GETs `path` on another thread; `None` if no answer within `wait`.
/// A request stuck opening `fifo` is freed by opening it for writing, so
/// the test process can still exit.
fn get_bounded(files: &StaticFiles, path: &str, fifo: &Path, wait: Duration) -> Option<u16> {
    let (tx, rx) = mpsc::channel();
    let mut files = files.clone();
    let path = path.to_string();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(get(&mut files, &path, None).0);
    });
    match rx.recv_timeout(wait) {
        Ok(status) => {
            worker.join().unwrap();
            Some(status)
        }
        Err(_) => {
            use std::os::unix::fs::OpenOptionsExt;
            // Non-blocking: succeeds only while a reader is waiting in open.
            let writer = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(fifo);
            drop(writer);
            let _ = rx.recv_timeout(wait);
            None
        }
    }
}

#[test]
fn regression_fifo_is_never_opened() {
    let dir = TempDir::new("fifo");
    let fifo = dir.0.join("pipe");
    mkfifo(&fifo);
    std::fs::write(dir.0.join("plain.txt"), "plain").unwrap();
    let files = StaticFiles::new(&dir.0).unwrap();

    let status = get_bounded(&files, "/pipe", &fifo, Duration::from_secs(3));
    assert_eq!(
        status,
        Some(404),
        "a FIFO must answer 404 at once (None: the handler blocked)"
    );
    let mut files = files;
    assert_eq!(
        get(&mut files, "/plain.txt", None),
        (200, b"plain".to_vec())
    );
    // Conditional requests must not reach the FIFO either.
    let ims = http_date(Utc::now());
    assert_eq!(get(&mut files, "/pipe", Some(&ims)).0, 404);
}

#[test]
fn regression_unix_socket_is_404() {
    let dir = TempDir::new("sock");
    let _listener = std::os::unix::net::UnixListener::bind(dir.0.join("sock")).unwrap();
    let mut files = StaticFiles::new(&dir.0).unwrap();
    assert_eq!(get(&mut files, "/sock", None).0, 404);
}

#[test]
fn directory_without_index_is_404() {
    let dir = TempDir::new("dir");
    std::fs::create_dir(dir.0.join("sub")).unwrap();
    let mut files = StaticFiles::new(&dir.0).unwrap();
    assert_eq!(get(&mut files, "/sub", None).0, 404);
    assert_eq!(get(&mut files, "/sub/", None).0, 404);
    std::fs::write(dir.0.join("sub/index.html"), "<p>i</p>").unwrap();
    assert_eq!(get(&mut files, "/sub/", None), (200, b"<p>i</p>".to_vec()));
}
