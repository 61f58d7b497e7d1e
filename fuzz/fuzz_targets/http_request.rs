//! The server's request reading over arbitrary bytes: pipelined heads and
//! bodies, whole and in pieces, checked against a strict reference. The
//! harness is shared with the corpus replay test
//! `hio/tests/http/request_corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../harness/http_request.rs");

fuzz_target!(|data: &[u8]| http_request(data));
