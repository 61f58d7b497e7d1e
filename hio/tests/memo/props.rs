//! Property tests of the memogram codec: any memo, any format and size at
//! or above the floor, rent and reassembled in any order, comes back; a
//! tampered or truncated signed gram never yields a memo; no input panics.
#![cfg(feature = "memo")]

use hio::memo::{
    Accepted, Code, Format, Keep, MAX_GRAM_SIZE, Memo, Mid, Reassembler, SigningKey, Vid,
    b64_to_int, code_b2_to_b64, code_b64_to_b2, int_to_b64, parse, parse_legacy,
};
use proptest::prelude::*;

const ZEROTH: [Code; 4] = [
    Code::GramZero,
    Code::GramAuthZero,
    Code::GramSureZero,
    Code::GramSureAuthZero,
];

fn key() -> SigningKey {
    SigningKey::from_bytes(&[0x5a; 32])
}

fn vid() -> Vid {
    Vid::from_verkey(&key().verifying_key())
}

/// Fisher–Yates with a xorshift generator seeded by proptest.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

fn format_strategy() -> impl Strategy<Value = Format> {
    (0..4usize, any::<bool>(), 0..400usize, any::<bool>()).prop_map(|(code, curt, extra, big)| {
        let code = ZEROTH[code];
        let floor = Format::floor(code, curt);
        let size = if big {
            floor + extra * 150
        } else {
            floor + extra
        };
        Format::new(code, curt, size).unwrap()
    })
}

fn memo_strategy() -> impl Strategy<Value = String> {
    prop_oneof![".{0,300}", "[ -~]{0,2500}", "\\PC{0,200}"]
}

fn rend(format: &Format, memo: &str, mid: &Mid) -> Vec<Vec<u8>> {
    let key = key();
    let vid = vid();
    let signer = format.code().is_auth().then_some((&vid, &key));
    format.rend(memo.as_bytes(), mid, signer).unwrap()
}

fn reassemble(reasm: &mut Reassembler<u8>, grams: &[Vec<u8>]) -> Vec<Memo<u8>> {
    let keep = Keep::new();
    for gram in grams {
        let _ = reasm.accept(gram, &7, &keep);
    }
    let mut memos = Vec::new();
    reasm.fuse(|m| memos.push(m));
    memos
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn rend_then_shuffled_reassembly_gives_the_memo_back(
        format in format_strategy(),
        memo in memo_strategy(),
        raw in any::<[u8; 16]>(),
        seed in any::<u64>(),
        dup in any::<bool>(),
    ) {
        let mid = Mid::from_raw(&raw);
        let mut grams = rend(&format, &memo, &mid);
        prop_assert_eq!(grams.len() as u32, format.gram_count(memo.len()));
        prop_assert!(grams.iter().all(|g| g.len() <= format.size()));
        if memo.is_empty() {
            prop_assert!(grams.is_empty());
            return Ok(());
        }
        if dup {
            let copies = grams.clone();
            grams.extend(copies);
        }
        shuffle(&mut grams, seed);
        let mut reasm = Reassembler::new();
        let memos = reassemble(&mut reasm, &grams);
        let vid = format.code().is_auth().then(vid);
        prop_assert_eq!(memos, vec![Memo { memo, src: 7, vid }]);
        prop_assert_eq!((reasm.pending(), reasm.buffered()), (0, 0));
    }

    #[test]
    fn tampered_or_truncated_signed_grams_never_yield_a_memo(
        curt in any::<bool>(),
        extra in 0..200usize,
        memo in "[ -~]{1,600}",
        which in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        bit in 0..8u8,
        truncate in any::<bool>(),
        seed in any::<u64>(),
    ) {
        let format = Format::new(Code::GramAuthZero, curt, Format::floor(Code::GramAuthZero, curt) + extra).unwrap();
        let mid = Mid::from_raw(&[1; 16]);
        let mut grams = rend(&format, &memo, &mid);
        let n = grams.len();
        let gram = &mut grams[which.index(n)];
        if truncate {
            let len = at.index(gram.len());
            gram.truncate(len);
        } else {
            let i = at.index(gram.len());
            gram[i] ^= 1 << bit;
        }
        shuffle(&mut grams, seed);
        let mut reasm = Reassembler::new();
        reasm.set_authic(true);
        prop_assert!(reassemble(&mut reasm, &grams).is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        grams in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..20),
        legacy in any::<bool>(),
    ) {
        let mut reasm = Reassembler::new();
        reasm.set_legacy(legacy);
        for gram in &grams {
            let _ = parse(gram);
            let _ = parse_legacy(gram);
        }
        let memos = reassemble(&mut reasm, &grams);
        prop_assert!(memos.len() <= grams.len());
    }

    #[test]
    fn mutated_grams_never_panic(
        format in format_strategy(),
        memo in "[ -~]{1,400}",
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>(), any::<u8>()), 1..8),
        legacy in any::<bool>(),
    ) {
        let mut grams = rend(&format, &memo, &Mid::from_raw(&[9; 16]));
        for (which, at, byte) in edits {
            let n = grams.len();
            let gram = &mut grams[which.index(n)];
            if !gram.is_empty() {
                let i = at.index(gram.len());
                gram[i] = byte;
            }
        }
        let mut reasm = Reassembler::new();
        reasm.set_legacy(legacy);
        let memos = reassemble(&mut reasm, &grams);
        prop_assert!(memos.len() <= 1);
    }

    #[test]
    fn base64_helpers_round_trip(i in any::<u64>(), min_len in 0..12usize) {
        let text = int_to_b64(i, min_len);
        prop_assert!(text.len() >= min_len);
        prop_assert_eq!(b64_to_int(&text), Some(i));
        let packed = code_b64_to_b2(&text).unwrap();
        prop_assert_eq!(code_b2_to_b64(&packed, text.len()), Some(text));
    }

    #[test]
    fn mids_and_vids_round_trip(raw in any::<[u8; 16]>(), key in any::<[u8; 32]>()) {
        let mid = Mid::from_raw(&raw);
        prop_assert_eq!(Mid::from_qb2(&mid.qb2()), mid);
        prop_assert_eq!(mid.as_str().parse::<Mid>().unwrap(), mid);
        prop_assert_eq!(&mid.qb2()[2..], &raw[..]);
        for code in [hio::memo::VidCode::Ed25519N, hio::memo::VidCode::Ed25519, hio::memo::VidCode::Blake3_256] {
            let vid = Vid::new(code, &key);
            prop_assert_eq!(vid.raw(), key);
            prop_assert_eq!(vid.code(), code);
            prop_assert_eq!(Vid::from_qb2(&vid.qb2()), Some(vid));
            prop_assert_eq!(vid.as_str().parse::<Vid>().unwrap(), vid);
        }
    }
}

#[test]
fn largest_gram_size_and_a_large_memo() {
    let format = Format::new(Code::GramZero, true, MAX_GRAM_SIZE).unwrap();
    let memo = "y".repeat(1_000_000);
    let mut grams = rend(&format, &memo, &Mid::from_raw(&[2; 16]));
    assert_eq!(grams.len(), 16);
    shuffle(&mut grams, 42);
    let mut reasm = Reassembler::new();
    let keep = Keep::new();
    let mut completes = 0;
    for gram in &grams {
        if reasm.accept(gram, &0, &keep) == Ok(Accepted::Complete) {
            completes += 1;
        }
    }
    assert_eq!(completes, 1);
    let mut memos = Vec::new();
    reasm.fuse(|m| memos.push(m));
    assert_eq!(memos[0].memo.len(), 1_000_000);
}
