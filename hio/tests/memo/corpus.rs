//! Replays the fuzz corpus (`fuzz/corpus/memo_grams/`) through the fuzz
//! target's own harness (`fuzz/harness/memo_grams.rs`, included below), so
//! that CI covers every input the fuzzer kept without cargo-fuzz.
#![cfg(feature = "memo")]

include!("../../../fuzz/harness/memo_grams.rs");

use crate::util::corpus;

fn run(data: &[u8]) -> usize {
    match data.split_first() {
        None => 0,
        Some((&flags, rest)) if flags & 0x10 != 0 => {
            round_trip(flags, rest, false).expect("corpus round trips have valid formats")
        }
        Some((&flags, rest)) => decode(flags, rest),
    }
}

#[test]
fn replay_fuzz_corpus() {
    let mut memos = 0;
    let files = corpus::replay("memo_grams", 30, |data| memos += run(data));
    assert!(memos >= 20, "only {memos} memos from {files} files");
}

#[test]
fn seed_scenarios_behave() {
    let dir = corpus::dir("memo_grams");
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    assert_eq!(run(&read("s2_text_segments")), 1);
    assert_eq!(run(&read("s4_out_of_order")), 1);
    assert_eq!(run(&read("s10_count_zero")), 1);
    assert_eq!(run(&read("s14_legacy")), 1);
    assert_eq!(run(&read("s14_legacy_signed_binary")), 1);
    for crash in [
        "s9_unknown_code",
        "s9_bad_neck",
        "s9_hole",
        "s9_bad_utf8",
        "s9_ack",
    ] {
        assert_eq!(run(&read(crash)), 0, "{crash}");
    }
}
