//! Replays the fuzz corpus (`fuzz/corpus/memo_grams/`) through the fuzz
//! target's own harness (`fuzz/harness/memo_grams.rs`, included below), so
//! that CI covers every input the fuzzer kept without cargo-fuzz.
#![cfg(feature = "memo")]

use std::path::Path;

include!("../../../fuzz/harness/memo_grams.rs");

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
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/memo_grams");
    let mut files = 0;
    let mut memos = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/corpus/memo_grams") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        memos += run(&data);
        files += 1;
    }
    assert!(files >= 30, "only {files} corpus files");
    assert!(memos >= 20, "only {memos} memos from {files} files");
}

#[test]
fn seed_scenarios_behave() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/memo_grams");
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
