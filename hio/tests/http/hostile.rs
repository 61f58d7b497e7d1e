//! Hostile clients against the HTTP server: each test reproduces one
//! defect of the security review (issue 10) and fails without its fix.

use std::cell::Cell;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hio::Tymist;
use hio::http::sse::{Event, Feed};
use hio::http::{Body, HttpError, HttpOpts, Piece, Server, Upload};
use http::{Request, Response};
use socket2::{Domain, Socket, Type};

use crate::util::http::{connect, exchange, server_with, text};

/// A socket bound to `local` (any port if 0) and connected to `to`, able
/// to reuse a local port a reset connection has just left.
fn connect_from(local: SocketAddr, to: SocketAddr) -> TcpStream {
    let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    s.set_reuse_address(true).unwrap();
    s.bind(&local.into()).unwrap();
    s.connect(&to.into()).unwrap();
    let s: TcpStream = s.into();
    s.set_nonblocking(true).unwrap();
    s
}

/// Resets a connection (RST, no FIN): SO_LINGER 0, then close.
fn reset(s: TcpStream) {
    Socket::from(s).set_linger(Some(Duration::ZERO)).unwrap();
}

/// Services `server` `n` times, a little apart so that the kernel delivers
/// what clients sent.
fn spin(server: &mut Server, n: usize) {
    for _ in 0..n {
        server.service().unwrap();
        std::thread::sleep(Duration::from_micros(300));
    }
}

/// Reads what is there now (non-blocking socket).
fn drain(c: &mut TcpStream) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match c.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return (got, false),
            Err(_) => return (got, true),
        }
    }
}

/// `/slow` answers `SECRET-A` once `ready` is set; anything else `fast`.
fn slow_or_fast(ready: Rc<Cell<bool>>) -> impl FnMut(Request<Bytes>) -> Response<Body> {
    move |req: Request<Bytes>| {
        if req.uri().path() == "/slow" {
            let ready = ready.clone();
            let mut sent = false;
            Response::new(Body::stream(move || {
                if !ready.get() {
                    Piece::Data(Bytes::new())
                } else if !sent {
                    sent = true;
                    Piece::Data(Bytes::from_static(b"SECRET-A"))
                } else {
                    Piece::End
                }
            }))
        } else {
            Response::new(Body::from("fast"))
        }
    }
}

#[test]
fn regression_response_leak_same_peer_addr() {
    let ready = Rc::new(Cell::new(false));
    let mut server = server_with(slow_or_fast(ready.clone()), HttpOpts::default());
    let to = server.local_addr().unwrap();
    let mut a = connect_from("127.0.0.1:0".parse().unwrap(), to);
    let local = a.local_addr().unwrap();
    // A response that is not ready, plus half of a second request.
    a.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fa")
        .unwrap();
    spin(&mut server, 20);
    reset(a);
    spin(&mut server, 20);
    // B comes from the very same address and port.
    let mut b = connect_from(local, to);
    assert_eq!(b.local_addr().unwrap(), local);
    b.write_all(b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    spin(&mut server, 20);
    ready.set(true);
    let (r, _) = exchange(&mut server, &mut b, b"", |got| text(got).ends_with("fast"));
    let r = text(&r);
    assert!(!r.contains("SECRET-A"), "B got A's response: {r:?}");
    assert!(
        r.starts_with("HTTP/1.1 200 OK\r\n") && r.ends_with("\r\n\r\nfast"),
        "{r:?}"
    );
}

#[test]
fn regression_half_head_then_close_releases_at_tock_0() {
    // Tyme never moves (tock 0): no tymeout can help, only the close.
    let mut server = server_with(slow_or_fast(Rc::default()), HttpOpts::default());
    let mut clients: Vec<TcpStream> = (0..40).map(|_| connect(&server)).collect();
    for c in &mut clients {
        c.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
    }
    spin(&mut server, 20);
    assert_eq!(server.tcp().len(), 40);
    // The close comes apart from the data: an EOF with no new bytes.
    drop(clients);
    let start = Instant::now();
    while !server.tcp().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{} connections still held after their peers closed",
            server.tcp().len()
        );
        spin(&mut server, 1);
    }
    let mut ok = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut ok,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).ends_with("fast"),
    );
    assert!(text(&r).starts_with("HTTP/1.1 200"));
}

#[test]
fn regression_pipelined_flood_gets_a_bounded_share_per_pass() {
    let calls = Rc::new(Cell::new(0u32));
    let counted = calls.clone();
    let mut server = server_with(
        move |_req: Request<Bytes>| {
            counted.set(counted.get() + 1);
            Response::new(Body::from("hello"))
        },
        HttpOpts::default(),
    );
    let mut flood = connect(&server);
    let one = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let many: Vec<u8> = one.iter().copied().cycle().take(one.len() * 5000).collect();
    flood.set_nonblocking(false).unwrap();
    flood.write_all(&many).unwrap();
    flood.set_nonblocking(true).unwrap();
    let mut other = connect(&server);
    other.write_all(one).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    // One service reads everything and answers a bounded number of the
    // flood's requests, and the other client's in the same pass.
    server.service().unwrap();
    let flood_calls = calls.get();
    assert!(
        (2..=160).contains(&flood_calls),
        "{flood_calls} requests answered in one pass"
    );
    std::thread::sleep(Duration::from_millis(5));
    let (r, _) = drain(&mut other);
    assert!(text(&r).ends_with("hello"), "{:?}", text(&r));
    // The flooder resets: the server stops working for it.
    reset(flood);
    let start = Instant::now();
    while server.tcp().len() > 1 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "reset connection kept"
        );
        spin(&mut server, 1);
    }
    let after = calls.get();
    spin(&mut server, 20);
    assert_eq!(calls.get(), after, "still answering a reset connection");
    assert!(
        after < 1000,
        "{after} of 5000 requests answered for a reset client"
    );
}

#[test]
fn regression_not_ready_handler_is_not_timed_out() {
    // A handler that is not ready for 8 tyme seconds (beyond every idle
    // tymeout) still gets its response out.
    let mut tymist = Tymist::new(0.0, 1.0);
    let ready = Rc::new(Cell::new(false));
    let mut server = server_with(slow_or_fast(ready.clone()), HttpOpts::default());
    server.wind(&tymist.tymen());
    let mut c = connect(&server);
    c.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    for _ in 0..8 {
        spin(&mut server, 5);
        tymist.tick();
    }
    ready.set(true);
    let (r, closed) = exchange(&mut server, &mut c, b"", |b| text(b).ends_with("0\r\n\r\n"));
    assert!(!closed, "closed: {:?}", text(&r));
    assert!(text(&r).contains("SECRET-A"), "{:?}", text(&r));
}

#[test]
fn regression_sse_gaps_longer_than_the_idle_tymeout() {
    let mut tymist = Tymist::new(0.0, 1.0);
    let feed = Feed::new(16);
    let handle = feed.clone();
    let mut server = server_with(
        move |_req: Request<Bytes>| Response::new(Body::stream(handle.subscribe())),
        HttpOpts::default(),
    );
    server.wind(&tymist.tymen());
    let mut c = connect(&server);
    c.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    spin(&mut server, 10);
    for n in 0..3 {
        feed.send(&Event::data(format!("tick {n}")));
        for _ in 0..7 {
            spin(&mut server, 3);
            tymist.tick();
        }
    }
    let (r, closed) = exchange(&mut server, &mut c, b"", |b| text(b).contains("tick 2"));
    assert!(!closed, "{:?}", text(&r));
}

#[test]
fn regression_send_tymeout_only_for_a_client_that_stops_reading() {
    let mut tymist = Tymist::new(0.0, 1.0);
    let big = Bytes::from(vec![b'x'; 32 << 20]);
    let mut server = server_with(
        move |_req: Request<Bytes>| Response::new(Body::Full(big.clone())),
        HttpOpts::default(),
    );
    server.wind(&tymist.tymen());
    let mut pauser = connect(&server);
    let mut stopped = connect(&server);
    for c in [&mut pauser, &mut stopped] {
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    }
    spin(&mut server, 10);
    // Both pause reading for 2 tyme seconds (hio serve cut this at 1 s).
    for _ in 0..2 {
        spin(&mut server, 3);
        tymist.tick();
    }
    // One reads it all; the other never reads again.
    let mut got = 0usize;
    let start = Instant::now();
    let mut buf = vec![0u8; 1 << 16];
    let mut closed = false;
    while !closed && got < (32 << 20) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "stalled at {got}"
        );
        server.service().unwrap();
        loop {
            match pauser.read(&mut buf) {
                Ok(0) => closed = true,
                Ok(n) => {
                    got += n;
                    continue;
                }
                Err(_) => {}
            }
            break;
        }
    }
    assert!(got >= 32 << 20, "download cut at {got} bytes");
    assert_eq!(server.tcp().len(), 2);
    // Thirty tyme seconds on, the finished one has gone idle and closed;
    // the stalled one is within its send tymeout.
    for _ in 0..30 {
        spin(&mut server, 1);
        tymist.tick();
    }
    spin(&mut server, 3);
    assert_eq!(server.tcp().len(), 1);
    // Sixty tyme seconds with no progress: the stalled one goes too.
    for _ in 0..32 {
        spin(&mut server, 1);
        tymist.tick();
    }
    spin(&mut server, 3);
    assert_eq!(
        server.tcp().len(),
        0,
        "the client that stopped reading is kept"
    );
}

#[test]
fn regression_trickled_body_is_timed_out_and_bounded() {
    let mut tymist = Tymist::new(0.0, 1.0);
    let mut server = server_with(slow_or_fast(Rc::default()), HttpOpts::default());
    server.wind(&tymist.tymen());
    // Beyond the default 1 MiB limit: 413 at once, nothing buffered.
    let mut big = connect(&server);
    let (r, closed) = exchange(
        &mut server,
        &mut big,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 16777216\r\n\r\nabc",
        |_| false,
    );
    assert!(
        closed && text(&r).starts_with("HTTP/1.1 413"),
        "{:?}",
        text(&r)
    );
    // Within the limit but trickled: 408 once the body tymeout passes,
    // though bytes keep coming.
    let mut slow = connect(&server);
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 500000\r\n\r\n")
        .unwrap();
    for _ in 0..31 {
        slow.write_all(b"x").unwrap();
        spin(&mut server, 2);
        tymist.tick();
    }
    let (r, closed) = exchange(&mut server, &mut slow, b"", |_| false);
    assert!(
        closed && text(&r).starts_with("HTTP/1.1 408"),
        "{:?}",
        text(&r)
    );
}

#[test]
fn regression_connection_cap_refuses_cleanly() {
    let opts = HttpOpts {
        max_connections: 4,
        ..HttpOpts::default()
    };
    let mut server = server_with(slow_or_fast(Rc::default()), opts);
    let mut held: Vec<TcpStream> = (0..4).map(|_| connect(&server)).collect();
    spin(&mut server, 10);
    assert_eq!(server.tcp().len(), 4);
    let mut extra = connect(&server);
    let (r, closed) = exchange(&mut server, &mut extra, b"", |_| false);
    assert!(closed, "{:?}", text(&r));
    let r = text(&r);
    assert!(
        r.starts_with("HTTP/1.1 503") && r.contains("Retry-After: 1\r\n"),
        "{r:?}"
    );
    // The ones held are still served.
    let (r, _) = exchange(
        &mut server,
        &mut held[0],
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).ends_with("fast"),
    );
    assert!(text(&r).starts_with("HTTP/1.1 200"));
}

/// Counts an upload's bytes and the largest piece it was handed.
struct Count {
    bytes: usize,
    largest: Rc<Cell<usize>>,
}

impl Upload for Count {
    fn data(&mut self, chunk: &[u8]) -> Result<(), HttpError> {
        self.bytes += chunk.len();
        self.largest.set(self.largest.get().max(chunk.len()));
        Ok(())
    }
    fn finish(self: Box<Self>, _req: Request<()>) -> Response<Body> {
        Response::new(Body::from(format!("{} bytes", self.bytes)))
    }
}

struct Uploads(Rc<Cell<usize>>);

impl hio::http::Handler for Uploads {
    fn handle(&mut self, _req: Request<Bytes>) -> Response<Body> {
        Response::new(Body::from("buffered"))
    }
    fn upload(&mut self, req: &Request<()>) -> Option<Box<dyn Upload>> {
        (req.uri().path() == "/up").then(|| {
            Box::new(Count {
                bytes: 0,
                largest: self.0.clone(),
            }) as Box<dyn Upload>
        })
    }
}

#[test]
fn streaming_upload_beyond_the_body_limit() {
    let largest = Rc::new(Cell::new(0));
    let mut server = server_with(Uploads(largest.clone()), HttpOpts::default());
    let mut c = connect(&server);
    let size = 5 << 20;
    c.write_all(
        format!("POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n").as_bytes(),
    )
    .unwrap();
    let piece = vec![b'u'; 64 << 10];
    let mut sent = 0;
    let mut got = Vec::new();
    let start = Instant::now();
    while !text(&got).ends_with(" bytes") {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{:?}",
            text(&got)
        );
        if sent < size
            && let Ok(n) = c.write(&piece[..piece.len().min(size - sent)])
        {
            sent += n;
        }
        server.service().unwrap();
        got.extend(drain(&mut c).0);
    }
    assert!(
        text(&got).ends_with(&format!("\r\n\r\n{size} bytes")),
        "{:?}",
        text(&got)
    );
    // Handed over as it arrived, never gathered up.
    assert!(
        largest.get() <= 2 << 20,
        "a piece of {} bytes",
        largest.get()
    );
    // The same size, buffered: 413.
    let mut c = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut c,
        format!("POST /other HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n").as_bytes(),
        |_| false,
    );
    assert!(text(&r).starts_with("HTTP/1.1 413"));
}

#[test]
fn regression_ambiguous_framing_closes_after_the_response() {
    let mut server = server_with(slow_or_fast(Rc::default()), HttpOpts::default());
    let mut c = connect(&server);
    let (r, closed) = exchange(
        &mut server,
        &mut c,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
        |_| false,
    );
    let r = text(&r);
    assert!(closed, "{r:?}");
    assert_eq!(r.matches("HTTP/1.1 200").count(), 1, "{r:?}");
    assert!(r.contains("Connection: close\r\n"), "{r:?}");
}

#[test]
fn regression_framing_leniency_is_refused() {
    let cases: &[&[u8]] = &[
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a\nb\r\nhello\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\n\r\n",
        b"GET / HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
    ];
    let mut server = server_with(slow_or_fast(Rc::default()), HttpOpts::default());
    for case in cases {
        let mut c = connect(&server);
        let (r, closed) = exchange(&mut server, &mut c, case, |_| false);
        let r = text(&r);
        assert!(
            closed && r.starts_with("HTTP/1.1 400"),
            "{:?} -> {r:?}",
            text(case)
        );
    }
    let mut c = connect(&server);
    let mut empty_lines = b"\r\n".repeat(100);
    empty_lines.extend_from_slice(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let (r, closed) = exchange(&mut server, &mut c, &empty_lines, |_| false);
    assert!(
        closed && text(&r).starts_with("HTTP/1.1 400"),
        "{:?}",
        text(&r)
    );
    // A couple of empty lines are still fine (RFC 9112 §2.2).
    let mut c = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        complete_fast,
    );
    assert!(text(&r).starts_with("HTTP/1.1 200"));
}

fn complete_fast(b: &[u8]) -> bool {
    text(b).ends_with("fast")
}

/// A stream with nothing queued when the shutdown comes (its events
/// already sent) ends with one last chunk, and nothing after it.
#[test]
fn shutdown_ends_a_quiet_stream_with_one_last_chunk() {
    let feed = Feed::new(16);
    let handle = feed.clone();
    let mut server = server_with(
        move |_req: Request<Bytes>| Response::new(Body::stream(handle.subscribe())),
        HttpOpts::default(),
    );
    let mut c = connect(&server);
    c.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    spin(&mut server, 10);
    feed.send(&Event::data("sent"));
    let (mut got, mut closed) = (Vec::new(), false);
    let start = Instant::now();
    while !text(&got).contains("data: sent") {
        assert!(start.elapsed() < Duration::from_secs(5), "{:?}", text(&got));
        spin(&mut server, 1);
        got.extend(drain(&mut c).0);
    }
    server.shutdown();
    while !server.drained() || !closed {
        assert!(start.elapsed() < Duration::from_secs(10), "not drained");
        spin(&mut server, 1);
        let (more, end) = drain(&mut c);
        got.extend(more);
        closed |= end;
    }
    let s = text(&got);
    let (_, after) = s.split_once("data: sent\n\n\r\n").unwrap();
    assert_eq!(after, "0\r\n\r\n", "{s:?}");
}

#[test]
fn graceful_shutdown_finishes_downloads_and_ends_streams() {
    let feed = Feed::new(16);
    let handle = feed.clone();
    let mut server = server_with(
        move |req: Request<Bytes>| {
            if req.uri().path() == "/events" {
                Response::new(Body::stream(handle.subscribe()))
            } else {
                Response::new(Body::Full(Bytes::from(vec![b'd'; 4 << 20])))
            }
        },
        HttpOpts::default(),
    );
    let mut sse = connect(&server);
    let mut download = connect(&server);
    let mut idle = connect(&server);
    sse.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    download
        .write_all(b"GET /file HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    spin(&mut server, 10);
    feed.send(&Event::data("last"));
    server.shutdown();
    assert!(!server.is_open());
    let (mut s, mut d, mut i) = (
        (Vec::new(), false),
        (Vec::new(), false),
        (Vec::new(), false),
    );
    let start = Instant::now();
    while !server.drained() {
        assert!(start.elapsed() < Duration::from_secs(10), "not drained");
        server.service().unwrap();
        for (c, got) in [
            (&mut sse, &mut s),
            (&mut download, &mut d),
            (&mut idle, &mut i),
        ] {
            let (more, closed) = drain(c);
            got.0.extend(more);
            got.1 |= closed;
        }
    }
    let s = text(&s.0);
    assert!(
        s.contains("data: last") && s.ends_with("\r\n0\r\n\r\n"),
        "{s:?}"
    );
    assert!(d.0.len() > 4 << 20 && d.0.ends_with(b"ddd"), "download cut");
    assert!(i.0.is_empty() && i.1);
}

/// A connection stopped at its share of a pass still has requests in its
/// buffer, and no readiness will come for them: a Doist that waits while
/// idle must not wait then (it did, so 9 MB of pipelined requests took
/// minutes at `http_hello`'s defaults).
#[test]
fn regression_pipelined_flood_under_an_idle_wait() {
    let mut server = Server::new("127.0.0.1:0".parse().unwrap(), |_req: Request<Bytes>| {
        Response::new(Body::from("hello"))
    });
    server.open().unwrap();
    let mut client = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    let n = 2000;
    let one = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let many: Vec<u8> = one.iter().copied().cycle().take(one.len() * n).collect();
    client.write_all(&many).unwrap();
    client.set_nonblocking(true).unwrap();
    let mut got = Vec::new();
    let doer = hio::http::ServerDoer::new(server).on_service(move |_, _| {
        got.extend(drain(&mut client).0);
        Ok(text(&got).matches("hello").count() >= n)
    });
    // Each wait is 1 s: waits with work pending add up to a minute (the
    // last pass may wait once: the client is not on the poll).
    let mut doist = hio::Doist::new(0.0).with_idle_wait(Duration::from_secs(1));
    let stop = doist.interrupter();
    let watchdog = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(8));
        stop.interrupt();
    });
    doist.add(doer);
    let start = Instant::now();
    let done = doist.run().unwrap();
    assert!(
        done.is_complete(),
        "not all {n} answered in {:?}",
        start.elapsed()
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    drop(watchdog);
}
