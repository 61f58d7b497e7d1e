//! Memograms over real sockets: two PeerMemoers in one Doist, over UDP and
//! over UXD, unsigned and signed, with memos larger than one gram.

use std::time::Duration;

use hio::Doist;
use hio::memo::{Keep, MemoerOpts};
use hio::{udp, uxd};

fn long_memo(i: usize) -> String {
    format!("memo {i}: {}", "abcdefghij".repeat(50 * (i + 1)))
}

#[test]
fn udp_peer_memoers_exchange_multi_gram_memos() {
    let a = udp::PeerMemoer::new(udp::Peer::new("127.0.0.1:0".parse().unwrap()));
    let b = udp::PeerMemoer::new(udp::Peer::new("127.0.0.1:0".parse().unwrap()));
    let (da, db) = (udp::PeerMemoerDoer::new(a), udp::PeerMemoerDoer::new(b));
    let (ma, mb) = (da.memoer(), db.memoer());
    let mut doist = Doist::new(0.01).with_limit(10.0);
    doist.add(da);
    doist.add(db);
    doist.enter().unwrap();
    let a_addr = ma.borrow().transport().local_addr().unwrap();
    let b_addr = mb.borrow().transport().local_addr().unwrap();
    for i in 0..5 {
        ma.borrow_mut().memoit(long_memo(i), b_addr);
    }
    let mut got = Vec::new();
    for _ in 0..500 {
        doist.recur().unwrap();
        while let Some(m) = mb.borrow_mut().inbox_mut().pop_front() {
            assert_eq!(m.src, a_addr);
            got.push(m.memo);
        }
        if got.len() == 5 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    got.sort();
    let mut want: Vec<String> = (0..5).map(long_memo).collect();
    want.sort();
    assert_eq!(got, want);
    doist.exit().unwrap();
}

#[test]
fn uxd_peer_memoers_exchange_signed_memos() {
    let mut keep = Keep::new();
    let vid = keep.insert_seed(&[7; 32]);
    let a = uxd::PeerMemoer::with_options(
        uxd::Peer::temp("alpha").unwrap(),
        MemoerOpts::auth(vid, keep.clone()),
    )
    .unwrap();
    let b = uxd::PeerMemoer::with_options(
        uxd::Peer::temp("beta").unwrap(),
        MemoerOpts::auth(vid, keep),
    )
    .unwrap();
    let (da, db) = (uxd::PeerMemoerDoer::new(a), uxd::PeerMemoerDoer::new(b));
    let (ma, mb) = (da.memoer(), db.memoer());
    let mut doist = Doist::new(0.01).with_limit(10.0);
    doist.add(da);
    doist.add(db);
    doist.enter().unwrap();
    let a_path = ma.borrow().transport().path().unwrap().to_path_buf();
    let b_path = mb.borrow().transport().path().unwrap().to_path_buf();
    ma.borrow_mut().memoit(long_memo(3), b_path.clone());
    mb.borrow_mut().memoit("short reply", a_path.clone());
    let (mut at_b, mut at_a) = (None, None);
    for _ in 0..200 {
        doist.recur().unwrap();
        at_b = at_b.or_else(|| mb.borrow_mut().inbox_mut().pop_front());
        at_a = at_a.or_else(|| ma.borrow_mut().inbox_mut().pop_front());
        if at_a.is_some() && at_b.is_some() {
            break;
        }
    }
    let (at_b, at_a) = (
        at_b.expect("a memo reached beta"),
        at_a.expect("a memo reached alpha"),
    );
    assert_eq!(
        (at_b.memo.as_str(), at_b.vid),
        (long_memo(3).as_str(), Some(vid))
    );
    assert_eq!(at_b.src, a_path);
    assert_eq!((at_a.memo.as_str(), at_a.vid), ("short reply", Some(vid)));
    doist.exit().unwrap();
    assert!(
        !a_path.exists() && !b_path.exists(),
        "temp socket files removed"
    );
}
