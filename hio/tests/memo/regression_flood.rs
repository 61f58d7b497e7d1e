//! Regressions for the memo-listener flood (security issue, defect A): a
//! flood of zeroth grams that never complete must not make the reassembler
//! deaf to other sources, and no single source may hold more than its fair
//! share of the buffer cap.
#![cfg(feature = "memo")]

use hio::memo::{Accepted, Code, Format, GramError, Keep, Mid, Reassembler};

use crate::util::memo;

/// A 2-gram zeroth gram (`bAAA`, count 2) of memo `mid` with `body`: its
/// memo never completes unless gram 1 follows.
fn dangling_zeroth(mid: &Mid, body: &[u8]) -> Vec<u8> {
    let mut gram = format!("bAAAAAAC{mid}").into_bytes();
    gram.extend_from_slice(body);
    gram
}

/// Grams of a valid multi-gram memo (gram size 64, so a 100-byte memo makes
/// a few grams).
fn valid_memo(i: usize) -> (String, Vec<Vec<u8>>) {
    let text = format!("valid memo {i:04} {}", "v".repeat(90));
    let format = Format::new(Code::GramZero, false, 64).unwrap();
    let grams = format
        .rend(text.as_bytes(), &Mid::random().unwrap(), None)
        .unwrap();
    assert!(grams.len() > 1);
    (text, grams)
}

fn fused(reasm: &mut Reassembler<&'static str>) -> Vec<String> {
    memo::fused(reasm).into_iter().map(|m| m.memo).collect()
}

/// The report's figure: 1,150 crafted grams of ~64 KiB from one source
/// (more than the 64 MiB default cap), then 200 valid memos from another
/// source, with the flood going on between their grams. Every valid memo
/// must be delivered.
#[test]
fn regression_flood_from_one_source_does_not_block_another() {
    let keep = Keep::new();
    let mut reasm: Reassembler<&'static str> = Reassembler::new();
    let body = vec![b'x'; 65_000];
    // A large gram, then an empty one to fill what a large one cannot.
    let flood = |reasm: &mut Reassembler<&'static str>| {
        for body in [&body[..], &[]] {
            let gram = dangling_zeroth(&Mid::random().unwrap(), body);
            // Refusals are expected once the flooder has its share.
            let _ = reasm.accept(&gram, &"flooder", &keep);
        }
    };
    for _ in 0..1_150 {
        flood(&mut reasm);
    }
    assert!(reasm.buffered() <= Reassembler::<()>::MAX_BUFFERED);
    let mut delivered = Vec::new();
    let mut sent = Vec::new();
    for i in 0..200 {
        let (text, grams) = valid_memo(i);
        for gram in &grams {
            flood(&mut reasm);
            assert!(
                reasm.accept(gram, &"valid", &keep).is_ok(),
                "memo {i} was refused"
            );
        }
        delivered.extend(fused(&mut reasm));
        sent.push(text);
        assert!(reasm.buffered() <= Reassembler::<()>::MAX_BUFFERED);
    }
    assert_eq!(delivered.len(), 200, "valid memos delivered");
    assert_eq!(delivered, sent);
}

/// The same with a random flood (random bytes, random truncated grams and
/// dangling zeroth grams from several ports of one host) under a small cap.
#[test]
fn regression_random_flood_does_not_block_valid_memos() {
    let keep = Keep::new();
    let mut reasm: Reassembler<&'static str> = Reassembler::new();
    reasm.set_max_buffered(256 << 10);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let flooders = ["flood:1", "flood:2", "flood:3"];
    let mut delivered = 0;
    for i in 0..200 {
        let (_, grams) = valid_memo(i);
        for gram in &grams {
            for _ in 0..20 {
                let src = flooders[(next() % 3) as usize];
                let len = (next() % 4000) as usize;
                let junk: Vec<u8> = match next() % 3 {
                    0 => (0..len).map(|_| next() as u8).collect(),
                    1 => {
                        let mut gram = dangling_zeroth(&Mid::random().unwrap(), &[]);
                        gram.truncate(8 + (next() % 24) as usize);
                        gram
                    }
                    _ => dangling_zeroth(&Mid::random().unwrap(), &vec![b'r'; len]),
                };
                let _ = reasm.accept(&junk, &src, &keep);
            }
            reasm.accept(gram, &"valid", &keep).unwrap();
        }
        delivered += fused(&mut reasm).len();
        assert!(reasm.buffered() <= 256 << 10);
    }
    assert_eq!(delivered, 200);
}

/// The fair-share bound: a source alone may fill the cap, but once another
/// source is active each may hold at most `cap / active`. The newcomer gets
/// room by evicting the flooder's oldest partial memos; past its own share
/// it evicts its own oldest. The flooder cannot take the room back.
#[test]
fn regression_one_source_holds_at_most_its_fair_share() {
    const CAP: usize = 1 << 20;
    let keep = Keep::new();
    let mut reasm: Reassembler<&'static str> = Reassembler::new();
    reasm.set_max_buffered(CAP);
    let body = vec![b'f'; 1_000];
    let mut flood_mids = Vec::new();
    loop {
        let mid = Mid::random().unwrap();
        match reasm.accept(&dangling_zeroth(&mid, &body), &"flooder", &keep) {
            Ok(Accepted::Stored) => flood_mids.push(mid),
            Err(GramError::Overflow) => break,
            other => panic!("{other:?}"),
        }
    }
    // Alone, the flooder may use the whole cap (and is refused past it).
    assert!(reasm.buffered() > CAP - 2_000, "{}", reasm.buffered());
    let per_memo = reasm.buffered() / flood_mids.len();
    // A second source sends as many memos again: all are taken, but it
    // keeps only its share, its newest.
    let mut valid_mids = Vec::new();
    for _ in 0..flood_mids.len() {
        let mid = Mid::random().unwrap();
        assert_eq!(
            reasm.accept(&dangling_zeroth(&mid, &body), &"valid", &keep),
            Ok(Accepted::Stored)
        );
        valid_mids.push(mid);
        assert!(reasm.buffered() <= CAP);
        // The flood goes on; it is held to its share too.
        let mid = Mid::random().unwrap();
        let _ = reasm.accept(&dangling_zeroth(&mid, &body), &"flooder", &keep);
    }
    let kept = |mids: &[Mid]| mids.iter().filter(|mid| reasm.is_pending(mid)).count();
    let (valid, flood) = (kept(&valid_mids), kept(&flood_mids));
    assert!(valid * per_memo <= CAP / 2, "{valid} valid memos kept");
    assert!(
        valid * per_memo >= CAP / 2 - 2 * per_memo,
        "{valid} valid memos kept"
    );
    assert!(
        flood * per_memo <= CAP / 2 + per_memo,
        "{flood} flood memos kept"
    );
    // Oldest evicted first.
    assert!(!reasm.is_pending(&flood_mids[0]));
    assert!(!reasm.is_pending(&valid_mids[0]));
    assert!(reasm.is_pending(valid_mids.last().unwrap()));
    // The second source's newest memos complete.
    let newest = &valid_mids[valid_mids.len() - 100..];
    for mid in newest {
        let later = format!("bAABAAAB{mid}!");
        assert_eq!(
            reasm.accept(later.as_bytes(), &"valid", &keep),
            Ok(Accepted::Complete)
        );
    }
    assert_eq!(fused(&mut reasm).len(), 100);
}

/// A fixed per-source bound, when set, limits a source even when alone,
/// and the source's newest memos are the ones kept.
#[test]
fn regression_fixed_per_source_bound() {
    let keep = Keep::new();
    let mut reasm: Reassembler<&'static str> = Reassembler::new();
    reasm.set_max_buffered(1 << 20);
    reasm.set_max_per_source(100_000);
    assert_eq!(reasm.max_per_source(), 100_000);
    assert_eq!(reasm.share(), 100_000);
    let body = vec![b'f'; 1_000];
    let mut last = None;
    for _ in 0..1_000 {
        let mid = Mid::random().unwrap();
        assert!(
            reasm
                .accept(&dangling_zeroth(&mid, &body), &"flooder", &keep)
                .is_ok()
        );
        last = Some(mid);
    }
    assert!(reasm.buffered_by(&"flooder") <= 100_000);
    assert!(reasm.buffered_by(&"flooder") > 100_000 - 2_000);
    assert_eq!(reasm.buffered(), reasm.buffered_by(&"flooder"));
    assert!(reasm.is_pending(&last.unwrap()));
    assert!(reasm.evicted() > 900);
    // Another source is unaffected.
    let mid = Mid::random().unwrap();
    assert_eq!(
        reasm.accept(&dangling_zeroth(&mid, &body), &"other", &keep),
        Ok(Accepted::Stored)
    );
    assert_eq!(reasm.sources(), 2);
    // Complete memos are not charged to their source.
    let later = format!("bAABAAAB{mid}!");
    reasm.accept(later.as_bytes(), &"other", &keep).unwrap();
    assert_eq!((reasm.sources(), reasm.buffered_by(&"other")), (1, 0));
}
