// The memogram fuzz harness, shared by the fuzz target
// (`fuzz/fuzz_targets/memo_grams.rs`) and the corpus replay test
// (`hio/tests/memo/corpus.rs`), both of which `include!` it.
//
// Input: one flag byte, then grams framed as a big-endian `u16` length and
// that many bytes (a short last frame takes what is left). Flags: bit 0
// legacy decoding, bit 1 authic, bit 2 a small buffer cap, bit 3 expire
// partial memos between grams, bit 4 round-trip mode: the rest is
// `code/curt byte, size u16, memo bytes`, rent and reassembled backwards.

use hio::Tymist;
use hio::memo::{Code, Format, Keep, Mid, Reassembler, SigningKey, Vid, parse, parse_legacy};

/// Splits the framed grams.
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

/// Round-trip mode: `None` when the format is invalid, or (with `quick`)
/// when a signed memo would take more than 8 grams, since signing dominates
/// the fuzzer's time; otherwise 1 when the memo came back, 0 for an empty or
/// non-UTF-8 memo, which makes no memo.
fn round_trip(flags: u8, rest: &[u8], quick: bool) -> Option<usize> {
    if rest.len() < 3 {
        return Some(0);
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
    let format = Format::new(code, curt, size).ok()?;
    if quick && code.is_auth() && format.gram_count(memo.len()) > 8 {
        return None;
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
    assert_eq!(reasm.buffered(), 0);
    match std::str::from_utf8(memo) {
        Ok(text) if !text.is_empty() => {
            assert_eq!(memos.len(), 1);
            assert_eq!(memos[0].memo, text);
            assert_eq!(memos[0].vid, code.is_auth().then_some(vid));
            Some(1)
        }
        _ => {
            assert!(memos.is_empty());
            Some(0)
        }
    }
}
