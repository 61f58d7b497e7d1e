//! TCP: hio-io §3.7 lifecycle facts, S27, S28, and the faults a server must
//! survive. Loopback only; every loop is bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use hio::tcp::{Client, ClientDoer, ClientOpts, Server, ServerDoer, ServerOpts};
use hio::{Doist, Tymist};

use crate::util::io::any_port;

/// Services `server` and `client` until `done` says so, for at most 5 s.
fn pump(
    server: &mut Server,
    clients: &mut [&mut Client],
    mut done: impl FnMut(&Server, &[&mut Client]) -> bool,
) {
    let start = Instant::now();
    while !done(server, clients) {
        assert!(start.elapsed() < Duration::from_secs(5), "timed out");
        for c in clients.iter_mut() {
            c.service().unwrap();
        }
        server.service().unwrap();
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// A Doist at `tock` running `echo`, entered: the doist, the server, its
/// address.
fn entered(
    echo: ServerDoer,
    tock: f64,
) -> (Doist, std::rc::Rc<std::cell::RefCell<Server>>, SocketAddr) {
    let server = echo.server();
    let mut doist = Doist::new(tock);
    doist.add(echo);
    doist.enter().unwrap();
    let addr = server.borrow().local_addr().unwrap();
    (doist, server, addr)
}

fn opened(opts: ServerOpts) -> Server {
    let mut server = Server::with_opts(any_port(), opts);
    server.open().unwrap();
    server
}

#[test]
fn io_s27_echo_server() {
    let echo = ServerDoer::echo(Server::new(any_port()));
    let server = echo.server();
    server.borrow_mut().open().unwrap();
    let addr = server.borrow().local_addr().unwrap();
    let mut client = Client::new(addr);
    client.tx(b"Hello me maties!");
    let client = ClientDoer::new(client);
    let handle = client.client();

    let mut doist = Doist::new(0.03125).with_real(true).with_limit(0.5);
    doist.add(echo);
    doist.add(client);
    doist.run().unwrap();

    assert_eq!(doist.tyme(), 0.5);
    let client = handle.borrow();
    assert_eq!(client.rxbs(), b"Hello me maties!");
    assert!(client.txbs().is_empty());
    assert!(!client.is_open());
    let server = server.borrow();
    assert!(!server.is_open());
    assert!(
        server
            .remoters()
            .all(|r| r.rxbs().is_empty() && !r.is_open())
    );
}

#[test]
fn io_s28_tcp_defaults_and_addresses() {
    let client = Client::new("127.0.0.1:56000".parse().unwrap());
    assert_eq!(client.addr(), "127.0.0.1:56000".parse().unwrap());
    assert_eq!(client.opts().buf_size, 8096);
    assert!(!client.opts().reconnectable);
    assert_eq!(client.opts().tymeout, 0.0);

    let server = Server::new("0.0.0.0:0".parse().unwrap());
    assert_eq!(server.opts().tymeout, 1.0);
    assert_eq!(server.eha().ip().to_string(), "127.0.0.1");

    let mut server = server;
    server.open().unwrap();
    let bound = server.local_addr().unwrap();
    assert_eq!(bound.ip().to_string(), "0.0.0.0");
    assert_eq!(
        server.eha(),
        SocketAddr::from(([127, 0, 0, 1], bound.port()))
    );

    let mut client = Client::new(server.eha());
    pump(&mut server, &mut [&mut client], |s, c| {
        c[0].connected() && s.len() == 1
    });
    let remoter = server.remoters().next().unwrap();
    assert_eq!(Some(remoter.peer()), client.local_addr());
    assert_eq!(client.addr(), server.eha());
    // Python HIO passes the server tymeout as `timeout=`, so its remoters
    // get 0.0; here the server's tymeout reaches them.
    assert_eq!(remoter.tymeout(), 1.0);
}

#[test]
fn client_close_is_seen_as_cutoff_by_the_server() {
    let mut server = opened(ServerOpts::default());
    let mut client = Client::new(server.local_addr().unwrap());
    pump(&mut server, &mut [&mut client], |s, c| {
        c[0].connected() && s.len() == 1
    });
    let peer = client.local_addr().unwrap();
    client.close();
    pump(&mut server, &mut [], |s, _| {
        s.remoter(&peer).is_some_and(|r| r.cutoff())
    });
    // Nothing left to read or send: reaping removes it.
    assert_eq!(server.reap(), 1);
    assert!(server.is_empty());
}

#[test]
fn shutdown_send_delivers_pending_data_then_eof() {
    let mut server = opened(ServerOpts::default());
    let mut client = Client::new(server.local_addr().unwrap());
    pump(&mut server, &mut [&mut client], |s, c| {
        c[0].connected() && s.len() == 1
    });
    client.tx(b"last words");
    client.service().unwrap();
    client.shutdown_send();
    let peer = client.local_addr().unwrap();
    pump(&mut server, &mut [], |s, _| {
        s.remoter(&peer).is_some_and(|r| r.cutoff())
    });
    let r = server.remoter_mut(&peer).unwrap();
    assert_eq!(r.rxbs(), b"last words");
    // Half-closed: the server can still answer before the socket closes.
    r.tx(b"goodbye");
    r.clear_rxbs();
    pump(&mut server, &mut [&mut client], |_, c| {
        c[0].rxbs() == b"goodbye"
    });
}

#[test]
fn reopened_client_reconnects_with_a_new_local_address() {
    let mut server = opened(ServerOpts::default());
    let mut client = Client::new(server.local_addr().unwrap());
    pump(&mut server, &mut [&mut client], |s, c| {
        c[0].connected() && s.len() == 1
    });
    let first = client.local_addr().unwrap();
    client.reopen().unwrap();
    pump(&mut server, &mut [&mut client], |_, c| c[0].connected());
    assert_ne!(client.local_addr().unwrap(), first);
    client.tx(b"again");
    let second = client.local_addr().unwrap();
    pump(&mut server, &mut [&mut client], |s, _| {
        s.remoter(&second).is_some_and(|r| r.rxbs() == b"again")
    });
}

#[test]
fn refused_connect_then_connects_once_the_server_appears() {
    // Reserve a port, then free it: nothing listens there for a while.
    let addr = TcpListener::bind(any_port()).unwrap().local_addr().unwrap();
    let tymist = Tymist::new(0.0, 0.05);
    let mut client = Client::with_opts(
        addr,
        ClientOpts {
            reconnectable: true,
            tymeout: 0.2,
            ..ClientOpts::default()
        },
    );
    client.wind(&tymist.tymen());
    let mut tymist = tymist;
    for _ in 0..20 {
        assert!(!client.service_connect().unwrap());
        tymist.tick();
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut server = Server::new(addr);
    server.open().unwrap();
    client.tx(b"finally");
    pump(&mut server, &mut [&mut client], |s, c| {
        c[0].connected() && s.remoters().any(|r| r.rxbs() == b"finally")
    });
}

#[test]
fn peer_reset_mid_transfer_cuts_off_only_that_connection() {
    let mut server = opened(ServerOpts::default());
    let addr = server.local_addr().unwrap();
    let mut good = Client::new(addr);
    let bad = TcpStream::connect(addr).unwrap();
    pump(&mut server, &mut [&mut good], |s, c| {
        c[0].connected() && s.len() == 2
    });
    let bad_peer = bad.local_addr().unwrap();
    // Queue a large reply to the bad peer, then have it reset (linger 0).
    server.tx(&bad_peer, &vec![7u8; 4 << 20]).unwrap();
    server.service().unwrap();
    socket2::SockRef::from(&bad)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(bad);
    good.tx(b"still here");
    pump(&mut server, &mut [&mut good], |s, _| {
        s.remoter(&bad_peer).is_none_or(|r| r.cutoff())
            && s.remoters().any(|r| r.rxbs() == b"still here")
    });
    let good_peer = good.local_addr().unwrap();
    server.tx(&good_peer, b"and you").unwrap();
    pump(&mut server, &mut [&mut good], |_, c| {
        c[0].rxbs() == b"and you"
    });
}

#[test]
fn writes_after_the_peer_is_gone_mark_cutoff_without_error() {
    let mut server = opened(ServerOpts::default());
    let addr = server.local_addr().unwrap();
    let raw = TcpStream::connect(addr).unwrap();
    let peer = raw.local_addr().unwrap();
    pump(&mut server, &mut [], |s, _| s.len() == 1);
    socket2::SockRef::from(&raw)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(raw);
    let start = Instant::now();
    while !server.remoter(&peer).is_some_and(|r| r.cutoff()) {
        assert!(start.elapsed() < Duration::from_secs(5));
        server.tx(&peer, b"anyone there?").unwrap();
        server.service().unwrap();
    }
    assert_eq!(server.reap(), 1);
}

#[test]
fn server_restart_under_a_reconnecting_client() {
    let mut server = opened(ServerOpts::default());
    let addr = server.local_addr().unwrap();
    let mut client = Client::with_opts(
        addr,
        ClientOpts {
            reconnectable: true,
            tymeout: 0.1,
            ..ClientOpts::default()
        },
    );
    pump(&mut server, &mut [&mut client], |s, c| {
        c[0].connected() && s.len() == 1
    });
    drop(server);
    // The client sees the cut-off, then keeps trying while nothing listens.
    let start = Instant::now();
    while !client.cutoff() && client.connected() {
        assert!(start.elapsed() < Duration::from_secs(5));
        client.service().unwrap();
    }
    for _ in 0..50 {
        client.service().unwrap();
    }
    let mut server = Server::new(addr);
    server.open().unwrap();
    client.tx(b"back");
    pump(&mut server, &mut [&mut client], |s, c| {
        c[0].connected() && s.remoters().any(|r| r.rxbs() == b"back")
    });
}

#[test]
fn idle_tymeout_closes_quiet_connections_on_schedule() {
    let mut tymist = Tymist::new(0.0, 0.25);
    let mut server = Server::with_opts(
        any_port(),
        ServerOpts {
            tymeout: 1.0,
            ..ServerOpts::default()
        },
    );
    server.wind(&tymist.tymen());
    server.open().unwrap();
    let addr = server.local_addr().unwrap();
    let mut quiet = TcpStream::connect(addr).unwrap();
    let mut chatty = Client::new(addr);
    pump(&mut server, &mut [&mut chatty], |s, c| {
        c[0].connected() && s.len() == 2
    });
    let quiet_peer = quiet.local_addr().unwrap();
    let chatty_peer = chatty.local_addr().unwrap();
    for step in 1..=8 {
        tymist.tick();
        chatty.tx(b".");
        pump(&mut server, &mut [&mut chatty], |s, _| {
            s.remoter(&chatty_peer)
                .is_some_and(|r| r.rxbs().len() == step)
        });
        let quiet_cut = server.remoter(&quiet_peer).is_none_or(|r| r.cutoff());
        // Tyme 1.0 is the deadline: closed from then on, not before.
        assert_eq!(quiet_cut, tymist.tyme() >= 1.0, "at tyme {}", tymist.tyme());
        assert!(!server.remoter(&chatty_peer).unwrap().cutoff());
    }
    let mut buf = [0u8; 8];
    quiet
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    assert_eq!(
        quiet.read(&mut buf).unwrap(),
        0,
        "the server closed the quiet connection"
    );
}

#[test]
fn echo_doer_answers_in_the_same_pass() {
    let (mut doist, server, addr) = entered(ServerDoer::echo(Server::new(any_port())), 0.0);
    let mut raw = TcpStream::connect(addr).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    raw.write_all(b"one").unwrap();
    let start = Instant::now();
    // Accept and read happen as soon as the data is there; the echo leaves
    // in that same pass.
    let mut passes = 0;
    while !server
        .borrow()
        .remoters()
        .any(|r| r.rxbs().is_empty() && r.is_open())
        || passes == 0
    {
        assert!(start.elapsed() < Duration::from_secs(5));
        doist.recur().unwrap();
        passes += 1;
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut buf = [0u8; 3];
    raw.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"one");
    doist.exit().unwrap();
}

#[test]
fn a_wirelog_records_both_directions() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let wl = Rc::new(RefCell::new(
        hio::wiring::WireLog::builder().samed(true).open().unwrap(),
    ));
    let mut server = opened(ServerOpts::default());
    server.set_wirelog(Some(wl.clone()));
    let mut client = Client::new(server.local_addr().unwrap());
    pump(&mut server, &mut [&mut client], |s, c| {
        c[0].connected() && s.len() == 1
    });
    client.tx(b"Hello");
    let peer = client.local_addr().unwrap();
    pump(&mut server, &mut [&mut client], |s, _| {
        s.remoter(&peer).is_some_and(|r| r.rxbs() == b"Hello")
    });
    server.tx(&peer, b"World").unwrap();
    pump(&mut server, &mut [&mut client], |_, c| {
        c[0].rxbs() == b"World"
    });
    let log = wl.borrow().read_rx().unwrap().expect("an open log");
    let expected = format!(
        "\nRx ('127.0.0.1', {port}):\nHello\n\nTx ('127.0.0.1', {port}):\nWorld\n",
        port = peer.port()
    );
    assert_eq!(String::from_utf8(log).unwrap(), expected);
}

/// A Doist that waits for readiness while idle (`with_idle_wait`) still
/// answers at once, and stops on an interrupt from another thread.
#[test]
fn idle_wait_doist_serves_and_stops() {
    let echo = ServerDoer::echo(Server::new(any_port()));
    let server = echo.server();
    server.borrow_mut().open().unwrap();
    let addr = server.borrow().local_addr().unwrap();
    let mut doist = Doist::new(0.0).with_idle_wait(Duration::from_millis(5));
    doist.add(echo);
    let stop = doist.interrupter();
    let client = std::thread::spawn(move || {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut answers = Vec::new();
        for word in ["alpha", "beta", "gamma"] {
            s.write_all(word.as_bytes()).unwrap();
            let mut buf = vec![0u8; word.len()];
            s.read_exact(&mut buf).unwrap();
            answers.push(String::from_utf8(buf).unwrap());
        }
        stop.interrupt();
        answers
    });
    assert_eq!(doist.run().unwrap(), hio::Done::Incomplete);
    assert_eq!(client.join().unwrap(), ["alpha", "beta", "gamma"]);
}

/// A client that writes without reading must not make an echo server hold
/// what it cannot send: reading stops at the high-water mark.
#[test]
fn regression_echo_back_pressure() {
    let high = 64 << 10;
    let echo = ServerDoer::echo(Server::with_opts(
        any_port(),
        ServerOpts {
            tx_high_water: high,
            ..ServerOpts::default()
        },
    ));
    let (mut doist, server, addr) = entered(echo, 0.0);
    let mut raw = TcpStream::connect(addr).unwrap();
    raw.set_nonblocking(true).unwrap();
    let chunk = vec![b'z'; 1 << 16];
    let (mut written, mut held) = (0usize, 0usize);
    let start = Instant::now();
    while written < (64 << 20) && start.elapsed() < Duration::from_secs(3) {
        if let Ok(n) = raw.write(&chunk) {
            written += n;
        }
        doist.recur().unwrap();
        for r in server.borrow().remoters() {
            held = held.max(r.rxbs().len() + r.txbs().len());
        }
    }
    // The kernel's buffers fill, then the client's writes stop.
    assert!(written > 4 * high, "only {written} bytes written");
    let bound = high + 2 * ServerOpts::default().buf_size;
    assert!(held <= bound, "server held {held} bytes (bound {bound})");
    // Reading resumes once the client reads: everything comes back.
    let mut back = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let start = Instant::now();
    while back < written {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{back} of {written} back"
        );
        doist.recur().unwrap();
        match raw.read(&mut buf) {
            Ok(0) => panic!("closed after {back} of {written}"),
            Ok(n) => back += n,
            Err(_) => std::thread::sleep(Duration::from_micros(100)),
        }
    }
    doist.exit().unwrap();
}

/// `hio echo --idle S` is in wall seconds at any tock: never at tock 0
/// before, and within milliseconds at a large unpaced tock.
#[test]
fn regression_echo_idle_is_wall_seconds() {
    for tock in [0.0, 10.0] {
        let opts = ServerOpts {
            tymeout: 0.3,
            ..ServerOpts::default()
        };
        let echo = ServerDoer::echo(Server::with_opts(any_port(), opts)).on_wall_clock();
        let (mut doist, server, addr) = entered(echo, tock);
        let raw = TcpStream::connect(addr).unwrap();
        let start = Instant::now();
        while server.borrow().is_empty() {
            assert!(start.elapsed() < Duration::from_secs(5));
            doist.recur().unwrap();
        }
        let open = |s: &std::cell::RefCell<Server>| s.borrow().remoters().any(|r| r.is_open());
        while open(&server) {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "tock {tock}: never closed"
            );
            doist.recur().unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_millis(300),
            "tock {tock}: closed after {waited:?}"
        );
        drop(raw);
        doist.exit().unwrap();
    }
}
