//! Replays the fuzz corpus (`fuzz/corpus/memo_grams/`) through the
//! memogram decoder and reassembler, with the fuzz target's framing and
//! checks, so that CI covers every input the fuzzer kept without
//! cargo-fuzz.
//!
//! Input: one flag byte, then grams framed as a big-endian `u16` length and
//! that many bytes. Flags: bit 0 legacy decoding, bit 1 authic, bit 2 a
//! small buffer cap, bit 3 expire between grams, bit 4 round-trip mode
//! (`code/curt byte, size u16, memo bytes`).
#![cfg(feature = "memo")]

use std::path::Path;

use hio::Tymist;
use hio::memo::{Code, Format, Keep, Mid, Reassembler, SigningKey, Vid, parse, parse_legacy};

fn frames(mut rest: &[u8]) -> Vec<&[u8]> {
    let mut grams = Vec::new();
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        grams.push(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    grams
}

/// Decode mode; returns how many memos were delivered.
fn decode(flags: u8, rest: &[u8]) -> usize {
    let mut tymist = Tymist::new(0.0, 1.0);
    let mut reasm = Reassembler::new();
    reasm.wind(&tymist.tymen());
    reasm.set_legacy(flags & 1 != 0);
    reasm.set_authic(flags & 2 != 0);
    reasm.set_tymeout(2.0);
    if flags & 4 != 0 {
        reasm.set_max_buffered(4096);
    }
    let keep = Keep::new();
    let grams = frames(rest);
    let total: usize = grams.iter().map(|g| g.len()).sum();
    let mut delivered = 0;
    for gram in &grams {
        if let Ok(g) = parse(gram) {
            assert!(g.signed.len() <= gram.len() && g.body.len() <= g.signed.len());
            assert_eq!(g.gc().is_some(), g.code.is_zeroth());
        }
        if let Ok(g) = parse_legacy(gram) {
            assert!(g.body.len() < gram.len());
        }
        let _ = reasm.accept(gram, &(), &keep);
        if flags & 8 != 0 {
            tymist.tick();
            reasm.expire();
        }
        assert!(reasm.buffered() <= reasm.max_buffered());
        delivered += reasm.fuse(|memo| assert!(memo.memo.len() <= total));
    }
    assert!(delivered <= grams.len());
    delivered
}

/// Round-trip mode; returns 1 when the memo came back.
fn round_trip(flags: u8, rest: &[u8]) -> usize {
    if rest.len() < 3 {
        return 0;
    }
    let code = [
        Code::GramZero,
        Code::GramAuthZero,
        Code::GramSureZero,
        Code::GramSureAuthZero,
    ][usize::from(rest[0] & 3)];
    let curt = rest[0] & 4 != 0;
    let size = usize::from(u16::from_be_bytes([rest[1], rest[2]]));
    let memo = &rest[3..];
    let format = Format::new(code, curt, size).unwrap();
    let key = SigningKey::from_bytes(&[7; 32]);
    let vid = Vid::from_verkey(&key.verifying_key());
    let signer = code.is_auth().then_some((&vid, &key));
    let grams = format
        .rend(memo, &Mid::from_raw(&[flags; 16]), signer)
        .unwrap();
    assert_eq!(grams.len() as u32, format.gram_count(memo.len()));
    let mut reasm = Reassembler::new();
    let keep = Keep::new();
    for gram in grams.iter().rev() {
        reasm.accept(gram, &(), &keep).unwrap();
    }
    let mut memos = Vec::new();
    reasm.fuse(|m| memos.push(m));
    match std::str::from_utf8(memo) {
        Ok(text) if !text.is_empty() => {
            assert_eq!(memos.len(), 1);
            assert_eq!(memos[0].memo, text);
            1
        }
        _ => {
            assert!(memos.is_empty());
            0
        }
    }
}

fn run(data: &[u8]) -> usize {
    match data.split_first() {
        None => 0,
        Some((&flags, rest)) if flags & 0x10 != 0 => round_trip(flags, rest),
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
