//! Replays the `http_request` fuzz corpus (fuzz/corpus/http_request)
//! through the request parser and chunked decoder, so CI checks every
//! input the fuzzer kept without needing cargo-fuzz: none may panic, and
//! the parsers never claim more input than they were given.

use std::path::Path;

use hio::http::ChunkedDecoder;
use hio::http::parse::{Framing, Limits, parse_request_head};

#[test]
fn http_request_corpus_replays_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/http_request");
    let limits = Limits {
        max_head: 4096,
        max_headers: 32,
        max_body: 1 << 16,
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let data = std::fs::read(entry.unwrap().path()).unwrap();
        seen += 1;
        let Ok(Some((head, used))) = parse_request_head(&data, &limits) else {
            continue;
        };
        assert!(used <= data.len());
        if head.framing == Framing::Chunked {
            let mut out = Vec::new();
            if let Ok(n) = ChunkedDecoder::new(limits).decode(&data[used..], &mut out) {
                assert!(n <= data.len() - used && out.len() <= limits.max_body);
            }
        }
    }
    assert!(seen >= 5, "corpus at {} has {seen} inputs", dir.display());
}
