//! Running out of file descriptors on accept: the server keeps going, and
//! accepts the waiting connections once descriptors are free again.
//! (One test in this file: it changes the process's descriptor limit.)

use std::net::TcpStream;
use std::time::{Duration, Instant};

use hio::tcp::Server;

mod util;
use util::io::open_fds;

#[test]
fn accept_survives_descriptor_exhaustion() {
    let mut server = Server::new("127.0.0.1:0".parse().unwrap());
    server.open().unwrap();
    let addr = server.local_addr().unwrap();
    // Twenty connections wait in the listen backlog.
    let clients: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(addr).unwrap()).collect();

    let (soft, hard) = rlimit::Resource::NOFILE.get().unwrap();
    // Room for five more descriptors only.
    rlimit::Resource::NOFILE
        .set(open_fds() as u64 + 5, hard)
        .unwrap();
    for _ in 0..20 {
        server.service().unwrap();
    }
    let starved = server.len();
    rlimit::Resource::NOFILE.set(soft, hard).unwrap();
    assert!(
        starved < 20,
        "the limit should have stopped some accepts ({starved})"
    );

    // Descriptors are back: the rest are accepted with no new event needed.
    let start = Instant::now();
    while server.len() < 20 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "only {} accepted",
            server.len()
        );
        server.service().unwrap();
    }
    drop(clients);
}
