//! hio-io §14 S14: the legacy memogram format of HIO 0.6.17 – 0.7.19,
//! decode only. The grams below were produced by HIO v0.7.19's `rend` with
//! the fixed uuid of the spec's `MID` and the seed `00 01 … 1f`.
#![cfg(feature = "memo")]

use hio::memo::{
    Accepted, Code, Format, GramError, Keep, LegacyCode, Memo, Reassembler, Vid, parse_legacy,
};

use crate::util::hex::unhex;

const OID: &str = "BAOhB7_zzhC-HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";

/// Unsigned binary, size 38, "See ya later alligator!".
const BINARY: [&str; 2] = [
    "fff0f9b39d36375e11f1b5b0f2acaf456f92000000000002536565207961206c617465722061",
    "fff0f9b39d36375e11f1b5b0f2acaf456f920000016c6c696761746f7221",
];

/// Signed text, size 170, "Hello There, how are you?".
const SIGNED_TEXT: [&str; 3] = [
    concat!(
        "_-D5s502N14R8bWw8qyvRW-SBAOhB7_zzhC-HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4AAAAAAADHello ",
        "0BBWe6NlMBNwHFxyRKKFnr5PiZnC5xGjvFbdzfL5jPsuuqvytcAOknrZyTg3AgIvUXhQQUt2DHatILE09Ifz_N4F",
    ),
    concat!(
        "_-D5s502N14R8bWw8qyvRW-SBAOhB7_zzhC-HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4AAABThere, how",
        "0BDUNuBQhEVD467ZAUOM92r0F7oMF0KMGb2YOG1srLg_p872NjPYFIOoMJ127wd_lzRTrKAL6T8RJn3rlfJ8jUAE",
    ),
    concat!(
        "_-D5s502N14R8bWw8qyvRW-SBAOhB7_zzhC-HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4AAAC are you?",
        "0BAkQo1ryC67lSiwKMDFsWgmDHqwk-FAGkd0rLK1B7do3tb_lMOHvMOL2d2zsnM9eKV-lyMH9tn0o2Sm0VTGcQEP",
    ),
];

/// Signed binary, size 140, "Hello There, how are you?".
const SIGNED_BINARY: [&str; 2] = [
    "ffe0f9b39d36375e11f1b5b0f2acaf456f920403a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1d\
     dc8664125531b800000000000248656c6c6f2054686572652c20686f7720d010fda122d129e590fa502b53c6\
     45581004602896760203a4b9475d6b31b15ef557b75fca33e0fbae5199d0febab88765427bc511277949d091\
     1a8381d0f1807702",
    "ffe0f9b39d36375e11f1b5b0f2acaf456f920403a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1d\
     dc8664125531b800000161726520796f753fd01099254635acf2a9817a650cb51110fd082662c543d9870c2c\
     e6c0da629ab46ae3e46b1bc21fb3f69fa46ddd5c89c9994d400307afa0f9763821546d8ded83b60b",
];

fn legacy_reasm() -> Reassembler<&'static str> {
    let mut reasm = Reassembler::new();
    reasm.set_legacy(true);
    reasm
}

fn deliver(grams: &[Vec<u8>]) -> Vec<Memo<&'static str>> {
    let mut reasm = legacy_reasm();
    for gram in grams.iter().rev() {
        reasm.accept(gram, &"src", &Keep::new()).unwrap();
    }
    let mut memos = Vec::new();
    reasm.fuse(|m| memos.push(m));
    memos
}

#[test]
fn memo_s14_legacy_format() {
    let grams: [&[u8]; 2] = [
        b"__D5s502N14R8bWw8qyvRW-SAAAAAAACSee ya",
        b"__D5s502N14R8bWw8qyvRW-SAAAB later!",
    ];
    let zeroth = parse_legacy(grams[0]).unwrap();
    assert_eq!(zeroth.code, LegacyCode::Basic);
    assert_eq!((zeroth.gn, zeroth.gc, zeroth.oid), (0, Some(2), None));
    assert_eq!(zeroth.mid.as_str(), "__D5s502N14R8bWw8qyvRW-S");
    let owned: Vec<Vec<u8>> = grams.iter().map(|g| g.to_vec()).collect();
    assert_eq!(deliver(&owned)[0].memo, "See ya later!");

    // A head-format receiver drops them; a legacy-enabled one still drops
    // nothing of the head format (the two are told apart by the first byte).
    let mut head_only = Reassembler::new();
    assert_eq!(
        head_only.accept(grams[0], &"src", &Keep::new()),
        Err(GramError::Legacy)
    );
    let head = Format::new(Code::GramZero, false, 38)
        .unwrap()
        .rend(
            b"See ya later!",
            &"0AD5s502N14R8bWw8qyvRW-S".parse().unwrap(),
            None,
        )
        .unwrap();
    assert!(parse_legacy(&head[0]).is_err());
    let mut both = legacy_reasm();
    assert_eq!(
        both.accept(&head[0], &"src", &Keep::new()),
        Ok(Accepted::Stored)
    );
}

#[test]
fn legacy_binary() {
    let grams: Vec<Vec<u8>> = BINARY.iter().map(|g| unhex(g)).collect();
    let zeroth = parse_legacy(&grams[0]).unwrap();
    assert!(zeroth.curt);
    assert_eq!(zeroth.mid.as_str(), "__D5s502N14R8bWw8qyvRW-S");
    assert_eq!(deliver(&grams)[0].memo, "See ya later alligator!");
}

#[test]
fn legacy_signed_text_and_binary_verify() {
    let oid: Vid = OID.parse().unwrap();
    for grams in [
        SIGNED_TEXT
            .iter()
            .map(|g| g.as_bytes().to_vec())
            .collect::<Vec<_>>(),
        SIGNED_BINARY.iter().map(|g| unhex(g)).collect(),
    ] {
        let zeroth = parse_legacy(&grams[0]).unwrap();
        assert_eq!((zeroth.code, zeroth.oid), (LegacyCode::Signed, Some(oid)));
        let memos = deliver(&grams);
        assert_eq!(
            memos,
            [Memo {
                memo: "Hello There, how are you?".into(),
                src: "src",
                vid: Some(oid)
            }]
        );
        // Tampering is caught (HIO 0.7.19 never verified).
        let mut reasm = legacy_reasm();
        let mut bad = grams[0].clone();
        let at = zeroth.signed.len() - 2; // in the body
        bad[at] ^= 0x20;
        assert_eq!(
            reasm.accept(&bad, &"src", &Keep::new()),
            Err(GramError::Unverified)
        );
        // And an authic receiver takes them.
        let mut strict = legacy_reasm();
        strict.set_authic(true);
        assert!(strict.accept(&grams[0], &"src", &Keep::new()).is_ok());
    }
}

#[test]
fn legacy_rejections() {
    // Too short, empty bodies, bad codes, bad neck.
    assert_eq!(parse_legacy(b""), Err(GramError::Empty));
    assert_eq!(parse_legacy(b"_"), Err(GramError::Truncated));
    assert_eq!(parse_legacy(b"_A"), Err(GramError::UnknownCode));
    assert_eq!(parse_legacy(b"bAAA"), Err(GramError::BadLead));
    assert_eq!(
        parse_legacy(b"__D5s502N14R8bWw8qyvRW-SAAAB"),
        Err(GramError::Truncated)
    );
    assert_eq!(
        parse_legacy(b"__D5s502N14R8bWw8qyvRW-SAAAAAAAC"),
        Err(GramError::Truncated)
    );
    assert_eq!(
        parse_legacy(b"__D5s502N14R8bWw8qyvRW-SAA=B later!"),
        Err(GramError::BadNeck)
    );
    assert_eq!(
        parse_legacy(&[0xff, 0x00, 1, 2]),
        Err(GramError::UnknownCode)
    );
    for len in 0..SIGNED_TEXT[1].len() {
        let _ = parse_legacy(&SIGNED_TEXT[1].as_bytes()[..len]);
    }
}
