//! hio-io §14 S9 (inputs that crash Python HIO's receive loop are dropped
//! here) and the reassembly rules: first copy wins, delivery order,
//! tymeouts on the Doist's clock, the buffer cap.
#![cfg(feature = "memo")]

use hio::Tymist;
use hio::memo::{Accepted, Code, Format, GramError, Keep, Memo, Mid, Reassembler};

use crate::util::memo::{MID, fused};

const MID2: &str = "0ABBBBBBBBBBBBBBBBBBBBBB";

fn texts(memos: &[Memo<&'static str>]) -> Vec<String> {
    memos.iter().map(|m| m.memo.clone()).collect()
}

fn accept(reasm: &mut Reassembler<&'static str>, gram: &[u8]) -> Result<Accepted, GramError> {
    reasm.accept(gram, &"src", &Keep::new())
}

#[test]
fn memo_s9_python_crash_cases_are_dropped() {
    let mut reasm = Reassembler::new();
    // Unknown code (KeyError in Python).
    assert_eq!(
        accept(&mut reasm, format!("bXYZAAAB{MID}hello").as_bytes()),
        Err(GramError::UnknownCode)
    );
    assert_eq!(
        accept(&mut reasm, &[0x6c, 0x00, 0x0a, 0, 0, 1]),
        Err(GramError::UnknownCode)
    );
    // Illegal Base64 digit in the neck (KeyError).
    assert_eq!(
        accept(&mut reasm, format!("bAAAAA=B{MID}hello").as_bytes()),
        Err(GramError::BadNeck)
    );
    // Illegal character in the mid (UnicodeDecodeError for non-ASCII).
    let mut bad_mid = format!("bAAAAAAB{MID}hello").into_bytes();
    bad_mid[10] = 0xff;
    assert_eq!(accept(&mut reasm, &bad_mid), Err(GramError::BadMid));
    // Ack codes (UnboundLocalError).
    assert_eq!(
        accept(&mut reasm, format!("bAAIAAAB{MID}").as_bytes()),
        Err(GramError::Ack)
    );
    assert_eq!(
        accept(&mut reasm, format!("bAAJAAAB{MID}").as_bytes()),
        Err(GramError::Ack)
    );
    // A hole: count 2, grams 0 and 2 (KeyError in fusion).
    assert_eq!(
        accept(&mut reasm, format!("bAAAAAAC{MID}hello").as_bytes()),
        Ok(Accepted::Stored)
    );
    assert_eq!(
        accept(&mut reasm, format!("bAABAAAC{MID} world").as_bytes()),
        Err(GramError::GramNumber)
    );
    assert!(fused(&mut reasm).is_empty());
    assert_eq!(reasm.pending(), 1);
    // Invalid UTF-8 (UnicodeDecodeError): dropped when fused.
    let mut bad_utf8 = format!("bAAAAAAB{MID2}").into_bytes();
    bad_utf8.extend_from_slice(&[0xc3, 0x28]);
    assert_eq!(accept(&mut reasm, &bad_utf8), Ok(Accepted::Complete));
    assert!(fused(&mut reasm).is_empty());
    assert_eq!(reasm.pending(), 1); // only the memo with the hole
}

#[test]
fn holes_before_the_zeroth_gram_are_dropped_when_it_comes() {
    let mut reasm = Reassembler::new();
    assert_eq!(
        accept(&mut reasm, format!("bAABAAAC{MID} stray").as_bytes()),
        Ok(Accepted::Held)
    );
    assert_eq!(
        accept(&mut reasm, format!("bAABAAAB{MID} world").as_bytes()),
        Ok(Accepted::Held)
    );
    assert_eq!(
        accept(&mut reasm, format!("bAAAAAAC{MID}hello").as_bytes()),
        Ok(Accepted::Complete)
    );
    assert_eq!(texts(&fused(&mut reasm)), ["hello world"]);
    assert_eq!(reasm.buffered(), 0);
}

#[test]
fn stray_gram_past_the_count_does_not_disturb() {
    // Python: "a zeroth gram with gc=1 plus a stray gram 2 delivers just
    // gram 0's body". The same here, the stray being dropped.
    let mut reasm = Reassembler::new();
    assert_eq!(
        accept(&mut reasm, format!("bAAAAAAB{MID}only").as_bytes()),
        Ok(Accepted::Complete)
    );
    assert_eq!(
        accept(&mut reasm, format!("bAABAAAC{MID}stray").as_bytes()),
        Err(GramError::GramNumber)
    );
    assert_eq!(texts(&fused(&mut reasm)), ["only"]);
}

#[test]
fn later_gram_numbered_zero_is_dropped() {
    let mut reasm = Reassembler::new();
    assert_eq!(
        accept(&mut reasm, format!("bAABAAAA{MID}zero").as_bytes()),
        Err(GramError::GramNumber)
    );
}

#[test]
fn memos_are_delivered_in_order_of_first_arrival() {
    let mut reasm = Reassembler::new();
    // Memo A starts first but completes last; B is one gram.
    accept(&mut reasm, format!("bAABAAAB{MID} A").as_bytes()).unwrap();
    accept(&mut reasm, format!("bAAAAAAB{MID2}B").as_bytes()).unwrap();
    accept(&mut reasm, format!("bAAAAAAC{MID}memo").as_bytes()).unwrap();
    assert_eq!(texts(&fused(&mut reasm)), ["memo A", "B"]);
}

#[test]
fn a_finished_mid_starts_afresh() {
    // No replay protection, as in HIO: the same mid after delivery is a new
    // memo.
    let mut reasm = Reassembler::new();
    let gram = format!("bAAAAAAB{MID}again");
    accept(&mut reasm, gram.as_bytes()).unwrap();
    assert_eq!(accept(&mut reasm, gram.as_bytes()), Ok(Accepted::Duplicate));
    assert_eq!(texts(&fused(&mut reasm)), ["again"]);
    accept(&mut reasm, gram.as_bytes()).unwrap();
    assert_eq!(texts(&fused(&mut reasm)), ["again"]);
}

#[test]
fn the_source_is_that_of_the_first_gram() {
    let mut reasm = Reassembler::new();
    let keep = Keep::new();
    reasm
        .accept(format!("bAABAAAB{MID} there").as_bytes(), &"first", &keep)
        .unwrap();
    reasm
        .accept(format!("bAAAAAAC{MID}hello").as_bytes(), &"second", &keep)
        .unwrap();
    let memos = fused(&mut reasm);
    assert_eq!(
        (memos[0].memo.as_str(), memos[0].src),
        ("hello there", "first")
    );
}

#[test]
fn partial_memos_expire_on_the_doist_clock() {
    let mut tymist = Tymist::new(0.0, 0.25);
    let mut reasm = Reassembler::new();
    reasm.wind(&tymist.tymen());
    reasm.set_tymeout(1.0);
    accept(&mut reasm, format!("bAAAAAAD{MID}one").as_bytes()).unwrap();
    accept(&mut reasm, format!("bAAAAAAB{MID2}done").as_bytes()).unwrap();
    for _ in 0..3 {
        tymist.tick();
    }
    assert_eq!(reasm.expire(), 0);
    // A new gram restarts the memo's tymeout.
    accept(&mut reasm, format!("bAABAAAB{MID} two").as_bytes()).unwrap();
    for _ in 0..3 {
        tymist.tick();
    }
    assert_eq!(reasm.expire(), 0);
    tymist.tick();
    // tyme 1.75: one second since gram 1 at 0.75. The complete memo waiting
    // to be fused does not expire.
    assert_eq!(reasm.expire(), 1);
    assert_eq!(reasm.pending(), 1);
    assert_eq!(texts(&fused(&mut reasm)), ["done"]);
    assert_eq!(reasm.buffered(), 0);
    // The late gram starts a new partial memo, which expires in turn.
    accept(&mut reasm, format!("bAABAAAC{MID} three").as_bytes()).unwrap();
    for _ in 0..4 {
        tymist.tick();
    }
    assert_eq!(reasm.expire(), 1);
    assert_eq!((reasm.pending(), reasm.buffered()), (0, 0));
}

#[test]
fn zero_tymeout_never_expires_and_unwound_clock_stands_still() {
    let mut tymist = Tymist::new(0.0, 1.0);
    let mut reasm = Reassembler::new();
    reasm.wind(&tymist.tymen());
    reasm.set_tymeout(0.0);
    accept(&mut reasm, format!("bAAAAAAC{MID}half").as_bytes()).unwrap();
    for _ in 0..1000 {
        tymist.tick();
    }
    assert_eq!(reasm.expire(), 0);
    // An unwound reassembler reads a fixed tyme.
    let mut unwound = Reassembler::new();
    accept(&mut unwound, format!("bAAAAAAC{MID}half").as_bytes()).unwrap();
    assert_eq!(unwound.expire(), 0);
    assert_eq!(unwound.tymeout(), Reassembler::<()>::TYMEOUT);
}

#[test]
fn buffer_cap_drops_what_does_not_fit() {
    let mut reasm = Reassembler::new();
    reasm.set_max_buffered(1000);
    let body = "x".repeat(400);
    assert!(accept(&mut reasm, format!("bAAAAAAD{MID}{body}").as_bytes()).is_ok());
    assert_eq!(
        accept(&mut reasm, format!("bAABAAAB{MID}{body}").as_bytes()),
        Err(GramError::Overflow)
    );
    assert_eq!(
        accept(&mut reasm, format!("bAAAAAAB{MID2}{body}").as_bytes()),
        Err(GramError::Overflow)
    );
    assert!(reasm.buffered() <= 1000);
    reasm.clear();
    assert_eq!((reasm.pending(), reasm.buffered()), (0, 0));
    // Many empty grams are charged too, so they cannot grow without bound.
    let mut reasm = Reassembler::new();
    reasm.set_max_buffered(10_000);
    let format = Format::new(Code::GramZero, false, 33).unwrap();
    let mut dropped = 0;
    for i in 0..1000u32 {
        let raw: [u8; 16] = std::array::from_fn(|k| (i >> (k % 4 * 8)) as u8 ^ k as u8);
        let grams = format.rend(b"ab", &Mid::from_raw(&raw), None).unwrap();
        if accept(&mut reasm, &grams[1]) == Err(GramError::Overflow) {
            dropped += 1;
        }
    }
    assert!(dropped > 900, "{dropped}");
    assert!(reasm.buffered() <= 10_000);
}

#[test]
fn legacy_grams_need_the_flag() {
    let legacy = b"__D5s502N14R8bWw8qyvRW-SAAAAAAACSee ya";
    let mut reasm = Reassembler::new();
    assert_eq!(accept(&mut reasm, legacy), Err(GramError::Legacy));
    reasm.set_legacy(true);
    assert!(reasm.legacy());
    assert_eq!(accept(&mut reasm, legacy), Ok(Accepted::Stored));
    // Head-format grams are still taken.
    accept(&mut reasm, format!("bAAAAAAB{MID}head").as_bytes()).unwrap();
    assert_eq!(
        accept(&mut reasm, b"__D5s502N14R8bWw8qyvRW-SAAAB later!"),
        Ok(Accepted::Complete)
    );
    assert_eq!(texts(&fused(&mut reasm)), ["See ya later!", "head"]);
}

#[test]
fn one_gram_memos_in_bursts_keep_first_copy_wins() {
    let mut reasm = Reassembler::new();
    let mids: Vec<String> = (0..20).map(|i| format!("0A{i:0>22}")).collect();
    for (i, mid) in mids.iter().enumerate() {
        let gram = format!("bAAAAAAB{mid}memo {i}");
        assert_eq!(accept(&mut reasm, gram.as_bytes()), Ok(Accepted::Complete));
    }
    // Copies, and other content under the same mids, before the fuse.
    for (i, mid) in mids.iter().enumerate() {
        let copy = format!("bAAAAAAB{mid}memo {i}");
        assert_eq!(accept(&mut reasm, copy.as_bytes()), Ok(Accepted::Duplicate));
        let other = format!("bAAAAAAC{mid}other");
        assert_eq!(
            accept(&mut reasm, other.as_bytes()),
            Ok(Accepted::Duplicate)
        );
        let stray = format!("bAABAAAB{mid}stray");
        assert_eq!(
            accept(&mut reasm, stray.as_bytes()),
            Err(GramError::GramNumber)
        );
    }
    assert_eq!(reasm.pending(), 20);
    assert!(reasm.is_pending(&mids[0].parse().unwrap()));
    assert!(reasm.is_pending(&mids[19].parse().unwrap()));
    let want: Vec<String> = (0..20).map(|i| format!("memo {i}")).collect();
    assert_eq!(texts(&fused(&mut reasm)), want);
    assert_eq!((reasm.pending(), reasm.buffered()), (0, 0));
}
