//! Regression tests named after the issue they guard (ripgrep's
//! `tests/regression.rs`): `regression_hio_<n>_…` is ioflo/hio issue `<n>`.
//! Regressions of our own (the security review's issue 10, the memo
//! flood) sit next to their topic in the `http` and `memo` test hubs.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::time::{Duration, Instant};

mod util;
use util::http::{connect, exchange, server, text};

/// ioflo/hio #29: a 204 was sent with `Transfer-Encoding: chunked`.
#[test]
fn regression_hio_29_no_framing_on_204() {
    let mut server = server();
    let mut c = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"GET /nocontent HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).ends_with("\r\n\r\n"),
    );
    let r = text(&r);
    assert!(r.starts_with("HTTP/1.1 204 No Content\r\n"));
    assert!(
        !r.contains("Transfer-Encoding") && !r.contains("Content-Length"),
        "{r}"
    );
}

/// ioflo/hio #30, keria #155: 1,000 concurrent clients (the backlog was 5).
#[test]
fn regression_hio_30_a_thousand_concurrent_clients() {
    let mut server = server();
    let addr: SocketAddr = server.local_addr().unwrap();
    let mut clients: Vec<TcpStream> = Vec::new();
    for _ in 0..1000 {
        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        c.set_nonblocking(true).unwrap();
        clients.push(c);
    }
    let mut answered = vec![false; clients.len()];
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    let replies = Rc::new(RefCell::new(0));
    while answered.iter().any(|a| !a) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{} answered",
            answered.iter().filter(|a| **a).count()
        );
        server.service().unwrap();
        for (c, a) in clients.iter_mut().zip(answered.iter_mut()) {
            if *a {
                continue;
            }
            if let Ok(n) = c.read(&mut buf)
                && n > 0
                && text(&buf[..n]).ends_with("hello")
            {
                *a = true;
                *replies.borrow_mut() += 1;
            }
        }
    }
    assert_eq!(*replies.borrow(), 1000);
}
