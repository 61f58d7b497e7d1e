//! Fuzz the memogram decoder and reassembler (`hio::memo`).
//!
//! Input: one flag byte, then grams framed as a big-endian `u16` length and
//! that many bytes (a short last frame takes what is left). Flags: bit 0
//! legacy decoding, bit 1 authic, bit 2 a small buffer cap, bit 3 expire
//! partial memos between grams, bit 4 round-trip mode: the rest is
//! `code/curt byte, size u16, memo bytes`, rent and reassembled backwards.
#![no_main]

use hio::Tymist;
use hio::memo::{Code, Format, Keep, Mid, Reassembler, SigningKey, Vid, parse, parse_legacy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    if flags & 0x10 != 0 {
        round_trip(flags, rest);
    } else {
        decode(flags, rest);
    }
});

fn frames(mut rest: &[u8]) -> Vec<&[u8]> {
    let mut grams = Vec::new();
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let len = len.min(rest.len() - 2);
        grams.push(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    grams
}

fn decode(flags: u8, rest: &[u8]) {
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
        delivered += reasm.fuse(|memo| assert!(memo.memo.len() <= gram_bytes(&grams)));
    }
    assert!(delivered <= grams.len());
}

fn gram_bytes(grams: &[&[u8]]) -> usize {
    grams.iter().map(|g| g.len()).sum()
}

fn round_trip(flags: u8, rest: &[u8]) {
    if rest.len() < 3 {
        return;
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
    let Ok(format) = Format::new(code, curt, size) else {
        return;
    };
    // Signing dominates the time per input: keep signed memos to a few grams.
    if code.is_auth() && format.gram_count(memo.len()) > 8 {
        return;
    }
    let key = SigningKey::from_bytes(&[7; 32]);
    let vid = Vid::from_verkey(&key.verifying_key());
    let signer = code.is_auth().then_some((&vid, &key));
    let mid = Mid::from_raw(&[flags; 16]);
    let grams = format.rend(memo, &mid, signer).expect("rend within limits");
    assert_eq!(grams.len() as u32, format.gram_count(memo.len()));
    assert!(grams.iter().all(|g| g.len() <= format.size()));
    let mut reasm = Reassembler::new();
    let keep = Keep::new();
    for gram in grams.iter().rev() {
        reasm.accept(gram, &(), &keep).expect("own grams are valid");
    }
    let mut memos = Vec::new();
    reasm.fuse(|m| memos.push(m));
    match std::str::from_utf8(memo) {
        Ok(text) if !text.is_empty() => {
            assert_eq!(memos.len(), 1);
            assert_eq!(memos[0].memo, text);
            assert_eq!(memos[0].vid, code.is_auth().then_some(vid));
        }
        _ => assert!(memos.is_empty()),
    }
    assert_eq!(reasm.buffered(), 0);
}
