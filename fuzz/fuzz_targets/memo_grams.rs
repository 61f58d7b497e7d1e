//! Fuzz the memogram decoder and reassembler (`hio::memo`). The harness
//! (input framing, flags and checks) is shared with the corpus replay test
//! `hio/tests/memo/corpus.rs`.
#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../harness/memo_grams.rs");

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    if flags & 0x10 != 0 {
        round_trip(flags, rest, true);
    } else {
        decode(flags, rest);
    }
});
