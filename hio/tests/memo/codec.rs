//! hio-io §14 memogram scenarios S1–S4 and S10–S12, S15: the gram codec,
//! byte for byte as Python HIO 0.7.20 produces it.
#![cfg(feature = "memo")]

use hio::memo::{
    Accepted, Code, Format, GramError, Keep, MAX_GRAM_SIZE, MAX_MEMO_SIZE, Memo, Mid, Reassembler,
    b64_to_int, code_b2_to_b64, code_b64_to_b2, decode_qss, decode_sig, encode_qss, encode_sig,
    int_to_b64, parse, wiff,
};

use crate::util::hex::unhex;
use crate::util::memo::{MID, mid};

/// Feeds grams to a fresh reassembler and returns the memos it fuses.
fn reassemble(grams: &[&[u8]]) -> Vec<Memo<&'static str>> {
    let mut reasm = Reassembler::new();
    let keep = Keep::new();
    for gram in grams {
        let _ = reasm.accept(gram, &"src", &keep);
    }
    let mut memos = Vec::new();
    reasm.fuse(|memo| memos.push(memo));
    memos
}

fn memo(text: &str) -> Memo<&'static str> {
    Memo {
        memo: text.to_owned(),
        src: "src",
        vid: None,
    }
}

#[test]
fn memo_s1_single_unsigned_text_gram() {
    let format = Format::default();
    assert_eq!(format.size(), 65535);
    let grams = format.rend(b"Hello There", &mid(), None).unwrap();
    assert_eq!(
        grams,
        [b"bAAAAAAB0AD5s502N14R8bWw8qyvRW-SHello There".to_vec()]
    );
    assert_eq!(grams[0].len(), 43);
    assert_eq!(reassemble(&[grams[0].as_slice()]), [memo("Hello There")]);
}

#[test]
fn memo_s2_unsigned_text_segmentation() {
    let format = Format::new(Code::GramZero, false, 38).unwrap();
    let grams = format.rend(b"See ya later!", &mid(), None).unwrap();
    let want: [&[u8]; 3] = [
        b"bAAAAAAD0AD5s502N14R8bWw8qyvRW-SSee ya",
        b"bAABAAAB0AD5s502N14R8bWw8qyvRW-S later",
        b"bAABAAAC0AD5s502N14R8bWw8qyvRW-S!",
    ];
    assert_eq!(grams, want);
    assert_eq!(grams.iter().map(Vec::len).collect::<Vec<_>>(), [38, 38, 33]);
    // Any order yields the memo.
    for order in [
        [0, 1, 2],
        [2, 1, 0],
        [1, 0, 2],
        [2, 0, 1],
        [1, 2, 0],
        [0, 2, 1],
    ] {
        let shuffled: Vec<&[u8]> = order.iter().map(|&i| grams[i].as_slice()).collect();
        assert_eq!(reassemble(&shuffled), [memo("See ya later!")], "{order:?}");
    }
}

#[test]
fn memo_s3_binary_headers_with_nonzeroth_size_quirk() {
    let format = Format::new(Code::GramZero, true, 38).unwrap();
    let grams = format
        .rend(b"See ya later alligator!", &mid(), None)
        .unwrap();
    assert_eq!(
        grams,
        [
            unhex("6c0000000003d000f9b39d36375e11f1b5b0f2acaf456f92 536565207961206c617465722061"),
            unhex("6c0001000001d000f9b39d36375e11f1b5b0f2acaf456f92 6c6c69676174"),
            unhex("6c0001000002d000f9b39d36375e11f1b5b0f2acaf456f92 6f7221"),
        ]
    );
    assert_eq!(grams.iter().map(Vec::len).collect::<Vec<_>>(), [38, 30, 27]);
    assert_eq!(format.bodies(), (14, 6));
    let refs: Vec<&[u8]> = grams.iter().map(Vec::as_slice).collect();
    assert_eq!(reassemble(&refs), [memo("See ya later alligator!")]);
    // The "ideal" two-gram split is accepted too.
    let ideal_zeroth =
        unhex("6c0000000002d000f9b39d36375e11f1b5b0f2acaf456f92 536565207961206c617465722061");
    let mut ideal_later = unhex("6c0001000001d000f9b39d36375e11f1b5b0f2acaf456f92");
    ideal_later.extend_from_slice(b"lligator!");
    assert_eq!(
        reassemble(&[&ideal_later, &ideal_zeroth]),
        [memo("See ya later alligator!")]
    );
}

#[test]
fn memo_s4_hand_made_grams_out_of_order() {
    let later = format!("bAABAAAB{MID} there");
    let zeroth = format!("bAAAAAAC{MID}hello");
    assert_eq!(
        reassemble(&[later.as_bytes(), zeroth.as_bytes()]),
        [memo("hello there")]
    );
    // A second zeroth gram with other content: the first copy wins.
    let copy = format!("bAAAAAAC{MID}HELLO");
    let bang = format!("bAABAAAB{MID}!");
    assert_eq!(
        reassemble(&[zeroth.as_bytes(), copy.as_bytes(), bang.as_bytes()]),
        [memo("hello!")]
    );
    let mut reasm = Reassembler::new();
    let keep = Keep::new();
    assert_eq!(
        reasm.accept(zeroth.as_bytes(), &"src", &keep),
        Ok(Accepted::Stored)
    );
    assert_eq!(
        reasm.accept(copy.as_bytes(), &"src", &keep),
        Ok(Accepted::Duplicate)
    );
    assert_eq!(
        reasm.accept(bang.as_bytes(), &"src", &keep),
        Ok(Accepted::Complete)
    );
}

#[test]
fn memo_s10_short_binary_memo_gets_count_one() {
    let format = Format::new(Code::GramZero, true, MAX_GRAM_SIZE).unwrap();
    let grams = format.rend(b"Hi", &mid(), None).unwrap();
    // Python HIO writes count 0 here (6c0000 000000 …); we write 1.
    assert_eq!(
        grams,
        [unhex(
            "6c0000 000001 d000f9b39d36375e11f1b5b0f2acaf456f92 4869"
        )]
    );
    for len in 1..=8 {
        assert_eq!(format.gram_count(len), 1);
    }
    let nine = format.rend(b"123456789", &mid(), None).unwrap();
    assert_eq!(
        nine,
        [unhex(
            "6c0000000001d000f9b39d36375e11f1b5b0f2acaf456f92313233343536373839"
        )]
    );
    // Python's count-0 form is accepted and delivers the body, not "".
    let python = unhex("6c0000 000000 d000f9b39d36375e11f1b5b0f2acaf456f92 4869");
    assert_eq!(parse(&python).unwrap().gc(), Some(1));
    assert_eq!(reassemble(&[&python]), [memo("Hi")]);
    let text_zero = format!("bAAAAAAA{MID}Hi");
    assert_eq!(reassemble(&[text_zero.as_bytes()]), [memo("Hi")]);
}

#[test]
fn memo_s11_empty_memo_makes_no_grams() {
    for curt in [false, true] {
        let format = Format::new(Code::GramZero, curt, 100).unwrap();
        assert_eq!(
            format.rend(b"", &mid(), None).unwrap(),
            Vec::<Vec<u8>>::new()
        );
        assert_eq!(format.gram_count(0), 0);
    }
    // A zeroth gram with an empty body is still legal on receipt.
    let empty = format!("bAAAAAAB{MID}");
    assert_eq!(reassemble(&[empty.as_bytes()]), [memo("")]);
}

#[test]
fn memo_s12_gram_size_floor() {
    assert_eq!(Format::new(Code::GramZero, false, 6).unwrap().size(), 33);
    assert_eq!(Format::new(Code::GramZero, true, 6).unwrap().size(), 25);
    assert_eq!(
        Format::new(Code::GramAuthZero, false, 6).unwrap().size(),
        165
    );
    assert_eq!(
        Format::new(Code::GramAuthZero, true, 6).unwrap().size(),
        124
    );
    assert_eq!(
        Format::new(Code::GramZero, false, 1240).unwrap().size(),
        1240
    );
    // Capped at the maximum (HIO does not cap).
    assert_eq!(
        Format::new(Code::GramZero, false, 70_000).unwrap().size(),
        65535
    );
    // Later codes cannot rend.
    assert!(Format::new(Code::GramAuth, false, 100).is_err());
}

#[test]
fn memo_s15_codec_vectors() {
    assert_eq!(int_to_b64(1, 4), "AAAB");
    assert_eq!(int_to_b64(64, 4), "AABA");
    assert_eq!(int_to_b64(0, 4), "AAAA");
    assert_eq!(int_to_b64(16_777_215, 4), "____");
    assert_eq!(int_to_b64(16_777_216, 4), "BAAAA");
    assert_eq!(b64_to_int("AAAC"), Some(2));
    assert_eq!(b64_to_int("____"), Some(16_777_215));
    assert_eq!(b64_to_int(""), None);
    assert_eq!(b64_to_int("AA+A"), None);
    assert_eq!(b64_to_int("__________"), Some((1 << 60) - 1));
    assert_eq!(b64_to_int("BAAAAAAAAAA"), Some(1 << 60));
    assert_eq!(b64_to_int("QAAAAAAAAAA"), None); // 16 · 64^10 = 2^64 overflows u64
    assert_eq!(code_b64_to_b2("bAAA"), Some(vec![0x6c, 0x00, 0x00]));
    for code in Code::ALL {
        assert_eq!(code_b64_to_b2(code.as_str()).unwrap(), code.qb2());
        assert_eq!(code_b2_to_b64(&code.qb2(), 4).unwrap(), code.as_str());
        assert_eq!(code.as_str().parse::<Code>().unwrap(), code);
    }
    let verkey = unhex("6f91f4be244d750b7b7dd3aa2767d1cf96fb1eb15389485c276165062bb22876");
    let vid = hio::memo::Vid::new(hio::memo::VidCode::Ed25519N, &verkey.try_into().unwrap());
    assert_eq!(vid.as_str(), "BG-R9L4kTXULe33Tqidn0c-W-x6xU4lIXCdhZQYrsih2");
    let seed: [u8; 32] = unhex("9b460af1c24cea42433af7e9d731bcd27b7f81ae359ccaf9dbac4060270ea410")
        .try_into()
        .unwrap();
    assert_eq!(
        encode_qss(&seed),
        "AJtGCvHCTOpCQzr36dcxvNJ7f4GuNZzK-dusQGAnDqQQ"
    );
    assert_eq!(
        decode_qss("AJtGCvHCTOpCQzr36dcxvNJ7f4GuNZzK-dusQGAnDqQQ").unwrap(),
        seed
    );
    let sig: [u8; 64] = unhex(
        "b0c0d509a0d35130fa3893420c83b52efb48a5debf7d367bcf7ca30e6c228466\
         d373624843b9b985b0d276ed07cf7c63a4d6dc45be8a7b77353dbf845f9eb304",
    )
    .try_into()
    .unwrap();
    let text =
        "0BCwwNUJoNNRMPo4k0IMg7Uu-0il3r99NnvPfKMObCKEZtNzYkhDubmFsNJ27QfPfGOk1txFvop7dzU9v4RfnrME";
    assert_eq!(encode_sig(&sig), text);
    assert_eq!(decode_sig(text).unwrap(), sig);
}

#[test]
fn decoders_reject_bad_primitives() {
    // Wrong code, wrong length, nonzero pad bits, standard-alphabet chars.
    assert!(decode_qss("BJtGCvHCTOpCQzr36dcxvNJ7f4GuNZzK-dusQGAnDqQQ").is_err());
    assert!(decode_qss("AJtGCvHCTOpCQzr36dcxvNJ7f4GuNZzK-dusQGAnDqQ").is_err());
    assert!(decode_qss("A_tGCvHCTOpCQzr36dcxvNJ7f4GuNZzK-dusQGAnDqQQ").is_err());
    assert!(decode_qss("AJtGCvHCTOpCQzr36dcxvNJ7f4GuNZzK+dusQGAnDqQQ").is_err());
    assert!(decode_sig(&"A".repeat(88)).is_err());
    assert!(decode_sig(&format!("0B_{}", "A".repeat(85))).is_err());
    assert!(
        "BG-R9L4kTXULe33Tqidn0c-W-x6xU4lIXCdhZQYrsih2"
            .parse::<hio::memo::Vid>()
            .is_ok()
    );
    assert!(
        "AG-R9L4kTXULe33Tqidn0c-W-x6xU4lIXCdhZQYrsih2"
            .parse::<hio::memo::Vid>()
            .is_err()
    );
    assert!(
        "B_-R9L4kTXULe33Tqidn0c-W-x6xU4lIXCdhZQYrsih2"
            .parse::<hio::memo::Vid>()
            .is_err()
    );
    assert!("0AD5s502N14R8bWw8qyvRW+S".parse::<Mid>().is_err());
    assert!("0AD5s502N14R8bWw8qyvRW".parse::<Mid>().is_err());
}

#[test]
fn wiff_reads_the_first_sextet() {
    assert_eq!(wiff(b"b"), Ok(false));
    assert_eq!(wiff(&[0x6c]), Ok(true));
    assert_eq!(wiff(&[0x6f]), Ok(true)); // top six bits decide
    assert_eq!(wiff(b"_"), Err(GramError::Legacy));
    assert_eq!(wiff(&[0xff]), Err(GramError::Legacy));
    assert_eq!(wiff(b"a"), Ok(false)); // 0x60–0x63 share the sextet of `b`
    assert_eq!(wiff(b"z"), Err(GramError::BadLead));
    assert_eq!(wiff(b""), Err(GramError::Empty));
}

#[test]
fn rend_limits() {
    let format = Format::new(Code::GramZero, false, 33).unwrap();
    // One body byte per gram: the count limit bounds the memo.
    assert_eq!(format.bodies(), (1, 1));
    assert_eq!(format.max_memo_size(), u64::from(hio::memo::MAX_GRAM_COUNT));
    let big = Format::default();
    assert_eq!(big.max_memo_size(), MAX_MEMO_SIZE);
    // Too long a memo is an error, not a panic.
    let memo = vec![b'x'; 16_777_216];
    assert!(matches!(
        format.rend(&memo, &mid(), None),
        Err(hio::memo::MemoError::TooLarge {
            len: 16_777_216,
            max: 16_777_215
        })
    ));
    // Signed code without a signer.
    let signed = Format::new(Code::GramAuthZero, false, 200).unwrap();
    assert_eq!(
        signed.rend(b"x", &mid(), None),
        Err(hio::memo::MemoError::MissingVid(Code::GramAuthZero))
    );
}

#[test]
fn small_binary_sizes_terminate() {
    // Python HIO divides by zero (size 32) or rejects every memo (25–31) here.
    for size in 25..=40 {
        let format = Format::new(Code::GramZero, true, size).unwrap();
        let memo: Vec<u8> = (0..100u8).map(|i| b'a' + i % 26).collect();
        let grams = format.rend(&memo, &mid(), None).unwrap();
        assert_eq!(
            grams.len() as u32,
            format.gram_count(memo.len()),
            "size {size}"
        );
        assert!(grams.iter().all(|g| g.len() <= size), "size {size}");
        let refs: Vec<&[u8]> = grams.iter().rev().map(Vec::as_slice).collect();
        let text = String::from_utf8(memo).unwrap();
        assert_eq!(reassemble(&refs), [memo_of(&text)]);
    }
}

fn memo_of(text: &str) -> Memo<&'static str> {
    memo(text)
}

#[test]
fn parse_reports_header_fields() {
    let format = Format::new(Code::GramSureZero, true, 40).unwrap();
    let grams = format
        .rend(b"abcdefghijklmnopqrstuvwxyz", &mid(), None)
        .unwrap();
    let zeroth = parse(&grams[0]).unwrap();
    assert_eq!(zeroth.code, Code::GramSureZero);
    assert!(zeroth.curt);
    assert_eq!(zeroth.mid, mid());
    assert_eq!((zeroth.gn(), zeroth.gc()), (0, Some(grams.len() as u32)));
    assert_eq!(zeroth.body, b"abcdefghijklmnop");
    assert_eq!(zeroth.signed, grams[0].as_slice());
    assert_eq!(zeroth.sig, None);
    let later = parse(&grams[1]).unwrap();
    assert_eq!(
        (later.code, later.gn(), later.gc()),
        (Code::GramSure, 1, None)
    );
}
