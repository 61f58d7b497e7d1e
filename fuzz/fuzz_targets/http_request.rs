//! The server's request parsing: head, body framing, chunked decoding.
#![no_main]

use hio::http::parse::{Framing, Limits, parse_request_head};
use hio::http::ChunkedDecoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_head: 4096,
        max_headers: 32,
        max_body: 1 << 16,
    };
    // Feed the input in two pieces, as a socket would.
    let split = data.first().map_or(0, |&b| b as usize % (data.len() + 1));
    let mut buf = data[..split].to_vec();
    let head = match parse_request_head(&buf, &limits) {
        Ok(Some(h)) => Some(h),
        Ok(None) => {
            buf.extend_from_slice(&data[split..]);
            parse_request_head(&buf, &limits).ok().flatten()
        }
        Err(_) => None,
    };
    let Some((head, used)) = head else { return };
    assert!(used <= buf.len());
    let rest = &buf[used..];
    match head.framing {
        Framing::Chunked => {
            let mut dec = ChunkedDecoder::new(limits);
            let mut out = Vec::new();
            if let Ok(n) = dec.decode(rest, &mut out) {
                assert!(n <= rest.len());
                assert!(out.len() <= rest.len());
                assert!(out.len() <= limits.max_body);
            }
        }
        Framing::Length(n) => assert!(n <= limits.max_body as u64),
        Framing::None | Framing::Close => {}
    }
});
