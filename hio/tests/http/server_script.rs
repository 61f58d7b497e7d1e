//! The HTTP server's state machine under random scripts of hostile
//! clients (the `http_server` fuzz target's harness, included below): no
//! client ever reads another's response, and every connection is released
//! once its peer closes, with no tyme passing.
#![cfg(feature = "http")]

use proptest::prelude::*;

include!("../../../fuzz/harness/http_server.rs");

use crate::util::corpus::replay;

/// Issue 10, defect 1: a slow response and half a request, a reset, and
/// a newcomer from the same address and port.
#[test]
fn regression_script_same_address_after_reset() {
    http_server_script(&[0, 1, 0, 2, 7, 3, 0, 0, 7, 7, 7, 7, 7, 7, 7, 7]);
}

/// The harness can fail: a client that reads a stranger's name panics.
#[test]
fn the_check_trips_on_a_stranger() {
    let slot = Slot {
        sock: None,
        local: "127.0.0.1:1".parse().unwrap(),
        name: "s0i4".into(),
        got: b"HTTP/1.1 200 OK\r\n\r\n<s0i1>".to_vec(),
    };
    assert!(std::panic::catch_unwind(|| check(&slot)).is_err());
}

/// Every script the fuzzer kept (`fuzz/corpus/http_server`).
#[test]
fn http_server_corpus_replays() {
    replay("http_server", 5, |script| {
        http_server_script(&script[..script.len().min(256)])
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn scripts_never_leak_and_never_hold(script in proptest::collection::vec(any::<u8>(), 0..160)) {
        http_server_script(&script);
    }
}
