//! UXD peers: round trip in one Doist, path rules, stale sockets, limits.

use std::os::unix::fs::FileTypeExt;

use hio::filing::{Filer, FilerDefaults};
use hio::uxd::{Peer, PeerDoer};
use hio::{Doist, Error};

use crate::util::io::Scratch;

#[test]
fn round_trip_between_two_peer_doers_and_temp_cleanup() {
    let (da, db) = (
        PeerDoer::new(Peer::temp("alpha").unwrap()),
        PeerDoer::new(Peer::temp("beta").unwrap()),
    );
    let (pa, pb) = (da.peer(), db.peer());
    let mut doist = Doist::new(0.01).with_limit(1.0);
    doist.add(da);
    doist.add(db);
    doist.enter().unwrap();
    let a_path = pa.borrow().path().unwrap().to_path_buf();
    let b_path = pb.borrow().path().unwrap().to_path_buf();
    assert!(a_path.to_str().unwrap().contains("hio_uxd_"));
    assert!(a_path.ends_with("hio/uxd/alpha.uxd"));
    assert!(
        std::fs::symlink_metadata(&a_path)
            .unwrap()
            .file_type()
            .is_socket()
    );
    for i in 0..50u8 {
        pa.borrow_mut()
            .tx(&vec![i; 100 * i as usize + 1], b_path.clone());
    }
    for _ in 0..20 {
        doist.recur().unwrap();
    }
    let mut b = pb.borrow_mut();
    for i in 0..50u8 {
        let (data, src) = b.rx().expect("every datagram arrives, in order");
        assert_eq!(data, vec![i; 100 * i as usize + 1]);
        assert_eq!(src.as_deref(), Some(a_path.as_path()));
    }
    drop(b);
    let temp_root = a_path.ancestors().nth(3).unwrap().to_path_buf();
    doist.exit().unwrap();
    assert!(!a_path.exists() && !b_path.exists());
    assert!(
        !temp_root.exists(),
        "temp root {} removed",
        temp_root.display()
    );
}

#[test]
fn a_stale_socket_file_is_replaced() {
    let scratch = Scratch::new("uxd-test");
    let dir = &scratch.0;
    let path = dir.join("stale.uxd");
    {
        // A peer that dies without cleaning up leaves its socket file.
        let s = std::os::unix::net::UnixDatagram::bind(&path).unwrap();
        drop(s);
    }
    assert!(path.exists());
    let mut peer = Peer::at(&path);
    peer.open().unwrap();
    assert!(peer.is_open());
    // A live socket at the path is not stolen.
    let mut rival = Peer::at(&path);
    assert!(rival.open().is_err());
    assert!(!rival.is_open());
    peer.close();
    assert!(!path.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_path_too_long_for_a_socket_address_is_a_size_error() {
    let name = "n".repeat(125);
    let filer = Filer::builder()
        .defaults(FilerDefaults::UXD)
        .name(name.as_str())
        .temp(true)
        .extensioned(true)
        .build()
        .unwrap();
    let mut peer = Peer::filed(filer);
    assert!(matches!(peer.open(), Err(Error::Size { .. })));
    assert!(!peer.is_open());
    peer.close_and_clear().unwrap();
}

#[test]
fn a_datagram_to_a_missing_path_is_dropped_in_service_and_an_error_in_send() {
    let scratch = Scratch::new("uxd-test");
    let dir = &scratch.0;
    let mut peer = Peer::at(dir.join("a.uxd"));
    peer.open().unwrap();
    let nowhere = dir.join("nobody.uxd");
    assert!(peer.send(b"x", &nowhere).is_err());
    peer.tx(b"x", nowhere);
    peer.service().unwrap();
    assert_eq!(peer.tx_len(), 0);
    peer.close();
    std::fs::remove_dir_all(dir).unwrap();
}
