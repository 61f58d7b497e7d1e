//! WireLog and WireLogDoer (hio-io §4, scenario S29).
//!
//! File-mode tests inject the temp head, the persistent head and the home
//! directory, so nothing is written to `/usr/local/var` or the real home.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use hio::wiring::Dx;
use hio::{Doist, Error, Who, WireFormat, WireLog, WireLogDoer};

use crate::util::io::Scratch;

fn addr() -> SocketAddr {
    "127.0.0.1:6101".parse().unwrap()
}

const S29: &[u8] = b"\nRx ('127.0.0.1', 6101):\nhello\n\nTx beta:\nworld\n";

/// `<name>.<YYYY-mm-dd_HH-MM-SS_ffffff><suffix>`
fn assert_log_name(path: &Path, name: &str, suffix: &str) {
    let file = path.file_name().unwrap().to_str().unwrap();
    let stamp = file
        .strip_prefix(&format!("{name}."))
        .and_then(|s| s.strip_suffix(suffix))
        .unwrap_or_else(|| panic!("{file} is not {name}.<stamp>{suffix}"));
    assert!(
        chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d_%H-%M-%S_%6f").is_ok(),
        "bad stamp in {file}"
    );
    assert_eq!(stamp.len(), "2026-01-02_03-04-05_123456".len(), "{file}");
}

#[test]
fn io_s29_wirelog_record() {
    let mut wl = WireLog::builder().samed(true).open().unwrap();
    assert!(wl.opened() && !wl.filed());
    wl.write_rx(b"hello", addr()).unwrap();
    wl.write_tx(b"world", "beta").unwrap();
    assert_eq!(wl.read_rx().unwrap().unwrap(), S29);
    assert_eq!(wl.read_tx().unwrap().unwrap(), S29);
    wl.close(false).unwrap();
    assert_eq!(wl.read_rx().unwrap(), None);
    // Writing to a closed log is ignored.
    wl.write_rx(b"late", "x").unwrap();
    assert_eq!(wl.read_tx().unwrap(), None);
}

#[test]
fn separate_logs_and_directions() {
    let mut wl = WireLog::builder().open().unwrap();
    let sent = addr();
    let data = b"world".to_vec();
    wl.write_rx("hello", sent).unwrap();
    wl.write_tx(&data, "beta").unwrap();
    assert_eq!(data, b"world");
    assert_eq!(
        wl.read_rx().unwrap().unwrap(),
        b"\nRx ('127.0.0.1', 6101):\nhello\n"
    );
    assert_eq!(wl.read_tx().unwrap().unwrap(), b"\nTx beta:\nworld\n");

    // Only rx: tx writes are dropped and there is no tx log.
    let mut rx_only = WireLog::builder().txed(false).samed(true).open().unwrap();
    rx_only.write_rx(b"a", "p").unwrap();
    rx_only.write_tx(b"b", "p").unwrap();
    assert_eq!(rx_only.read_rx().unwrap().unwrap(), b"\nRx p:\na\n");
    assert_eq!(rx_only.read_tx().unwrap(), None);

    // Neither: open, but nothing is logged.
    let mut none = WireLog::builder().rxed(false).txed(false).open().unwrap();
    assert!(none.opened());
    none.write_rx(b"a", "p").unwrap();
    assert_eq!(none.read_rx().unwrap(), None);

    // A reopen starts fresh buffers.
    wl.reopen(None).unwrap();
    assert_eq!(wl.read_rx().unwrap().unwrap(), b"");

    // Not opened: writes are ignored.
    let mut closed = WireLog::builder().build().unwrap();
    closed.write_rx(b"a", "p").unwrap();
    assert_eq!(closed.read_rx().unwrap(), None);
}

#[test]
fn formats_and_who() {
    let mut raw = WireLog::builder()
        .samed(true)
        .format(WireFormat::Raw)
        .open()
        .unwrap();
    raw.write_rx(b"hello", addr()).unwrap();
    raw.write_tx(b"world", "beta").unwrap();
    assert_eq!(raw.read_rx().unwrap().unwrap(), b"helloworld");

    fn arrow(out: &mut Vec<u8>, dx: Dx, who: &Who<'_>, data: &[u8]) {
        let arrow: &[u8] = if dx == Dx::Rx { b"<-" } else { b"->" };
        out.extend_from_slice(arrow);
        who.write_to(out);
        out.push(b'|');
        out.extend_from_slice(data);
    }
    let mut custom = WireLog::builder()
        .samed(true)
        .format(WireFormat::Custom(arrow))
        .open()
        .unwrap();
    custom.write_rx(b"1", "a").unwrap();
    custom.write_tx(b"2", "b").unwrap();
    assert_eq!(custom.read_tx().unwrap().unwrap(), b"<-a|1->b|2");

    let v6: SocketAddr = "[fe80::1%3]:6101".parse().unwrap();
    assert_eq!(Who::from(v6).to_string(), "('fe80::1', 6101, 0, 3)");
    let path = PathBuf::from("/tmp/hio/uxd/alpha.uxd");
    assert_eq!(Who::from(&path).to_string(), "/tmp/hio/uxd/alpha.uxd");
    let bytes: &[u8] = b"\xffraw";
    let mut out = Vec::new();
    Who::from(bytes).write_to(&mut out);
    assert_eq!(out, b"\xffraw", "bytes are written as they are");
    let mut wl = WireLog::builder().samed(true).open().unwrap();
    wl.write_rx(b"x", Who::default()).unwrap();
    assert_eq!(wl.read_rx().unwrap().unwrap(), b"\nRx :\nx\n");

    // A Unix socket address logs as its path.
    let s = Scratch::new("wiring-unixwho");
    let sock_path = s.0.join("w.uxd");
    let sock = std::os::unix::net::UnixDatagram::bind(&sock_path).unwrap();
    let local = sock.local_addr().unwrap();
    wl.write_tx(b"y", &local).unwrap();
    let text = wl.read_tx().unwrap().unwrap();
    assert!(text.ends_with(format!("\nTx {}:\ny\n", sock_path.display()).as_bytes()));
}

#[test]
fn file_mode_round_trip_temp() {
    let s = Scratch::new("wiring-temp");
    let tmp = s.dir("tmp");

    // Separate files.
    let mut wl = WireLog::builder()
        .name("alpha")
        .filed(true)
        .temp(true)
        .temp_head_dir(&tmp)
        .open()
        .unwrap();
    let dir = wl.dir_path().unwrap().to_owned();
    let parent = tmp.join("hio/wirelogs");
    assert_eq!(dir.parent(), Some(parent.as_path()));
    let dir_name = dir.file_name().unwrap().to_str().unwrap();
    assert!(
        dir_name.starts_with("test_") && dir_name.ends_with("_temp") && dir_name.len() == 18,
        "{dir_name}"
    );
    let rx = wl.rx_path().unwrap().to_owned();
    let tx = wl.tx_path().unwrap().to_owned();
    assert_eq!(rx.parent(), Some(dir.as_path()));
    assert_log_name(&rx, "alpha", ".rx.log");
    assert_log_name(&tx, "alpha", ".tx.log");
    wl.write_rx(b"hello", addr()).unwrap();
    wl.write_tx(b"world", "beta").unwrap();
    wl.write_rx(b"again", addr()).unwrap();
    assert_eq!(
        wl.read_rx().unwrap().unwrap(),
        b"\nRx ('127.0.0.1', 6101):\nhello\n\nRx ('127.0.0.1', 6101):\nagain\n"
    );
    // Writes after a read still append.
    wl.write_tx(b"more", "beta").unwrap();
    wl.flush().unwrap();
    assert_eq!(
        fs::read(&tx).unwrap(),
        b"\nTx beta:\nworld\n\nTx beta:\nmore\n"
    );
    assert_eq!(wl.read_tx().unwrap().unwrap(), fs::read(&tx).unwrap());
    wl.close(false).unwrap();
    assert!(!dir.exists(), "a temp log's directory goes on close");
    assert_eq!(wl.read_rx().unwrap(), None);

    // A shared file, reopened: a fresh directory and file.
    let mut same = WireLog::builder()
        .name("beta")
        .samed(true)
        .filed(true)
        .temp(true)
        .temp_head_dir(&tmp)
        .open()
        .unwrap();
    let path = same.rx_path().unwrap().to_owned();
    assert_eq!(same.tx_path(), Some(path.as_path()));
    assert_log_name(&path, "beta", ".log");
    same.write_rx(b"hello", addr()).unwrap();
    same.write_tx(b"world", "beta").unwrap();
    assert_eq!(same.read_rx().unwrap().unwrap(), S29);
    assert_eq!(fs::read(&path).unwrap(), S29);
    same.reopen(None).unwrap();
    assert!(!path.exists());
    assert_ne!(same.rx_path(), Some(path.as_path()));
    assert_eq!(same.read_rx().unwrap().unwrap(), b"");
    same.close(false).unwrap();
    assert_eq!(fs::read_dir(&parent).unwrap().count(), 0);
}

#[test]
fn file_mode_persistent_and_fallback() {
    let s = Scratch::new("wiring-persist");
    let head = s.dir("usr/local/var");
    let home = s.dir("home");

    let mut wl = WireLog::builder()
        .name("main")
        .samed(true)
        .filed(true)
        .head_dir_path(&head)
        .home_dir(&home)
        .open()
        .unwrap();
    assert_eq!(wl.dir_path(), Some(head.join("hio/wirelogs").as_path()));
    wl.write_rx(b"hello", addr()).unwrap();
    wl.write_tx(b"world", "beta").unwrap();
    let path = wl.rx_path().unwrap().to_owned();
    wl.close(false).unwrap();
    assert_eq!(
        fs::read(&path).unwrap(),
        S29,
        "a persistent log stays after close"
    );

    // Another log in the same directory survives this one's clear.
    let other = head.join("hio/wirelogs/other.log");
    fs::write(&other, b"keep").unwrap();
    wl.reopen(None).unwrap();
    let second = wl.rx_path().unwrap().to_owned();
    wl.close(true).unwrap();
    assert!(!second.exists());
    assert!(other.exists());
    assert!(path.exists(), "only the files of this opening are cleared");

    // Head under a regular file: fallback ~/.<prefix>/wirelogs.
    let file = s.0.join("afile");
    fs::write(&file, b"x").unwrap();
    let mut alt = WireLog::builder()
        .filed(true)
        .prefix("keri")
        .head_dir_path(file.join("var"))
        .home_dir(&home)
        .open()
        .unwrap();
    let dir = home.join(".keri/wirelogs");
    assert_eq!(alt.dir_path(), Some(dir.as_path()));
    alt.write_tx(b"t", "x").unwrap();
    alt.close(true).unwrap();
    assert!(!dir.exists(), "an emptied directory is removed on clear");

    // A temp reopen switches place.
    let tmp = s.dir("tmp");
    let mut t = WireLog::builder()
        .filed(true)
        .head_dir_path(&head)
        .temp_head_dir(&tmp)
        .build()
        .unwrap();
    t.reopen(Some(true)).unwrap();
    assert!(t.temp());
    assert!(t.dir_path().unwrap().starts_with(tmp.join("hio/wirelogs")));
    t.close(false).unwrap();
}

#[test]
fn invalid_names_are_refused() {
    for name in ["", ".", "..", "a/b", "/abs", "nul\0"] {
        let err = WireLog::builder().name(name).build().unwrap_err();
        assert!(matches!(err, Error::Filer(_)), "{name:?}: {err:?}");
    }
    for prefix in ["/abs", "../up", "a/../../b"] {
        let err = WireLog::builder().prefix(prefix).build().unwrap_err();
        assert!(matches!(err, Error::Filer(_)), "{prefix:?}: {err:?}");
    }
    WireLog::builder()
        .name("alpha.beta")
        .prefix("keri/sub")
        .build()
        .unwrap();
}

#[test]
fn wirelog_doer_opens_and_closes() {
    let s = Scratch::new("wiring-doer");
    let tmp = s.dir("tmp");
    let head = s.dir("head");

    // A temp scheduler puts a file log in a temp directory; exit removes it.
    let wl = WireLog::builder()
        .filed(true)
        .samed(true)
        .head_dir_path(&head)
        .temp_head_dir(&tmp)
        .build()
        .unwrap();
    let mut doist = Doist::new(0.03125).with_limit(0.125).with_temp(true);
    let d = doist.add(WireLogDoer::new(wl));
    doist.enter().unwrap();
    let wl = doist.get_mut(d).unwrap().wire_log_mut();
    assert!(wl.opened() && wl.temp());
    wl.write_rx(b"hello", addr()).unwrap();
    let dir = wl.dir_path().unwrap().to_owned();
    assert!(dir.starts_with(tmp.join("hio/wirelogs")));
    doist.recur().unwrap();
    doist.exit().unwrap();
    assert!(!doist.get(d).unwrap().wire_log().opened());
    assert!(!dir.exists());
    assert_eq!(
        fs::read_dir(head).unwrap().count(),
        0,
        "nothing persistent was written"
    );

    // A full run: never completes by itself; memory log closed at the end.
    let mut doist = Doist::new(0.03125).with_limit(0.125);
    let d = doist.add(WireLogDoer::new(WireLog::builder().build().unwrap()));
    doist.run().unwrap();
    assert!(!doist.done_of(d).is_complete());
    assert!(!doist.get(d).unwrap().wire_log().opened());
}
