//! Replays the HTTP client's fuzz corpora (`fuzz/corpus/http_response/`
//! and `fuzz/corpus/sse/`) through the fuzz targets' own harness
//! (`fuzz/harness/http_client.rs`, included below), so CI checks every
//! seed and every input the fuzzer kept without cargo-fuzz.
#![cfg(feature = "http")]

include!("../../../fuzz/harness/http_client.rs");

use crate::util::corpus::replay;

#[test]
fn http_response_corpus_replays() {
    replay("http_response", 5, http_response);
}

#[test]
fn sse_corpus_replays() {
    replay("sse", 5, sse);
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
