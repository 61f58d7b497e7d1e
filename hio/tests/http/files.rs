//! The static file handler (`StaticFiles`) and HTTP date parsing:
//! non-regular files are never opened, and `If-Modified-Since` follows
//! RFC 9110 (three date forms, future dates ignored).

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{Datelike, TimeZone, Utc};
use hio::http::{Body, Handler, Piece, StaticFiles, http_date, parse_http_date};

use crate::util::io::Scratch;

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
    let dir = Scratch::new("files-fifo");
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
    let dir = Scratch::new("files-sock");
    let _listener = std::os::unix::net::UnixListener::bind(dir.0.join("sock")).unwrap();
    let mut files = StaticFiles::new(&dir.0).unwrap();
    assert_eq!(get(&mut files, "/sock", None).0, 404);
}

#[test]
fn directory_without_index_is_404() {
    let dir = Scratch::new("files-dir");
    std::fs::create_dir(dir.0.join("sub")).unwrap();
    let mut files = StaticFiles::new(&dir.0).unwrap();
    assert_eq!(get(&mut files, "/sub", None).0, 404);
    assert_eq!(get(&mut files, "/sub/", None).0, 404);
    std::fs::write(dir.0.join("sub/index.html"), "<p>i</p>").unwrap();
    assert_eq!(get(&mut files, "/sub/", None), (200, b"<p>i</p>".to_vec()));
}

/// A root holding `page.txt` last modified an hour before
/// Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example date).
fn old_file() -> (Scratch, StaticFiles) {
    let dir = Scratch::new("files-ims");
    let path = dir.0.join("page.txt");
    std::fs::write(&path, "page").unwrap();
    let then = Utc.with_ymd_and_hms(1994, 11, 6, 7, 49, 37).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(then.into())
        .unwrap();
    let files = StaticFiles::new(&dir.0).unwrap();
    (dir, files)
}

#[test]
fn if_modified_since_imf_fixdate_gives_304() {
    let (_dir, mut files) = old_file();
    let ims = "Sun, 06 Nov 1994 08:49:37 GMT";
    assert_eq!(get(&mut files, "/page.txt", Some(ims)), (304, Vec::new()));
    // Modified after the date: the full response.
    let before = "Sun, 06 Nov 1994 06:49:37 GMT";
    assert_eq!(
        get(&mut files, "/page.txt", Some(before)),
        (200, b"page".to_vec())
    );
}

#[test]
fn regression_if_modified_since_rfc850_gives_304() {
    let (_dir, mut files) = old_file();
    let ims = "Sunday, 06-Nov-94 08:49:37 GMT";
    assert_eq!(get(&mut files, "/page.txt", Some(ims)), (304, Vec::new()));
}

#[test]
fn regression_if_modified_since_asctime_gives_304() {
    let (_dir, mut files) = old_file();
    let ims = "Sun Nov  6 08:49:37 1994";
    assert_eq!(get(&mut files, "/page.txt", Some(ims)), (304, Vec::new()));
}

#[test]
fn regression_if_modified_since_in_future_is_ignored() {
    let dir = Scratch::new("files-future");
    std::fs::write(dir.0.join("now.txt"), "now").unwrap();
    let mut files = StaticFiles::new(&dir.0).unwrap();
    let tomorrow = http_date(Utc::now() + chrono::Duration::days(1));
    assert_eq!(
        get(&mut files, "/now.txt", Some(&tomorrow)),
        (200, b"now".to_vec())
    );
    // A date that is not in the future still gives 304.
    std::thread::sleep(Duration::from_millis(1100));
    let now = http_date(Utc::now());
    assert_eq!(get(&mut files, "/now.txt", Some(&now)).0, 304);
}

fn example() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(1994, 11, 6, 8, 49, 37).unwrap()
}

#[test]
fn parse_http_date_imf_fixdate() {
    assert_eq!(
        parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(example())
    );
    let t = Utc.with_ymd_and_hms(2015, 9, 30, 14, 29, 18).unwrap();
    assert_eq!(parse_http_date(&http_date(t)), Some(t));
}

#[test]
fn regression_parse_http_date_rfc850() {
    assert_eq!(
        parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
        Some(example())
    );
}

#[test]
fn regression_parse_http_date_asctime() {
    assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(example()));
    let t = Utc.with_ymd_and_hms(1994, 11, 16, 8, 49, 37).unwrap();
    assert_eq!(parse_http_date("Wed Nov 16 08:49:37 1994"), Some(t));
}

/// RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is
/// the most recent past year with those digits.
#[test]
fn regression_parse_http_date_rfc850_two_digit_year() {
    let this_year = Utc::now().year();
    for (ahead, expected) in [(0, this_year), (50, this_year + 50), (51, this_year - 49)] {
        let year = this_year + ahead;
        // 1 January (the weekday must match the year, so format it).
        let day = Utc.with_ymd_and_hms(expected, 1, 1, 0, 0, 0).unwrap();
        let text = format!(
            "{}, 01-Jan-{:02} 00:00:00 GMT",
            day.format("%A"),
            year % 100
        );
        assert_eq!(parse_http_date(&text), Some(day), "{text}");
    }
}

#[test]
fn parse_http_date_invalid_input() {
    for bad in [
        "",
        " ",
        "GMT",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Mon, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sunday, 29-Feb-01 08:49:37 GMT",
        "Sun Nov  6 08:49:37",
        "Sun Nov  6 08:49:37 1994 GMT",
        "Sun Nov 99 08:49:37 1994",
        "Sun, 06 Nov 99999999999999999999 08:49:37 GMT",
        "Sün, 06 Nov 1994 08:49:37 GMT",
        "日曜日, 06-Nov-94 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT\u{0}",
        "\u{feff}",
    ] {
        assert_eq!(parse_http_date(bad), None, "{bad:?}");
    }
}
