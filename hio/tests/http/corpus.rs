//! Replays the HTTP client's fuzz corpora (`fuzz/corpus/http_response/`
//! and `fuzz/corpus/sse/`) through the fuzz targets' own harness
//! (`fuzz/harness/http_client.rs`, included below), so CI checks every
//! seed and every input the fuzzer kept without cargo-fuzz.
#![cfg(feature = "http")]

use std::path::{Path, PathBuf};

include!("../../../fuzz/harness/http_client.rs");

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `target` over every file, naming the file that fails.
fn replay(name: &str, target: fn(&[u8])) -> usize {
    let files = corpus(name);
    assert!(
        files.len() >= 5,
        "the {name} corpus has only {} files",
        files.len()
    );
    for file in &files {
        let data = std::fs::read(file).unwrap();
        if std::panic::catch_unwind(|| target(&data)).is_err() {
            panic!("{name}: {} fails", file.display());
        }
    }
    files.len()
}

#[test]
fn http_response_corpus_replays() {
    replay("http_response", http_response);
}

#[test]
fn sse_corpus_replays() {
    replay("sse", sse);
}

/// The harness itself must be able to fail: a parse that consumed more
/// than it was given, or pieces parsed differently, would panic.
#[test]
fn seeds_parse_as_expected() {
    let ok = |m: &[u8]| parse_response(&[m], false).unwrap().unwrap();
    let r = ok(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    assert_eq!(
        (r.status, r.body.as_slice(), r.complete),
        (200, &b"ok"[..], true)
    );
    let r = ok(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
    assert_eq!(
        (r.framing, r.body.as_slice()),
        (Framing::Chunked, &b"hello"[..])
    );
    let r = parse_response(
        &[b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"],
        true,
    );
    assert_eq!(r.unwrap().unwrap().body, b"");
    assert!(parse_response(&[b"XTTP/1.1 200 OK\r\n\r\n"], false).is_err());
    let (events, last_id, retry, pending) =
        parse_events(&[b"retry: 1000\n\nid: 0\ndata: START\n\ndata: nodispatch"]);
    assert_eq!(events.len(), 1);
    assert_eq!(
        (last_id.as_deref(), retry, pending),
        (Some("0"), Some(1000), 16)
    );
}
