//! hio-io §14 memogram scenarios S5–S8: signed grams with a deterministic
//! key, byte for byte as Python HIO 0.7.20 produces them, and the rejection
//! cases.
#![cfg(feature = "memo")]

use hio::memo::{
    Accepted, Code, Format, GramError, Keep, Keyage, Memo, Reassembler, SigningKey, Vid, VidCode,
    encode_qss, parse,
};

use crate::util::hex::unhex;
use crate::util::memo::{MID, fused, mid};

const VID: &str = "BAOhB7_zzhC-HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";

fn seed() -> [u8; 32] {
    std::array::from_fn(|i| i as u8)
}

fn key() -> SigningKey {
    SigningKey::from_bytes(&seed())
}

fn vid() -> Vid {
    VID.parse().unwrap()
}

fn accept_all(
    reasm: &mut Reassembler<&'static str>,
    keep: &Keep,
    grams: &[&[u8]],
) -> Vec<Result<Accepted, GramError>> {
    grams
        .iter()
        .map(|g| reasm.accept(g, &"src", keep))
        .collect()
}

fn signed_memo(text: &str) -> Memo<&'static str> {
    Memo {
        memo: text.to_owned(),
        src: "src",
        vid: Some(vid()),
    }
}

const S5_GRAM: &str = concat!(
    "bAACAAAB0AD5s502N14R8bWw8qyvRW-SBAOhB7_zzhC-HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4Hello There",
    "0BBFl9murnpgKKLvWhmQJHIZGRP4k9O_qbH7_QF6L-maFLq1KRyFb6KDBlOg1NXLcxZ0lcuQQZVQdhCzLT51FtwJ"
);

#[test]
fn memo_s5_signed_text_grams() {
    let keyage = Keyage::from_seed(&seed());
    assert_eq!(Vid::from_verkey(keyage.verkey()), vid());
    assert_eq!(keyage.qvk(), VID);
    assert_eq!(
        encode_qss(&seed()),
        "AAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
    );
    assert_eq!(
        keyage.qss().unwrap(),
        "AAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
    );

    let format = Format::new(Code::GramAuthZero, false, 65535).unwrap();
    let grams = format
        .rend(b"Hello There", &mid(), Some((&vid(), &key())))
        .unwrap();
    assert_eq!(grams, [S5_GRAM.as_bytes().to_vec()]);
    assert_eq!(grams[0].len(), 175);
    let gram = parse(&grams[0]).unwrap();
    assert_eq!(gram.signed, &grams[0][..87]);
    assert_eq!(gram.vid, Some(vid()));

    // A receiver with an empty keep accepts it: the B vid is the key.
    let mut reasm = Reassembler::new();
    assert_eq!(
        accept_all(&mut reasm, &Keep::new(), &[&grams[0]]),
        [Ok(Accepted::Complete)]
    );
    assert_eq!(fused(&mut reasm), [signed_memo("Hello There")]);
}

#[test]
fn memo_s6_signed_two_gram_memo() {
    let format = Format::new(Code::GramAuthZero, false, 170).unwrap();
    let grams = format
        .rend(b"Hello There, how are you?", &mid(), Some((&vid(), &key())))
        .unwrap();
    let want: [&[u8]; 2] = [
        concat!(
            "bAACAAAC0AD5s502N14R8bWw8qyvRW-SBAOhB7_zzhC-HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4Hello ",
            "0BCLteQI6RZOakelLofV5Pnnka3nqSOpyBr4_ksqSgAuvnWOSxSHFHMocMzAw9_jhEQD6dmIkQar3ZtMJAdCvuIF"
        )
        .as_bytes(),
        concat!(
            "bAADAAAB0AD5s502N14R8bWw8qyvRW-SThere, how are you?",
            "0BCNv9EV0LG_siA6zBbzcykdk6-bwIPpyfi7FrnXi20MvzF2bhU3_qrzEt7-NJLVF9fQnXihm0FqYxDmXHVGJ54M"
        )
        .as_bytes(),
    ];
    assert_eq!(grams, want);
    assert_eq!((grams[0].len(), grams[1].len()), (170, 139));
    assert_eq!(parse(&grams[1]).unwrap().vid, None);

    // In order.
    let mut reasm = Reassembler::new();
    let keep = Keep::new();
    accept_all(&mut reasm, &keep, &[&grams[0], &grams[1]]);
    assert_eq!(
        fused(&mut reasm),
        [signed_memo("Hello There, how are you?")]
    );

    // Reversed: Python HIO drops gram 1 (no vid yet) and the memo never
    // completes; we hold it and verify it when the zeroth gram comes.
    let mut reasm = Reassembler::new();
    assert_eq!(
        accept_all(&mut reasm, &keep, &[&grams[1], &grams[0]]),
        [Ok(Accepted::Held), Ok(Accepted::Complete)]
    );
    assert_eq!(
        fused(&mut reasm),
        [signed_memo("Hello There, how are you?")]
    );
    assert_eq!((reasm.pending(), reasm.buffered()), (0, 0));
}

#[test]
fn memo_s7_signed_binary() {
    let format = Format::new(Code::GramAuthZero, true, 170).unwrap();
    let grams = format
        .rend(b"Hello There, how are you?", &mid(), Some((&vid(), &key())))
        .unwrap();
    let want = unhex(
        "6c0002 000001 d000f9b39d36375e11f1b5b0f2acaf456f92 \
         0403a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8 \
         48656c6c6f2054686572652c20686f772061726520796f753f \
         d0108c18038bc3878643331c573b6e5e0191e1577cf78cd05230bdeecec8e24e1c00f7dc1c4b04b865a5\
         b43af7563bc742e94653ae1c51a33fd04e15d73c643e2807",
    );
    assert_eq!(grams, [want]);
    assert_eq!(grams[0].len(), 148);
    let gram = parse(&grams[0]).unwrap();
    assert_eq!((gram.signed.len(), gram.body.len()), (82, 25));
    let mut reasm = Reassembler::new();
    accept_all(&mut reasm, &Keep::new(), &[&grams[0]]);
    assert_eq!(
        fused(&mut reasm),
        [signed_memo("Hello There, how are you?")]
    );
}

#[test]
fn memo_s8_rejection_cases() {
    let keep = Keep::new();
    let drop = |gram: &[u8], authic: bool| {
        let mut reasm: Reassembler<&str> = Reassembler::new();
        reasm.set_authic(authic);
        let result = reasm.accept(gram, &"src", &keep);
        assert!(fused(&mut reasm).is_empty());
        assert_eq!(reasm.pending(), 0);
        result
    };
    // Tampered body byte.
    let mut tampered = S5_GRAM.as_bytes().to_vec();
    tampered[80] ^= 0x01;
    assert_eq!(drop(&tampered, false), Err(GramError::Unverified));
    // Invalid 88-character signature.
    let mut bad_sig = S5_GRAM.as_bytes()[..87].to_vec();
    bad_sig.extend_from_slice("A".repeat(88).as_bytes());
    assert_eq!(drop(&bad_sig, false), Err(GramError::BadSignature));
    // A valid-looking 0B signature that does not verify.
    let mut zero_sig = S5_GRAM.as_bytes()[..87].to_vec();
    zero_sig.extend_from_slice(format!("0B{}", "A".repeat(86)).as_bytes());
    assert_eq!(drop(&zero_sig, false), Err(GramError::Unverified));
    // Unsigned gram into an authic receiver.
    let unsigned = format!("bAAAAAAB{MID}Hello There");
    assert_eq!(drop(unsigned.as_bytes(), true), Err(GramError::Unsigned));
    // First byte neither b nor 0x6c.
    assert_eq!(
        drop(b"xAAAAAAB0AD5s502N14R8bWw8qyvRW-SHi", false),
        Err(GramError::BadLead)
    );
    assert_eq!(drop(&[0x00, 0x00, 0x00], false), Err(GramError::BadLead));
    // Shorter than its overhead.
    assert_eq!(
        drop(&S5_GRAM.as_bytes()[..163], false),
        Err(GramError::Truncated)
    );
    assert_eq!(
        drop(format!("bAAAAAAB{}", &MID[..23]).as_bytes(), false),
        Err(GramError::Truncated)
    );
    // Every truncation of a signed gram is dropped.
    for len in 0..S5_GRAM.len() {
        assert!(
            drop(&S5_GRAM.as_bytes()[..len], false).is_err(),
            "len {len}"
        );
    }
}

#[test]
fn transferable_and_digest_vids_need_the_keep() {
    let keyage = Keyage::from_seed(&[9; 32]);
    for code in [VidCode::Ed25519, VidCode::Blake3_256] {
        let vid = Vid::new(code, &[0x42; 32]);
        let format = Format::new(Code::GramAuthZero, false, 200).unwrap();
        let key = keyage.signing_key().unwrap();
        let grams = format
            .rend(b"transferable", &mid(), Some((&vid, key)))
            .unwrap();
        // Without the key: dropped.
        let mut reasm = Reassembler::new();
        assert_eq!(
            reasm.accept(&grams[0], &"src", &Keep::new()),
            Err(GramError::UnknownVerifier)
        );
        // With it: delivered, tagged with the vid.
        let mut keep = Keep::new();
        keep.insert(vid, Keyage::from_verkey(*keyage.verkey()));
        assert_eq!(
            reasm.accept(&grams[0], &"src", &keep),
            Ok(Accepted::Complete)
        );
        let memos = fused(&mut reasm);
        assert_eq!(memos[0].vid, Some(vid));
        assert_eq!(memos[0].memo, "transferable");
    }
}

#[test]
fn a_b_vid_must_match_its_key() {
    let format = Format::new(Code::GramAuthZero, false, 200).unwrap();
    let other = SigningKey::from_bytes(&[1; 32]);
    assert!(matches!(
        format.rend(b"x", &mid(), Some((&vid(), &other))),
        Err(hio::memo::MemoError::KeyMismatch(_))
    ));
}

#[test]
fn unsigned_grams_cannot_join_a_signed_memo() {
    let format = Format::new(Code::GramAuthZero, false, 170).unwrap();
    let grams = format
        .rend(b"Hello There, how are you?", &mid(), Some((&vid(), &key())))
        .unwrap();
    let forged = format!("bAABAAAB{MID}FORGED, forged, forged");
    let keep = Keep::new();

    // After the zeroth gram: rejected at once.
    let mut reasm = Reassembler::new();
    assert_eq!(
        accept_all(
            &mut reasm,
            &keep,
            &[&grams[0], forged.as_bytes(), &grams[1]]
        ),
        [
            Ok(Accepted::Stored),
            Err(GramError::Mixed),
            Ok(Accepted::Complete)
        ]
    );
    assert_eq!(
        fused(&mut reasm),
        [signed_memo("Hello There, how are you?")]
    );

    // Before it: held, then dropped when the zeroth gram shows the memo is
    // signed; the genuine gram still completes it.
    let mut reasm = Reassembler::new();
    assert_eq!(
        accept_all(
            &mut reasm,
            &keep,
            &[forged.as_bytes(), &grams[0], &grams[1]]
        ),
        [
            Ok(Accepted::Held),
            Ok(Accepted::Stored),
            Ok(Accepted::Complete)
        ]
    );
    assert_eq!(
        fused(&mut reasm),
        [signed_memo("Hello There, how are you?")]
    );
    assert_eq!(reasm.buffered(), 0);

    // A signed later gram from another key is held, then fails to verify.
    let other_key = SigningKey::from_bytes(&[5; 32]);
    let other_vid = Vid::from_verkey(&other_key.verifying_key());
    let other = format
        .rend(
            b"Hello There, how are you?",
            &mid(),
            Some((&other_vid, &other_key)),
        )
        .unwrap();
    let mut reasm = Reassembler::new();
    assert_eq!(
        accept_all(&mut reasm, &keep, &[&other[1], &grams[0]]),
        [Ok(Accepted::Held), Ok(Accepted::Stored)]
    );
    assert!(fused(&mut reasm).is_empty());
    assert_eq!(
        reasm.accept(&grams[1], &"src", &keep),
        Ok(Accepted::Complete)
    );
    assert_eq!(
        fused(&mut reasm),
        [signed_memo("Hello There, how are you?")]
    );
}

#[test]
fn keep_sign_and_verify() {
    let mut keep = Keep::new();
    let vid = keep.insert_seed(&seed());
    assert_eq!(vid.as_str(), VID);
    assert_eq!(keep.len(), 1);
    let sig = keep.sign(&vid, b"ser").unwrap();
    assert_eq!(keep.verify(&vid, &sig, b"ser"), Ok(()));
    assert_eq!(keep.verify(&vid, &sig, b"ses"), Err(GramError::Unverified));
    let stranger = Vid::new(VidCode::Ed25519N, &[3; 32]);
    assert!(keep.sign(&stranger, b"ser").is_err());
    assert!(Keyage::from_text(VID, Some(&encode_qss(&seed()))).is_ok());
    assert!(Keyage::from_text(VID, Some(&encode_qss(&[8; 32]))).is_err());
    assert!(keep.remove(&vid).is_some());
    assert!(keep.is_empty());
}
