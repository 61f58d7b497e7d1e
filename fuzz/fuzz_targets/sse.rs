//! The Server-Sent Events parser over arbitrary bytes, whole and in
//! pieces: same events either way, `pending()` never above the input,
//! and every event survives rendering and parsing again. The harness is
//! shared with the corpus replay test `hio/tests/http/corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../harness/http_client.rs");

fuzz_target!(|data: &[u8]| sse(data));
