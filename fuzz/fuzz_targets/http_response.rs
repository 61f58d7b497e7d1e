//! The client's response parsing over arbitrary bytes: the head (interim
//! 1xx skipped), then the body by its framing (length, chunked, close),
//! whole and in pieces. The harness is shared with the corpus replay test
//! `hio/tests/http/corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../harness/http_client.rs");

fuzz_target!(|data: &[u8]| http_response(data));
