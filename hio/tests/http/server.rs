//! The HTTP server over raw sockets: framing, keep-alive, pipelining,
//! streaming, SSE, HEAD, errors, and every crash path of Python HIO
//! (hio-io §15, S22) answered cleanly while the server keeps serving.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hio::http::sse::{Event, Feed};
use hio::http::{Body, BodyStream, HttpError, HttpOpts, Limits, Piece, Server};
use hio::tcp::ServerOpts;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};

use crate::util::http::{complete, connect, exchange, hello, server, server_with, text};

/// The head of a response, without its Date line (which varies).
fn head_without_date(resp: &str) -> String {
    resp.split("\r\n")
        .filter(|l| !l.starts_with("Date: "))
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
fn keep_alive_serves_requests_in_turn() {
    let mut server = server();
    let mut c = connect(&server);
    let (r, closed) = exchange(
        &mut server,
        &mut c,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        complete(1),
    );
    assert!(!closed);
    let r = text(&r);
    assert_eq!(
        head_without_date(&r),
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nServer: hio/0.1.0\r\n\r\nhello"
    );
    let (r, closed) = exchange(
        &mut server,
        &mut c,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        complete(1),
    );
    assert!(!closed && text(&r).ends_with("hello"));
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let mut server = server();
    let mut c = connect(&server);
    let req = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nonePOST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\ntwoGET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let (r, _) = exchange(&mut server, &mut c, req, complete(3));
    let r = text(&r);
    let one = r.find("\r\n\r\none").unwrap();
    let two = r.find("\r\n\r\ntwo").unwrap();
    assert!(one < two && two < r.rfind("hello").unwrap());
}

#[test]
fn chunked_request_bodies_with_extensions_and_trailers() {
    let mut server = server();
    let mut c = connect(&server);
    let req = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nHello\r\n7\r\n World!\r\n0\r\nX-Trailer: yes\r\n\r\n";
    let (r, _) = exchange(&mut server, &mut c, req, |b| {
        text(b).ends_with("Hello World!")
    });
    assert!(text(&r).contains("Content-Length: 12\r\n"));
}

#[test]
fn streaming_body_is_chunked_with_empty_pieces_skipped() {
    let mut server = server();
    let mut c = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).ends_with("0\r\n\r\n"),
    );
    let r = text(&r);
    assert!(r.contains("Transfer-Encoding: chunked\r\n"));
    assert!(
        r.ends_with("\r\n\r\n5\r\nHello\r\n7\r\n World!\r\n0\r\n\r\n"),
        "{r}"
    );
}

#[test]
fn http10_gets_an_http10_close_delimited_stream() {
    let mut server = server();
    let mut c = connect(&server);
    let (r, closed) = exchange(&mut server, &mut c, b"GET /stream HTTP/1.0\r\n\r\n", |_| {
        false
    });
    assert!(closed);
    let r = text(&r);
    assert!(r.starts_with("HTTP/1.0 200 OK\r\n"), "{r}");
    assert!(!r.contains("Transfer-Encoding") && !r.contains("Content-Length"));
    assert!(r.contains("Connection: close\r\n"));
    assert!(r.ends_with("\r\n\r\nHello World!"));
}

#[test]
fn http10_keep_alive_is_honoured() {
    let mut server = server();
    let mut c = connect(&server);
    let (r, closed) = exchange(
        &mut server,
        &mut c,
        b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        complete(1),
    );
    assert!(!closed);
    assert!(text(&r).contains("Connection: keep-alive\r\n"));
    let (r, _) = exchange(&mut server, &mut c, b"GET / HTTP/1.0\r\n\r\n", |_| false);
    assert!(text(&r).contains("Connection: close\r\n"));
}

#[test]
fn head_gets_the_head_only() {
    let mut server = server();
    let mut c = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        complete(2),
    );
    let r = text(&r);
    let first = &r[..r.find("HTTP/1.1 200 OK\r\n").unwrap() + 1];
    assert!(!first.contains("hello"));
    assert_eq!(r.matches("Content-Length: 5").count(), 2);
    assert_eq!(
        r.matches("hello").count(),
        1,
        "only the GET has a body: {r}"
    );
}

#[test]
fn http_errors_render_as_text_or_json() {
    let mut server = server();
    let mut c = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"GET /teapot HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).ends_with("no teapot\n"),
    );
    let r = text(&r);
    assert!(r.starts_with("HTTP/1.1 404 Not Found\r\n"));
    assert!(r.ends_with("\r\n\r\n404 Not Found\nMissing\nno teapot\n"));
}

#[test]
fn a_panicking_handler_gets_500_and_the_server_goes_on() {
    let mut server = server();
    let mut c = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"GET /panic HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).contains("\r\n\r\n500"),
    );
    assert!(text(&r).starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        complete(1),
    );
    assert!(text(&r).ends_with("hello"));
}

#[test]
fn the_peer_address_reaches_the_handler() {
    let mut server = server();
    let mut c = connect(&server);
    let me = c.local_addr().unwrap().to_string();
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"GET /peer HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).ends_with(&me),
    );
    assert!(text(&r).ends_with(&me));
}

#[test]
fn expect_100_continue_gets_an_interim_response() {
    let mut server = server();
    let mut c = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n",
        |b| text(b).contains("100 Continue"),
    );
    assert_eq!(text(&r), "HTTP/1.1 100 Continue\r\n\r\n");
    let (r, _) = exchange(&mut server, &mut c, b"body", |b| text(b).ends_with("body"));
    assert!(text(&r).starts_with("HTTP/1.1 200 OK"));
}

/// Each malformed request gets its status and a closed connection; the
/// server keeps serving another client afterwards.
#[test]
fn malformed_requests_get_an_answer_and_the_server_keeps_serving() {
    let opts = HttpOpts {
        limits: Limits {
            max_head: 1024,
            max_headers: 10,
            max_body: 100,
        },
        ..HttpOpts::default()
    };
    let mut server = server_with(hello, opts);
    let many_headers: String = (0..20).map(|i| format!("X-{i}: v\r\n")).collect();
    let long_header = format!("X-Long: {}\r\n", "a".repeat(2000));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"GET / HTTP/2.0\r\n\r\n".to_vec(), "505"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".to_vec(),
            "400",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n".to_vec(),
            "400",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n".to_vec(),
            "413",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n".to_vec(),
            "501",
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(),
            "400",
        ),
        (
            format!("GET / HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n").into_bytes(),
            "431",
        ),
        (
            format!("GET / HTTP/1.1\r\nHost: x\r\n{long_header}\r\n").into_bytes(),
            "431",
        ),
        (b"\x00\x01\x02 garbage\r\n\r\n".to_vec(), "400"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Name: x\r\n\r\n".to_vec(),
            "400",
        ),
    ];
    for (req, status) in cases {
        let mut c = connect(&server);
        let (r, closed) = exchange(&mut server, &mut c, &req, |_| false);
        assert!(closed, "{status}: connection should close");
        assert!(
            text(&r).starts_with(&format!("HTTP/1.1 {status} ")),
            "expected {status}, got {:?}",
            text(&r)
        );
        let mut ok = connect(&server);
        let (r, _) = exchange(
            &mut server,
            &mut ok,
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            complete(1),
        );
        assert!(text(&r).ends_with("hello"));
    }
}

/// Python HIO raises out of `service()` on a header with no space after
/// the colon; HTTP allows it.
#[test]
fn a_header_without_a_space_is_fine() {
    let mut server = server();
    let mut c = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length:3\r\n\r\nabc",
        |b| text(b).ends_with("abc"),
    );
    assert!(text(&r).starts_with("HTTP/1.1 200"));
}

#[test]
fn a_request_cut_short_by_close_is_dropped_quietly() {
    let mut server = server();
    let mut c = connect(&server);
    c.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial")
        .unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    let (r, closed) = exchange(&mut server, &mut c, b"", |_| false);
    assert!(closed && r.is_empty());
    let mut ok = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut ok,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        complete(1),
    );
    assert!(text(&r).ends_with("hello"));
}

#[test]
fn slow_request_heads_get_408() {
    let mut tymist = hio::Tymist::new(0.0, 1.0);
    let mut server = Server::with_opts(
        "127.0.0.1:0".parse().unwrap(),
        hello,
        ServerOpts {
            // No idle tymeout: the client trickles bytes, so only the head
            // tymeout can stop it.
            tymeout: 0.0,
            ..ServerOpts::default()
        },
        HttpOpts {
            head_tymeout: 5.0,
            ..HttpOpts::default()
        },
    );
    server.open().unwrap();
    server.wind(&tymist.tymen());
    let mut c = connect(&server);
    let mut buf = [0u8; 1024];
    // One byte per tyme second: the head never completes.
    for (i, b) in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: abc"
        .iter()
        .enumerate()
        .take(5)
    {
        c.write_all(&[*b]).unwrap();
        for _ in 0..20 {
            server.service().unwrap();
            std::thread::sleep(Duration::from_micros(100));
        }
        assert!(c.read(&mut buf).is_err(), "answered early, at tyme {i}");
        tymist.tick();
    }
    // Tyme 5, five seconds after the first byte: 408, then close.
    let (r, closed) = exchange(&mut server, &mut c, b"", |_| false);
    assert!(closed);
    assert!(
        text(&r).starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{}",
        text(&r)
    );
}

/// A body whose status and headers are settled late (HIO's `_status` /
/// `_headers`), after waiting two passes for "backend" work.
struct Late {
    waits: u32,
    done: bool,
}

impl BodyStream for Late {
    fn next_piece(&mut self) -> Piece {
        if self.waits > 0 {
            self.waits -= 1;
            return Piece::Data(Bytes::new());
        }
        if self.done {
            return Piece::End;
        }
        self.done = true;
        Piece::Data(Bytes::from_static(b"{\"approved\": true}"))
    }
    fn head(&mut self) -> Option<(Option<StatusCode>, HeaderMap)> {
        let mut h = HeaderMap::new();
        h.insert("location", HeaderValue::from_static("/example/stuff"));
        h.insert("content-type", HeaderValue::from_static("application/json"));
        Some((Some(StatusCode::CREATED), h))
    }
}

#[test]
fn late_status_and_headers_from_the_body() {
    let mut server = server_with(
        |_req: Request<Bytes>| {
            Response::new(Body::stream(Late {
                waits: 2,
                done: false,
            }))
        },
        HttpOpts::default(),
    );
    let mut c = connect(&server);
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).ends_with("0\r\n\r\n"),
    );
    let r = text(&r);
    assert!(r.starts_with("HTTP/1.1 201 Created\r\n"), "{r}");
    assert!(r.contains("Location: /example/stuff\r\n"));
    assert!(r.contains("{\"approved\": true}"));
}

/// keria PR #435: one doer feeds many SSE responses.
#[test]
fn one_feed_drives_many_sse_responses() {
    let feed = Feed::new(64);
    let f = feed.clone();
    let mut server = server_with(
        move |_req: Request<Bytes>| {
            let mut r = Response::new(Body::stream(f.subscribe().with_prelude("retry: 1000\n\n")));
            r.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("text/event-stream"),
            );
            r
        },
        HttpOpts::default(),
    );
    let mut clients: Vec<TcpStream> = (0..5).map(|_| connect(&server)).collect();
    let mut got: Vec<Vec<u8>> = vec![Vec::new(); clients.len()];
    for c in clients.iter_mut() {
        c.write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
    }
    let start = Instant::now();
    while feed.subscribers() < clients.len() {
        assert!(start.elapsed() < Duration::from_secs(5));
        server.service().unwrap();
    }
    for i in 0..3 {
        feed.send(&Event::data(format!("tick {i}")).id(i.to_string()));
    }
    feed.close();
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while got.iter().any(|g| !text(g).ends_with("0\r\n\r\n")) {
        assert!(start.elapsed() < Duration::from_secs(5));
        server.service().unwrap();
        for (c, g) in clients.iter_mut().zip(got.iter_mut()) {
            if let Ok(n) = c.read(&mut buf) {
                g.extend_from_slice(&buf[..n]);
            }
        }
    }
    for g in &got {
        let g = text(g);
        assert!(g.contains("Content-Type: text/event-stream\r\n"));
        assert!(g.contains("retry: 1000\n\n"));
        for i in 0..3 {
            assert!(g.contains(&format!("id: {i}\ndata: tick {i}\n\n")), "{g}");
        }
    }
}

/// ioflo/hio PR #36: a 50 MB upload is received whole within the body
/// limit, and refused with 413 beyond it.
#[test]
fn large_uploads_within_and_beyond_the_limit() {
    let big = HttpOpts {
        limits: Limits {
            max_body: 64 << 20,
            ..Limits::default()
        },
        ..HttpOpts::default()
    };
    let mut server = server_with(
        |req: Request<Bytes>| Response::new(Body::from(req.body().len().to_string())),
        big,
    );
    let body = vec![b'x'; 50_000_000];
    let mut c = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    c.set_nonblocking(true).unwrap();
    let mut req = format!(
        "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let mut sent = 0;
    let mut got = Vec::new();
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    while !text(&got).ends_with("50000000") {
        assert!(start.elapsed() < Duration::from_secs(30));
        if sent < req.len()
            && let Ok(n) = c.write(&req[sent..])
        {
            sent += n;
        }
        server.service().unwrap();
        if let Ok(n) = c.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
    }
    let mut small = server_with(hello, HttpOpts::default());
    let mut c = connect(&small);
    let (r, closed) = exchange(
        &mut small,
        &mut c,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n",
        |_| false,
    );
    assert!(closed && text(&r).starts_with("HTTP/1.1 413 "));
}

/// S20: response framing, byte-exact but for the Date value (and our own
/// Server name).
#[test]
fn io_s20_server_response_framing() {
    let app = |req: Request<Bytes>| -> Response<Body> {
        let mut r = match req.uri().path() {
            "/fixed" => {
                let mut r = Response::new(Body::from("Hello World!"));
                r.headers_mut()
                    .insert("content-length", HeaderValue::from(12));
                r
            }
            _ => {
                let mut parts = vec![" World!", "", "Hello"];
                Response::new(Body::stream(move || match parts.pop() {
                    Some(p) => Piece::Data(Bytes::from_static(p.as_bytes())),
                    None => Piece::End,
                }))
            }
        };
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static("text/plain"));
        r
    };
    let mut server = server_with(app, HttpOpts::default());
    let mut c = connect(&server);
    let (r, closed) = exchange(
        &mut server,
        &mut c,
        b"GET /fixed HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).ends_with("Hello World!"),
    );
    assert!(!closed);
    assert_eq!(
        head_without_date(&text(&r)),
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nServer: hio/0.1.0\r\n\r\nHello World!"
    );
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).ends_with("0\r\n\r\n"),
    );
    assert_eq!(
        head_without_date(&text(&r)),
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nServer: hio/0.1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n7\r\n World!\r\n0\r\n\r\n"
    );
    let mut c10 = connect(&server);
    let (r, closed) = exchange(
        &mut server,
        &mut c10,
        b"GET /stream HTTP/1.0\r\n\r\n",
        |_| false,
    );
    assert!(closed);
    assert!(text(&r).ends_with("\r\n\r\nHello World!"));
    let mut cc = connect(&server);
    let (_, closed) = exchange(
        &mut server,
        &mut cc,
        b"GET /fixed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        |_| false,
    );
    assert!(closed);
}

/// S21: what the handler sees of a request.
#[test]
fn io_s21_request_details() {
    let seen: Rc<RefCell<Vec<String>>> = Rc::default();
    let log = seen.clone();
    let app = move |req: Request<Bytes>| -> Response<Body> {
        let dup: Vec<_> = req
            .headers()
            .get_all("x-dup")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        log.borrow_mut().push(format!(
            "{} path={} query={} len={} dup={dup:?} body={}",
            req.method(),
            req.uri().path(),
            req.uri().query().unwrap_or(""),
            req.body().len(),
            String::from_utf8_lossy(req.body())
        ));
        Response::new(Body::from("ok"))
    };
    let mut server = server_with(app, HttpOpts::default());
    let mut c = connect(&server);
    let reqs: [&[u8]; 3] = [
        b"POST /env?a=1&b=%20x HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\nhello",
        b"GET /a%20b/c%2Fd?q=%2F+x HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET http://h:80/a%20b?x=1#frag HTTP/1.1\r\nHost: x\r\n\r\n",
    ];
    for req in reqs {
        exchange(&mut server, &mut c, req, |b| text(b).ends_with("ok"));
    }
    // A chunked body with a trailer, split over three packets.
    c.write_all(b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
        .unwrap();
    server.service().unwrap();
    c.write_all(b"lo\r\n6\r\n wor").unwrap();
    server.service().unwrap();
    exchange(
        &mut server,
        &mut c,
        b"ld\r\n0\r\nX-Trailer: t\r\n\r\n",
        |b| text(b).ends_with("ok"),
    );
    assert_eq!(
        *seen.borrow(),
        [
            "POST path=/env query=a=1&b=%20x len=5 dup=[\"1\", \"2\"] body=hello",
            "GET path=/a%20b/c%2Fd query=q=%2F+x len=0 dup=[] body=",
            "GET path=/a%20b query=x=1 len=0 dup=[] body=",
            "POST path=/chunked query= len=11 dup=[] body=hello world",
        ]
    );
}

/// S22: an `HttpError` from the body before anything was sent becomes the
/// response, byte for byte (but for Date and Server), and the connection
/// stays open.
#[test]
fn io_s22_http_error_from_the_body() {
    let app = |_req: Request<Bytes>| -> Response<Body> {
        let mut waited = false;
        Response::new(Body::stream(move || {
            if !waited {
                waited = true;
                return Piece::Data(Bytes::new());
            }
            Piece::Fail(HttpError::new(400).title("Bad").detail("Very bad"))
        }))
    };
    let mut server = server_with(app, HttpOpts::default());
    let mut c = connect(&server);
    let (r, closed) = exchange(
        &mut server,
        &mut c,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).ends_with("Very bad\n"),
    );
    assert!(!closed);
    assert_eq!(
        head_without_date(&text(&r)),
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 29\r\nServer: hio/0.1.0\r\n\r\n400 Bad Request\nBad\nVery bad\n"
    );
    let (r, _) = exchange(
        &mut server,
        &mut c,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        |b| text(b).ends_with("Very bad\n"),
    );
    assert!(text(&r).starts_with("HTTP/1.1 400"));
}

/// S26: HTTPError rendering, byte for byte.
#[test]
fn io_s26_http_error_rendering() {
    assert_eq!(
        HttpError::new(404).title("T").detail("D").render_text(),
        "404 Not Found\nT\nD\n"
    );
    assert_eq!(
        HttpError::new(400)
            .title("T")
            .detail("D")
            .fault(7)
            .render_json(),
        "{\n  \"status\": 400,\n  \"reason\": \"Bad Request\",\n  \"title\": \"T\",\n  \"detail\": \"D\",\n  \"fault\": 7\n}"
    );
}

/// S24: SSE parsing.
#[test]
fn io_s24_sse_parsing() {
    let mut p = hio::http::sse::Parser::default();
    let events = p.feed(b"retry: 1000\n\nid: 0\ndata: START\n\n: comment\nevent: tick\ndata: 1\ndata: 2\n\ndata: nodispatch");
    assert_eq!(events.len(), 2);
    assert_eq!(
        (
            events[0].id.as_deref(),
            events[0].name.as_deref(),
            events[0].data.as_str()
        ),
        (Some("0"), None, "START")
    );
    assert_eq!(
        (
            events[1].id.as_deref(),
            events[1].name.as_deref(),
            events[1].data.as_str()
        ),
        (Some("0"), Some("tick"), "1\n2")
    );
    assert_eq!(p.retry(), Some(1000));
    assert_eq!(p.last_id(), Some("0"));
    assert_eq!(p.pending(), "data: nodispatch".len());
}
