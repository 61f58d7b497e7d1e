//! The HTTP server's state machine: scripts of clients that send request
//! fragments, reset and reconnect from the same address, close, and wait,
//! against a real server on loopback. The harness is shared with
//! `hio/tests/http/server_script.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../harness/http_server.rs");

fuzz_target!(|data: &[u8]| http_server_script(&data[..data.len().min(256)]));
