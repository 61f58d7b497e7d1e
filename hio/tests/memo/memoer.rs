//! The Memoer model over the in-memory loopback transport: queues, service
//! calls, back-pressure, send errors, tymeouts (hio-io §7.7, §7.8, S12,
//! and S13 with a loopback port the size of a UDP one).
#![cfg(feature = "memo")]

use std::io;

use hio::Tymist;
use hio::memo::{Code, Keep, Memo, Memoer, MemoerOpts, Transport, Vid, parse};
use hio::testing::LoopNet;

fn to_beta() -> String {
    "beta".to_owned()
}

fn inbox(memoer: &mut Memoer<impl Transport<Addr = String>>) -> Vec<Memo<String>> {
    memoer.inbox_mut().drain(..).collect()
}

#[test]
fn memo_s12_sizes_follow_the_transport() {
    let net = LoopNet::new();
    let udp = Memoer::new(net.port("udp").with_max_gram_size(1240));
    assert_eq!(udp.size(), 1240);
    let uxd = Memoer::new(net.port("uxd"));
    assert_eq!(uxd.size(), 65535);
    // Asked for more than the transport carries: capped.
    let options = MemoerOpts {
        size: Some(5000),
        ..Default::default()
    };
    let capped = Memoer::with_options(net.port("c").with_max_gram_size(1240), options).unwrap();
    assert_eq!(capped.size(), 1240);
}

#[test]
fn memo_s13_loopback_split_like_udp() {
    let net = LoopNet::new();
    let mut alpha = Memoer::new(net.port("alpha").with_max_gram_size(1240));
    let mut beta = Memoer::new(net.port("beta").with_max_gram_size(1240));
    alpha.memoit("x".repeat(3000), to_beta());
    alpha.service().unwrap();
    let grams = net.take("beta");
    assert_eq!(
        grams.iter().map(|(g, _)| g.len()).collect::<Vec<_>>(),
        [1240, 1240, 616]
    );
    for (gram, src) in grams {
        net.inject("beta", gram, src);
    }
    beta.service().unwrap();
    assert_eq!(
        inbox(&mut beta),
        [Memo {
            memo: "x".repeat(3000),
            src: "alpha".to_owned(),
            vid: None
        }]
    );
}

#[test]
fn memos_both_ways_in_every_format() {
    let net = LoopNet::new();
    let mut keep = Keep::new();
    let vid = keep.insert_seed(&[11; 32]);
    for code in [
        Code::GramZero,
        Code::GramAuthZero,
        Code::GramSureZero,
        Code::GramSureAuthZero,
    ] {
        for curt in [false, true] {
            let options = MemoerOpts {
                code,
                curt,
                size: Some(200),
                vid: Some(vid),
                keep: keep.clone(),
                ..Default::default()
            };
            let mut alpha = Memoer::with_options(net.port("alpha"), options.clone()).unwrap();
            let mut beta = Memoer::with_options(net.port("beta"), options).unwrap();
            let long = "héllo wörld ".repeat(50);
            alpha.memoit(long.clone(), to_beta());
            beta.memoit("short", "alpha".to_owned());
            for _ in 0..2 {
                alpha.service().unwrap();
                beta.service().unwrap();
            }
            let want_vid = code.is_auth().then_some(vid);
            let got = inbox(&mut beta);
            assert_eq!(got.len(), 1, "{code} {curt}");
            assert_eq!(
                (got[0].memo.as_str(), got[0].vid),
                (long.as_str(), want_vid)
            );
            let got = inbox(&mut alpha);
            assert_eq!(
                (got[0].memo.as_str(), got[0].src.as_str()),
                ("short", "beta")
            );
        }
    }
}

#[test]
fn would_block_keeps_the_gram() {
    let net = LoopNet::new();
    let mut alpha = Memoer::with_options(
        net.port("alpha"),
        MemoerOpts {
            size: Some(40),
            ..Default::default()
        },
    )
    .unwrap();
    let mut beta = Memoer::new(net.port("beta"));
    net.set_capacity("beta", 1);
    let memo = "abcdefghijklmnopqrstuvwxyz0123456789"; // 5 grams of 8 bytes
    alpha.memoit(memo, to_beta());
    alpha.service().unwrap();
    // One gram went; the second is in flight, blocked; three wait.
    assert_eq!(net.queued("beta"), 1);
    let (blocked, dst) = alpha.txbs().expect("a blocked gram");
    assert_eq!(parse(blocked).unwrap().gn(), 1);
    assert_eq!(dst, "beta");
    assert_eq!(alpha.txgs().len(), 3);
    alpha.service().unwrap(); // still full: nothing moves, nothing is lost
    assert_eq!((net.queued("beta"), alpha.txgs().len()), (1, 3));
    let mut rounds = 0;
    while inbox(&mut beta).is_empty() {
        beta.service().unwrap();
        alpha.service().unwrap();
        beta.service().unwrap();
        if let Some(memo) = beta.inbox().front() {
            assert_eq!(memo.memo, "abcdefghijklmnopqrstuvwxyz0123456789");
            break;
        }
        rounds += 1;
        assert!(rounds < 10);
    }
    assert!(alpha.txbs().is_none() && alpha.txgs().is_empty());
}

/// A transport that takes at most `chunk` bytes per send and can be told to
/// fail.
struct Stingy {
    chunk: usize,
    sent: Vec<(Vec<u8>, String)>,
    fail: Option<io::ErrorKind>,
}

impl Transport for Stingy {
    type Addr = String;

    fn receive(&mut self, _buf: &mut [u8]) -> io::Result<Option<(usize, String)>> {
        Ok(None)
    }

    fn send(&mut self, gram: &[u8], dst: &String) -> io::Result<usize> {
        if let Some(kind) = self.fail {
            return Err(kind.into());
        }
        let n = gram.len().min(self.chunk);
        self.sent.push((gram[..n].to_vec(), dst.clone()));
        Ok(n)
    }
}

#[test]
fn partial_sends_resume_where_they_stopped() {
    let stingy = Stingy {
        chunk: 20,
        sent: Vec::new(),
        fail: None,
    };
    let mut memoer = Memoer::new(stingy);
    memoer.memoit("Hello There", to_beta()); // one 43-byte gram
    memoer.service_all_tx().unwrap();
    assert_eq!(memoer.txbs().map(|(rest, _)| rest.len()), Some(23));
    memoer.service_tx_grams_once().unwrap();
    memoer.service_tx_grams_once().unwrap();
    assert!(memoer.txbs().is_none());
    let sent: Vec<u8> = memoer
        .transport()
        .sent
        .iter()
        .flat_map(|(bytes, _)| bytes.clone())
        .collect();
    assert!(sent.ends_with(b"Hello There") && sent.len() == 43);
}

#[test]
fn unreachable_destinations_drop_grams_and_other_errors_surface() {
    let net = LoopNet::new();
    let mut alpha = Memoer::new(net.port("alpha"));
    let mut beta = Memoer::new(net.port("beta"));
    alpha.memoit("to nobody", "nobody".to_owned());
    alpha.memoit("to beta", to_beta());
    alpha.service().unwrap();
    beta.service().unwrap();
    assert_eq!(inbox(&mut beta)[0].memo, "to beta");

    let mut failing = Memoer::new(Stingy {
        chunk: 1000,
        sent: Vec::new(),
        fail: Some(io::ErrorKind::PermissionDenied),
    });
    failing.memoit("one", to_beta());
    failing.memoit("two", to_beta());
    assert!(matches!(failing.service(), Err(hio::Error::Io(_))));
    // The failed gram was dropped; the next one is tried on the next call.
    assert_eq!(failing.txgs().len(), 1);
    failing.transport_mut().fail = None;
    failing.service().unwrap();
    assert_eq!(failing.transport().sent.len(), 1);
}

#[test]
fn a_memo_that_cannot_be_rent_is_reported_and_removed() {
    let net = LoopNet::new();
    let options = MemoerOpts {
        code: Code::GramAuthZero,
        ..Default::default()
    };
    let mut alpha = Memoer::with_options(net.port("alpha"), options).unwrap();
    alpha.memoit("no vid", to_beta());
    assert!(matches!(
        alpha.service_tx_memos(),
        Err(hio::Error::Memo(hio::memo::MemoError::MissingVid(_)))
    ));
    let stranger = Vid::new(hio::memo::VidCode::Ed25519N, &[1; 32]);
    alpha.memoit_as("no key", to_beta(), stranger);
    assert!(matches!(
        alpha.service_tx_memos_once(),
        Err(hio::Error::Memo(hio::memo::MemoError::UnknownSigner(_)))
    ));
    assert!(alpha.txms().is_empty());
    // A key for another vid signs when named.
    let vid = alpha.keep_mut().insert_seed(&[2; 32]);
    alpha.memoit_as("signed", to_beta(), vid);
    let _beta = net.port("beta");
    alpha.service().unwrap();
    assert_eq!(net.queued("beta"), 1);
}

#[test]
fn authic_memoer_takes_signed_grams_only() {
    let net = LoopNet::new();
    let mut keep = Keep::new();
    let vid = keep.insert_seed(&[4; 32]);
    let mut signer = Memoer::with_options(net.port("signer"), MemoerOpts::auth(vid, keep)).unwrap();
    let mut plain = Memoer::new(net.port("plain"));
    let mut strict = Memoer::with_options(
        net.port("beta"),
        MemoerOpts {
            authic: true,
            ..Default::default()
        },
    )
    .unwrap();
    plain.memoit("unsigned", to_beta());
    signer.memoit("signed", to_beta());
    plain.service().unwrap();
    signer.service().unwrap();
    strict.service().unwrap();
    let got = inbox(&mut strict);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].memo.as_str(), got[0].vid), ("signed", Some(vid)));
}

#[test]
fn partial_memos_expire_through_service() {
    let mut tymist = Tymist::new(0.0, 0.5);
    let net = LoopNet::new();
    let mut beta = Memoer::with_options(
        net.port("beta"),
        MemoerOpts {
            reassembly_tymeout: 2.0,
            ..Default::default()
        },
    )
    .unwrap();
    beta.wind(&tymist.tymen());
    net.inject("beta", "bAAAAAAC0AD5s502N14R8bWw8qyvRW-Shalf", "alpha");
    beta.service().unwrap();
    assert_eq!(beta.reassembler().pending(), 1);
    for _ in 0..3 {
        tymist.tick();
        beta.service().unwrap();
    }
    assert_eq!(beta.reassembler().pending(), 1);
    tymist.tick();
    assert_eq!(beta.service_tymers(), 1);
    assert_eq!(beta.reassembler().pending(), 0);
}

#[test]
fn once_services_move_one_step() {
    let net = LoopNet::new();
    let mut alpha = Memoer::new(net.port("alpha"));
    let mut beta = Memoer::new(net.port("beta"));
    alpha.memoit("one", to_beta());
    alpha.memoit("two", to_beta());
    alpha.service_all_once().unwrap();
    assert_eq!((alpha.txms().len(), net.queued("beta")), (1, 1));
    alpha.service_all_once().unwrap();
    assert_eq!(net.queued("beta"), 2);
    beta.service_all_rx_once().unwrap();
    assert_eq!((beta.rxms().len(), beta.inbox().len()), (0, 1));
    beta.service_receives_once().unwrap();
    beta.service_rx_grams();
    assert_eq!(beta.rxms().len(), 1);
    beta.service_rx_memos_once();
    assert_eq!(
        inbox(&mut beta)
            .iter()
            .map(|m| m.memo.as_str())
            .collect::<Vec<_>>(),
        ["one", "two"]
    );
    // service_local receives and sends but does not rend.
    alpha.memoit("three", to_beta());
    alpha.service_local().unwrap();
    assert_eq!(alpha.txms().len(), 1);
    alpha.gramit("bAAAAAAB0AD5s502N14R8bWw8qyvRW-Sgramit", to_beta());
    alpha.service_local().unwrap();
    beta.service_all().unwrap();
    assert_eq!(inbox(&mut beta)[0].memo, "gramit");
}

#[test]
fn a_closed_transport_is_left_alone() {
    let net = LoopNet::new();
    let mut alpha = Memoer::new(net.port("alpha"));
    let _beta = net.port("beta");
    net.close("alpha");
    alpha.memoit("held", to_beta());
    alpha.service().unwrap();
    assert_eq!(alpha.txgs().len(), 1); // rent, not sent
    assert_eq!(net.queued("beta"), 0);
}

#[test]
fn code_and_curt_reclamp_the_size_like_hio() {
    let net = LoopNet::new();
    let mut memoer = Memoer::with_options(
        net.port("a"),
        MemoerOpts {
            size: Some(6),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(memoer.size(), 33);
    memoer.set_code(Code::GramAuthZero).unwrap();
    assert_eq!(memoer.size(), 165);
    memoer.set_code(Code::GramZero).unwrap();
    assert_eq!(memoer.size(), 165); // the clamped size stays, as in HIO
    assert!(memoer.set_code(Code::Gram).is_err());
    memoer.set_size(None);
    assert_eq!(memoer.size(), 65535);
    assert!(!memoer.curt());
    memoer.set_curt(true);
    assert!(memoer.curt());
    assert_eq!(memoer.name(), "main");
    assert!(format!("{memoer:?}").contains("Memoer"));
}

#[test]
fn rend_uses_fresh_mids() {
    let net = LoopNet::new();
    let mut memoer = Memoer::new(net.port("a"));
    let one = memoer.rend("same", None).unwrap();
    let two = memoer.rend("same", None).unwrap();
    let (m1, m2) = (parse(&one[0]).unwrap().mid, parse(&two[0]).unwrap().mid);
    assert_ne!(m1, m2);
    assert!(m1.as_str().starts_with("0A") && m2.as_str().starts_with("0A"));
}

#[test]
fn legacy_option_decodes_old_grams() {
    let net = LoopNet::new();
    let mut beta = Memoer::with_options(
        net.port("beta"),
        MemoerOpts {
            legacy: true,
            ..Default::default()
        },
    )
    .unwrap();
    net.inject("beta", "__D5s502N14R8bWw8qyvRW-SAAAB later!", "old");
    net.inject("beta", "__D5s502N14R8bWw8qyvRW-SAAAAAAACSee ya", "old");
    beta.service().unwrap();
    assert_eq!(inbox(&mut beta)[0].memo, "See ya later!");
}
