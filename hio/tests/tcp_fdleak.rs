//! No descriptor is left open after a Doist with TCP doers shuts down.
//! (One test in this file: it counts the process's descriptors.)

use std::io::Write;
use std::net::TcpStream;

use hio::Doist;
use hio::tcp::{Client, ClientDoer, Server, ServerDoer};
use hio::udp::{Peer, PeerDoer};

mod util;
use util::io::open_fds;

#[test]
fn shutdown_leaks_no_descriptor() {
    let before = open_fds();
    {
        let echo = ServerDoer::echo(Server::new("127.0.0.1:0".parse().unwrap()));
        let server = echo.server();
        server.borrow_mut().open().unwrap();
        let addr = server.borrow().local_addr().unwrap();
        let mut doist = Doist::new(0.01).with_limit(0.5);
        doist.add(echo);
        let handles: Vec<_> = (0..5)
            .map(|i| {
                let mut c = Client::new(addr);
                c.tx(format!("client {i}").as_bytes());
                let d = ClientDoer::new(c);
                let h = d.client();
                doist.add(d);
                h
            })
            .collect();
        doist.add(PeerDoer::new(Peer::new("127.0.0.1:0".parse().unwrap())));
        let mut raw = TcpStream::connect(addr).unwrap();
        raw.write_all(b"raw").unwrap();
        doist.run().unwrap();
        for (i, h) in handles.iter().enumerate() {
            assert_eq!(h.borrow().rxbs(), format!("client {i}").as_bytes());
        }
    }
    assert_eq!(open_fds(), before);
}
