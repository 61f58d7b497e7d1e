//! UDP peers: a round trip between two doers in one Doist, would-block and
//! unreachable destinations, and service without a Doist.

use hio::Doist;
use hio::udp::{Peer, PeerDoer, PeerOpts};

use crate::util::io::any_port;

#[test]
fn round_trip_between_two_peer_doers_in_one_doist() {
    let mut a = Peer::new(any_port());
    let mut b = Peer::new(any_port());
    a.open().unwrap();
    b.open().unwrap();
    let (a_addr, b_addr) = (a.local_addr().unwrap(), b.local_addr().unwrap());
    for i in 0..100u8 {
        a.tx(&vec![i; 1 + i as usize * 10], b_addr);
    }
    let (da, db) = (PeerDoer::new(a), PeerDoer::new(b));
    let (pa, pb) = (da.peer(), db.peer());
    let mut doist = Doist::new(0.01).with_limit(1.0);
    doist.add(da);
    doist.add(db);
    doist.enter().unwrap();
    let mut got = Vec::new();
    for _ in 0..100 {
        doist.recur().unwrap();
        let mut b = pb.borrow_mut();
        while let Some((data, src)) = b.rx() {
            assert_eq!(src, a_addr);
            // Answer each datagram with its length.
            b.tx(&(data.len() as u32).to_be_bytes(), src);
            got.push(data);
        }
        drop(b);
        if got.len() == 100 && pa.borrow().rx_len() == 100 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert_eq!(got.len(), 100);
    for (i, data) in got.iter().enumerate() {
        assert_eq!(data, &vec![i as u8; 1 + i * 10]);
    }
    let mut a = pa.borrow_mut();
    for i in 0..100u32 {
        let (data, src) = a.rx().unwrap();
        assert_eq!(src, b_addr);
        assert_eq!(u32::from_be_bytes(data.try_into().unwrap()), 1 + i * 10);
    }
    drop(a);
    doist.exit().unwrap();
    assert!(!pa.borrow().is_open());
}

#[test]
fn a_send_to_a_dead_port_is_not_an_error() {
    let mut a = Peer::new(any_port());
    a.open().unwrap();
    let dead = {
        let s = std::net::UdpSocket::bind(any_port()).unwrap();
        s.local_addr().unwrap()
    };
    assert_eq!(a.send(b"anyone?", dead).unwrap(), 7);
    a.tx(b"queued", dead);
    for _ in 0..10 {
        a.service().unwrap();
    }
    assert_eq!(a.tx_len(), 0);
    assert!(a.receive().unwrap().is_none());
}

#[test]
fn a_closed_peer_refuses_direct_io_and_keeps_its_queue() {
    let mut a = Peer::with_opts(
        any_port(),
        PeerOpts {
            bcast: true,
            ..PeerOpts::default()
        },
    );
    assert!(a.send(b"x", any_port()).is_err());
    assert!(a.receive().is_err());
    a.tx(b"later", "127.0.0.1:9".parse().unwrap());
    a.service().unwrap();
    assert_eq!(a.tx_len(), 1, "nothing leaves a closed peer");
    a.open().unwrap();
    a.service().unwrap();
    assert_eq!(a.tx_len(), 0);
}

#[test]
fn binding_a_taken_address_is_an_error() {
    let mut a = Peer::new(any_port());
    a.open().unwrap();
    // SO_REUSEPORT lets a second socket share the port, as HIO sets it; a
    // bad address is refused.
    let mut bad = Peer::new("203.0.113.1:0".parse().unwrap());
    assert!(bad.open().is_err());
    assert!(!bad.is_open());
}
