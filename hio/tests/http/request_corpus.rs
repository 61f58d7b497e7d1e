//! Replays the `http_request` fuzz corpus (fuzz/corpus/http_request)
//! through the fuzz target's own harness (`fuzz/harness/http_request.rs`,
//! included below), so CI makes every check the fuzzer makes on every
//! input it kept, without cargo-fuzz.
#![cfg(feature = "http")]

include!("../../../fuzz/harness/http_request.rs");

use crate::util::corpus::replay;

#[test]
fn http_request_corpus_replays_cleanly() {
    replay("http_request", 5, http_request);
}

/// The harness can fail, and reads as the server must.
#[test]
fn seeds_read_as_expected() {
    let read = |m: &[u8]| read_requests(&[m]);
    // Pipelined: both, in order.
    let two = read(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok");
    assert_eq!(two.len(), 2);
    assert!(
        matches!(&two[1], Seen::Request { target, body, .. } if target == "/b" && body == b"ok")
    );
    // Both framings: chunked wins, and nothing after it is read.
    let smuggle = read(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    assert_eq!(smuggle.len(), 1);
    assert!(matches!(
        &smuggle[0],
        Seen::Request {
            keep_alive: false,
            ..
        }
    ));
    // Strict refusals.
    for bad in [
        &b"GET / HTTP/1.1\r\n\r\n"[..],
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
    ] {
        assert!(
            matches!(read(bad)[..], [Seen::Refused(400)]),
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
    // The reference check itself trips on a lenient parse.
    let lenient = std::panic::catch_unwind(|| {
        let (head, _) = parse_request_head(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", &REQUEST_LIMITS)
            .unwrap()
            .unwrap();
        strict_reference(b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", &head);
    });
    assert!(lenient.is_err());
}
