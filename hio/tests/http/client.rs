//! The HTTP client (hio-io §8.2–§8.4, S16–S19, S23–S25): request bytes,
//! round trips against our own `http::Server`, hand-written replies from a
//! raw socket peer for the cases a correct server never produces, every
//! client defect of Python HIO listed in §15 (each ends cleanly here), and
//! tymeouts on simulated tyme.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hio::http::client::{Client, ClientDoer, ClientError, ClientOpts, Request, Response};
use hio::http::sse::Event;
use hio::http::{Body, Limits, Piece, RemoteAddr, Server, ServerDoer};
use hio::{Doist, Error, Tymist};
use http::header::{ACCEPT, CONTENT_TYPE, EXPECT, LOCATION};
use http::{HeaderValue, StatusCode, Version};

use crate::util::io::any_port;
use crate::util::tools::need;

type Req = http::Request<Bytes>;
type Res = http::Response<Body>;

fn served(handler: impl hio::http::Handler) -> Server {
    let mut s = Server::new(any_port(), handler);
    s.open().unwrap();
    s
}

fn client_for(server: &Server, opts: ClientOpts) -> Client {
    Client::with_opts(server.local_addr().unwrap(), opts)
}

fn with_status(status: u16, body: impl Into<Body>) -> Res {
    let mut r = Res::new(body.into());
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r
}

fn redirect(status: u16, to: &str) -> Res {
    let mut r = with_status(status, "moved");
    r.headers_mut()
        .insert(LOCATION, HeaderValue::from_str(to).unwrap());
    r
}

/// Services the server (if any) and the client, ticking tyme by the
/// tymist's tock each round, until `until` holds; 5 s of real time at most.
fn pump(
    mut server: Option<&mut Server>,
    client: &mut Client,
    tymist: &mut Tymist,
    mut until: impl FnMut(&mut Client) -> bool,
) {
    let start = Instant::now();
    loop {
        if let Some(s) = server.as_deref_mut() {
            s.service().unwrap();
        }
        client.service().unwrap();
        if until(client) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out at tyme {}: {client:?}",
            tymist.tyme()
        );
        tymist.tick();
        std::thread::sleep(Duration::from_micros(100));
    }
}

/// Waits for the next result.
fn next_result(
    server: Option<&mut Server>,
    client: &mut Client,
    tymist: &mut Tymist,
) -> hio::Result<Response> {
    pump(server, client, tymist, |c| !c.responses.is_empty());
    client.respond().unwrap()
}

fn ok(server: Option<&mut Server>, client: &mut Client, tymist: &mut Tymist) -> Response {
    next_result(server, client, tymist).unwrap()
}

fn client_error(result: hio::Result<Response>) -> ClientError {
    match result {
        Err(Error::Http(e)) => e,
        other => panic!("expected an HTTP client error, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// A raw peer: hand-written replies, one script per accepted connection.

/// What a raw connection does after its replies.
#[derive(Clone, Copy)]
enum End {
    /// Close at once.
    Close,
    /// Keep the connection until the client closes it (or 5 s pass).
    Hold,
}

struct Raw {
    addr: SocketAddr,
    /// Every request head (and body) received, in order.
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Raw {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take()
            && !std::thread::panicking()
        {
            t.join().unwrap();
        }
    }
}

/// Reads one request (head plus Content-Length body); None at EOF.
fn read_request(s: &mut TcpStream) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&got[..end]).to_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
                .map_or(0, |v| v.trim().parse::<usize>().unwrap());
            if got.len() >= end + 4 + len {
                return Some(String::from_utf8_lossy(&got).into_owned());
            }
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// A peer that accepts one connection per script entry; on each it reads
/// a request before each reply (an empty reply: read and send nothing),
/// then ends as told.
fn raw_peer(script: Vec<(Vec<&'static [u8]>, End)>) -> Raw {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    let thread = std::thread::spawn(move || {
        for (replies, end) in script {
            let (mut s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            for reply in replies {
                let Some(req) = read_request(&mut s) else {
                    break;
                };
                seen.lock().unwrap().push(req);
                // The client may already have given up (e.g. a huge head).
                let _ = s.write_all(reply);
            }
            if let End::Hold = end {
                let mut buf = [0u8; 1024];
                while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
            }
        }
    });
    Raw {
        addr,
        requests,
        thread: Some(thread),
    }
}

// ---------------------------------------------------------------------------
// Request bytes.

#[test]
fn io_s16_get_request_bytes() {
    let client = Client::new("127.0.0.1:6101".parse().unwrap());
    let req = Request::get("/echo?name=fame")
        .header(ACCEPT, HeaderValue::from_static("application/json"));
    assert_eq!(
        String::from_utf8(client.build(&req).unwrap()).unwrap(),
        "GET /echo?name=fame HTTP/1.1\r\nHost: 127.0.0.1:6101\r\n\
         Accept-Encoding: identity\r\nAccept: application/json\r\n\r\n"
    );
}

#[test]
fn io_s17_post_json_query_merge_and_quoting() {
    let client = Client::resolve("localhost", 8080, ClientOpts::default()).unwrap();
    let req = Request::new(http::Method::POST, "/a b/c?x=1&y=hello world#frag")
        .query("z", "1 2")
        .header("accept", HeaderValue::from_static("application/json"))
        .header("x-custom-hdr", HeaderValue::from_static("v"))
        .json(serde_json::json!({"a": 1, "b": [1, 2]}));
    assert_eq!(
        String::from_utf8(client.build(&req).unwrap()).unwrap(),
        "POST /a%20b/c?z=1+2&x=1&y=hello+world HTTP/1.1\r\nHost: localhost:8080\r\n\
         Accept-Encoding: identity\r\nContent-Length: 17\r\nAccept: application/json\r\n\
         X-Custom-Hdr: v\r\nContent-Type: application/json; charset=utf-8\r\n\r\n\
         {\"a\":1,\"b\":[1,2]}"
    );
}

#[test]
fn io_s18_form_fields_are_encoded_one_by_one() {
    // HIO sends `name=John+Smith&q=a&b=c` (Content-Length 23), which reads
    // back as three fields; each value is escaped here.
    let client = Client::resolve("127.0.0.1:9000", 80, ClientOpts::default()).unwrap();
    let req = Request::put("/f")
        .form("name", "John Smith")
        .form("q", "a&b=c");
    let text = String::from_utf8(client.build(&req).unwrap()).unwrap();
    assert_eq!(
        text,
        "PUT /f HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nAccept-Encoding: identity\r\n\
         Content-Length: 27\r\n\
         Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n\r\n\
         name=John+Smith&q=a%26b%3Dc"
    );
}

#[test]
fn io_s19_host_header_port_optional_table() {
    for (port, optional, host) in [
        (80, false, "127.0.0.1:80"),
        (80, true, "127.0.0.1"),
        (443, true, "127.0.0.1:443"),
        (1234, true, "127.0.0.1:1234"),
        (4321, false, "127.0.0.1:4321"),
    ] {
        let opts = ClientOpts {
            port_optional: optional,
            ..ClientOpts::default()
        };
        let client = Client::with_opts(SocketAddr::from(([127, 0, 0, 1], port)), opts);
        assert_eq!(client.host(), host);
        let bytes = client.build(&Request::get("/")).unwrap();
        assert!(
            String::from_utf8(bytes)
                .unwrap()
                .contains(&format!("\r\nHost: {host}\r\n"))
        );
    }
}

#[test]
fn ipv6_hosts_are_bracketed_and_never_split() {
    // HIO splits a bare "::1" at its last colon and sends `Host: [:]:1`.
    for host in ["::1", "[::1]"] {
        let client = Client::resolve(host, 8080, ClientOpts::default()).unwrap();
        assert_eq!(client.host(), "[::1]:8080");
        assert!(client.addr().is_ipv6() && client.addr().port() == 8080);
    }
    let client = Client::resolve("[::1]:7000", 8080, ClientOpts::default()).unwrap();
    assert_eq!(client.host(), "[::1]:7000");
    let client = Client::new("[::1]:9".parse().unwrap());
    assert_eq!(client.host(), "[::1]:9");
    assert!(Client::resolve("[::1", 80, ClientOpts::default()).is_err());
    assert!(Client::resolve("host:notaport", 80, ClientOpts::default()).is_err());
}

#[test]
fn a_path_naming_another_server_is_refused() {
    let client = Client::new("127.0.0.1:6101".parse().unwrap());
    let same = client
        .build(&Request::get("http://127.0.0.1:6101/x?y=1"))
        .unwrap();
    assert!(same.starts_with(b"GET /x?y=1 HTTP/1.1\r\n"));
    for bad in ["http://example.com:6101/x", "https://127.0.0.1:6101/x"] {
        assert!(matches!(
            client.build(&Request::get(bad)),
            Err(Error::Http(ClientError::Request(_)))
        ));
    }
}

// ---------------------------------------------------------------------------
// Round trips against our server.

fn app(req: Req) -> Res {
    let peer = req.extensions().get::<RemoteAddr>().unwrap().0;
    match req.uri().path() {
        "/echo" => {
            let ctype = req.headers().get(CONTENT_TYPE).cloned();
            let mut r = Res::new(Body::from(req.into_body()));
            if let Some(c) = ctype {
                r.headers_mut().insert(CONTENT_TYPE, c);
            }
            r
        }
        "/peer" => Res::new(Body::from(peer.to_string())),
        "/json" => {
            let mut r = Res::new(Body::from(r#"{"count":1,"items":[1,2]}"#));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        "/stream" => {
            let mut parts = vec![" World!", "", "Hello"];
            Res::new(Body::stream(move || match parts.pop() {
                Some(p) => Piece::Data(Bytes::from_static(p.as_bytes())),
                None => Piece::End,
            }))
        }
        "/old" => {
            let host = req.headers()["host"].to_str().unwrap().to_string();
            redirect(301, &format!("http://{host}/new?z=9"))
        }
        "/rel" => redirect(302, "/target?from=rel"),
        "/dir/rel" => redirect(307, "sibling"),
        "/see" => redirect(303, "/echo"),
        "/loop" => redirect(302, "/loop"),
        "/nowhere" => Res::new(Body::stream(|| Piece::Data(Bytes::new()))),
        path => Res::new(Body::from(format!(
            "{} {path}?{}",
            req.method(),
            req.uri().query().unwrap_or("")
        ))),
    }
}

#[test]
fn keep_alive_two_requests_over_one_connection() {
    let mut server = served(app);
    let mut client = client_for(&server, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 0.01);
    client.wind(&tymist.tymen());
    client.request(Request::get("/peer"));
    client.request(Request::get("/peer"));
    pump(Some(&mut server), &mut client, &mut tymist, |c| {
        c.responses.len() == 2
    });
    let a = client.respond().unwrap().unwrap();
    let b = client.respond().unwrap().unwrap();
    // Both bodies are intact although both were queued (HIO's responses
    // share one live buffer), and both came from the same client port.
    assert_eq!(a.body, b.body);
    assert_eq!(a.version, Version::HTTP_11);
    let local = client.tcp().local_addr().unwrap().to_string();
    assert_eq!(a.body, local.as_bytes());
    assert_eq!(server.tcp().len(), 1);
    assert!(client.connected() && !client.waiting());
}

#[test]
fn bodies_are_copies_not_views_of_a_shared_buffer() {
    let mut server = served(app);
    let mut client = client_for(&server, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 0.01);
    for word in ["one", "two", "three"] {
        client.request(Request::post("/echo").body(word));
    }
    pump(Some(&mut server), &mut client, &mut tymist, |c| {
        c.responses.len() == 3
    });
    let bodies: Vec<Bytes> = client
        .responses
        .drain(..)
        .map(|r| r.unwrap().body)
        .collect();
    assert_eq!(bodies, ["one", "two", "three"]);
}

#[test]
fn chunked_response_is_decoded() {
    let mut server = served(app);
    let mut client = client_for(&server, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/stream"));
    client.request(Request::get("/after"));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.headers["transfer-encoding"], "chunked");
    assert_eq!(r.body, "Hello World!");
    // The terminator was consumed: the next response parses cleanly on the
    // same connection.
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.body, "GET /after?");
    assert_eq!(server.tcp().len(), 1);
}

#[test]
fn head_response_has_no_body_even_with_content_length() {
    let mut server = served(app);
    let mut client = client_for(&server, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::head("/peer"));
    client.request(Request::get("/x"));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert!(r.headers.contains_key("content-length"));
    assert_ne!(r.headers["content-length"], "0");
    assert!(r.body.is_empty());
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.body, "GET /x?");
}

#[test]
fn io_s23_json_bodies_fill_data() {
    let mut server = served(app);
    let mut client = client_for(&server, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/json"));
    client.request(Request::post("/echo").json(serde_json::json!({"a": [1, "x"]})));
    client.request(Request::post("/echo").body("not json"));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(
        r.data,
        Some(serde_json::json!({"count": 1, "items": [1, 2]}))
    );
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(
        r.headers[CONTENT_TYPE], "application/json; charset=utf-8",
        "the request carried its JSON content type"
    );
    assert_eq!(r.data, Some(serde_json::json!({"a": [1, "x"]})));
    assert_eq!(r.request.data, Some(serde_json::json!({"a": [1, "x"]})));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!((r.body.as_ref(), r.data), (&b"not json"[..], None));
}

#[test]
fn dictable_parses_any_body_and_bad_json_is_none() {
    let mut server = served(app);
    let opts = ClientOpts {
        dictable: true,
        ..ClientOpts::default()
    };
    let mut client = client_for(&server, opts);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::post("/echo").body("[1,2]"));
    client.request(Request::post("/echo").body("[1,"));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.data, Some(serde_json::json!([1, 2])));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.data, None);
}

#[test]
fn redirect_absolute_location_keeps_method_and_takes_its_query() {
    let mut server = served(app);
    let addr = server.local_addr().unwrap();
    let mut client = client_for(&server, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get(format!("http://{addr}/old")).query("dropped", "1"));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "GET /new?z=9");
    assert_eq!(r.request.path, "/new?z=9");
    assert_eq!(r.redirects.len(), 1);
    assert_eq!(r.redirects[0].status, 301);
    assert_eq!(r.redirects[0].location, format!("http://{addr}/new?z=9"));
}

#[test]
fn redirect_relative_locations_are_resolved() {
    // HIO raises AttributeError from service() on `Location: /target`.
    let mut server = served(app);
    let mut client = client_for(&server, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/rel"));
    client.request(Request::put("/dir/rel").body("keep"));
    client.request(Request::post("/see").body("dropped"));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.body, "GET /target?from=rel");
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.body, "PUT /dir/sibling?", "307 keeps the method");
    assert_eq!(r.redirects[0].location, "sibling");
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    // 303 turns the POST into a GET without a body.
    assert_eq!(r.request.method, http::Method::GET);
    assert!(r.body.is_empty());
    assert_eq!(server.tcp().len(), 1, "all over the kept-alive connection");
}

#[test]
fn redirect_loop_is_stopped_by_the_limit() {
    let mut server = served(app);
    let opts = ClientOpts {
        max_redirects: 3,
        ..ClientOpts::default()
    };
    let mut client = client_for(&server, opts);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/loop"));
    client.request(Request::get("/fine"));
    let err = client_error(next_result(Some(&mut server), &mut client, &mut tymist));
    assert!(matches!(err, ClientError::Redirects { limit: 3 }), "{err}");
    // The client goes on with the next request.
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.body, "GET /fine?");
}

#[test]
fn redirects_off_returns_the_redirect_itself() {
    let mut server = served(app);
    let opts = ClientOpts {
        redirectable: false,
        ..ClientOpts::default()
    };
    let mut client = client_for(&server, opts);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/rel"));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.status, 302);
    assert_eq!(r.headers[LOCATION], "/target?from=rel");
}

#[test]
fn redirect_to_another_server_then_the_next_request_goes_home() {
    let mut other = served(app);
    let other_addr = other.local_addr().unwrap();
    let mut home = served(move |req: Req| {
        if req.uri().path() == "/away" {
            redirect(302, &format!("http://{other_addr}/there"))
        } else {
            Res::new(Body::from("home"))
        }
    });
    let mut client = client_for(&home, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/away"));
    client.request(Request::get("/back"));
    let start = Instant::now();
    while client.responses.len() < 2 {
        assert!(start.elapsed() < Duration::from_secs(5));
        home.service().unwrap();
        other.service().unwrap();
        client.service().unwrap();
        tymist.tick();
        std::thread::sleep(Duration::from_micros(100));
    }
    let r = client.respond().unwrap().unwrap();
    assert_eq!(r.body, "GET /there?");
    assert_eq!(r.redirects[0].status, 302);
    let r = client.respond().unwrap().unwrap();
    assert_eq!(r.body, "home");
}

#[test]
fn hundred_continue_is_skipped() {
    // HIO's respondent raises RuntimeError on an interim 100.
    let mut server = served(app);
    let mut client = client_for(&server, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(
        Request::post("/echo")
            .header(EXPECT, HeaderValue::from_static("100-continue"))
            .body("payload"),
    );
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(
        (r.status, r.body.as_ref()),
        (StatusCode::OK, &b"payload"[..])
    );
}

#[test]
fn interim_responses_from_a_raw_peer_are_skipped() {
    let raw = raw_peer(vec![(
        vec![b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"],
        End::Hold,
    )]);
    let mut client = Client::new(raw.addr);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/"));
    let r = ok(None, &mut client, &mut tymist);
    assert_eq!((r.status, r.body.as_ref()), (StatusCode::OK, &b"ok"[..]));
    client.close();
}

// ---------------------------------------------------------------------------
// Close-delimited bodies, closes and reconnects.

#[test]
fn close_delimited_http10_responses_and_a_new_connection_each() {
    let raw = raw_peer(vec![
        (
            vec![b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst body"],
            End::Close,
        ),
        (
            vec![b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"n\":2}"],
            End::Close,
        ),
    ]);
    let mut client = Client::new(raw.addr);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/1"));
    client.request(Request::get("/2"));
    let r = ok(None, &mut client, &mut tymist);
    assert_eq!(
        (r.version, r.body.as_ref()),
        (Version::HTTP_10, &b"first body"[..])
    );
    let r = ok(None, &mut client, &mut tymist);
    assert_eq!(r.data, Some(serde_json::json!({"n": 2})));
    // HIO's client stays "connected but cut off" and never sends /2.
    assert_eq!(raw.requests.lock().unwrap().len(), 2);
}

#[test]
fn http10_keep_alive_keeps_the_connection() {
    let raw = raw_peer(vec![(
        vec![
            b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\na",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nb",
        ],
        End::Close,
    )]);
    let mut client = Client::new(raw.addr);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/1"));
    client.request(Request::get("/2"));
    assert_eq!(ok(None, &mut client, &mut tymist).body, "a");
    assert_eq!(ok(None, &mut client, &mut tymist).body, "b");
    assert!(!client.connected(), "Connection: close was honoured");
}

#[test]
fn fixed_length_body_cut_short_by_close_is_an_error() {
    // HIO never ends such a response.
    let raw = raw_peer(vec![
        (
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"],
            End::Close,
        ),
        (
            vec![b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"],
            End::Close,
        ),
        (vec![b"HTTP/1.1 200 OK\r\nContent-"], End::Close),
        (
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"],
            End::Close,
        ),
    ]);
    let mut client = Client::new(raw.addr);
    let mut tymist = Tymist::new(0.0, 0.01);
    for path in ["/a", "/b", "/c", "/d"] {
        client.request(Request::get(path));
    }
    let err = client_error(next_result(None, &mut client, &mut tymist));
    assert!(
        matches!(
            err,
            ClientError::Closed {
                status: Some(StatusCode::OK),
                received: 3
            }
        ),
        "{err}"
    );
    let err = client_error(next_result(None, &mut client, &mut tymist));
    assert!(
        matches!(err, ClientError::Closed { received: 3, .. }),
        "chunked: {err}"
    );
    let err = client_error(next_result(None, &mut client, &mut tymist));
    assert!(
        matches!(err, ClientError::Closed { status: None, .. }),
        "{err}"
    );
    assert_eq!(ok(None, &mut client, &mut tymist).body, "ok");
}

#[test]
fn a_kept_alive_connection_closed_under_a_request_is_retried_once() {
    // The server reads the second request and closes without answering
    // (its idle close racing the request); the client resends it on a new
    // connection.
    let raw = raw_peer(vec![
        (
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1", b""],
            End::Close,
        ),
        (
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2"],
            End::Hold,
        ),
    ]);
    let mut client = Client::new(raw.addr);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/1"));
    client.request(Request::get("/2"));
    assert_eq!(ok(None, &mut client, &mut tymist).body, "1");
    assert_eq!(ok(None, &mut client, &mut tymist).body, "2");
    let requests = raw.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 3);
    assert!(requests[1].starts_with("GET /2 ") && requests[2].starts_with("GET /2 "));
    client.close();
}

#[test]
fn a_post_is_not_resent_after_a_close() {
    let raw = raw_peer(vec![(
        vec![b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1", b""],
        End::Close,
    )]);
    let mut client = Client::new(raw.addr);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/1"));
    client.request(Request::post("/2").body("x"));
    assert_eq!(ok(None, &mut client, &mut tymist).body, "1");
    let err = client_error(next_result(None, &mut client, &mut tymist));
    assert!(
        matches!(err, ClientError::Closed { status: None, .. }),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Malformed responses from a raw peer: clean errors, no panic.

fn malformed(reply: &'static [u8], limits: Limits) -> ClientError {
    let raw = raw_peer(vec![(vec![reply], End::Hold)]);
    let opts = ClientOpts {
        limits,
        ..ClientOpts::default()
    };
    let mut client = Client::with_opts(raw.addr, opts);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/"));
    let err = client_error(next_result(None, &mut client, &mut tymist));
    assert!(!client.connected(), "the broken connection was dropped");
    err
}

#[test]
fn io_s23_garbage_status_line_is_malformed() {
    for reply in [
        &b"XTTP/1.1 200 OK\r\n\r\n"[..],
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/2.0 200 OK\r\n\r\n",
        b"\x00\xff\xfe garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
    ] {
        let err = malformed(reply, Limits::default());
        assert!(matches!(err, ClientError::Malformed(_)), "{err}");
    }
}

#[test]
fn huge_head_is_refused_at_the_limit() {
    static HUGE: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
        let mut v = b"HTTP/1.1 200 OK\r\n".to_vec();
        while v.len() < 200_000 {
            v.extend_from_slice(b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
        }
        v
    });
    let limits = Limits {
        max_headers: 10_000,
        ..Limits::default()
    };
    let err = malformed(&HUGE, limits);
    assert!(
        matches!(&err, ClientError::Malformed(e) if e.reason.contains("too large")),
        "{err}"
    );
}

#[test]
fn bad_chunks_and_oversized_bodies_are_malformed() {
    let err = malformed(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n",
        Limits::default(),
    );
    assert!(matches!(err, ClientError::Malformed(_)), "{err}");
    let err = malformed(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX",
        Limits::default(),
    );
    assert!(matches!(err, ClientError::Malformed(_)), "{err}");
    let small = Limits {
        max_body: 4,
        ..Limits::default()
    };
    let err = malformed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", small);
    assert!(
        matches!(&err, ClientError::Malformed(e) if e.status == 413),
        "{err}"
    );
    let err = malformed(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        small,
    );
    assert!(
        matches!(&err, ClientError::Malformed(e) if e.status == 413),
        "{err}"
    );
    let err = malformed(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
        Limits::default(),
    );
    assert!(matches!(err, ClientError::Malformed(_)), "{err}");
}

#[test]
fn an_endless_event_stream_line_is_refused() {
    static LONG: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
        let mut v = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: ".to_vec();
        v.resize(v.len() + 5000, b'a');
        v
    });
    let limits = Limits {
        max_head: 1024,
        ..Limits::default()
    };
    let err = malformed(&LONG, limits);
    assert!(matches!(err, ClientError::Malformed(_)), "{err}");
}

#[test]
fn unrequested_bytes_drop_an_idle_connection() {
    let raw = raw_peer(vec![
        (
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale"],
            End::Hold,
        ),
        (vec![b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfresh"], End::Hold),
    ]);
    let mut client = Client::new(raw.addr);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/1"));
    assert_eq!(ok(None, &mut client, &mut tymist).body, "1");
    pump(None, &mut client, &mut tymist, |c| !c.connected());
    client.request(Request::get("/2"));
    assert_eq!(ok(None, &mut client, &mut tymist).body, "fresh");
    client.close();
}

// ---------------------------------------------------------------------------
// Tymeouts on tyme.

#[test]
fn a_server_that_never_answers_times_out_on_tyme() {
    let mut server = served(app);
    let opts = ClientOpts {
        tymeout: 1.0,
        ..ClientOpts::default()
    };
    let mut client = client_for(&server, opts);
    let mut tymist = Tymist::new(0.0, 0.125);
    client.wind(&tymist.tymen());
    client.request(Request::get("/nowhere"));
    client.request(Request::get("/after"));
    pump(Some(&mut server), &mut client, &mut tymist, |c| {
        !c.responses.is_empty()
    });
    // Sent at tyme 0.0; expired once tyme reached 1.0, not before.
    assert_eq!(tymist.tyme(), 1.0);
    let err = client_error(client.respond().unwrap());
    assert!(
        matches!(err, ClientError::Tymeout { tymeout } if tymeout == 1.0),
        "{err}"
    );
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.body, "GET /after?");
}

/// A `total`-byte body that trickles out a byte per 0.5 s of tyme,
/// counting the bytes sent in `sent`.
fn trickle(tymth: hio::Tymth, total: usize, sent: Rc<RefCell<usize>>) -> Res {
    let mut r = Res::new(Body::stream(move || {
        let due = (tymth.tyme() / 0.5) as usize + 1;
        let mut n = sent.borrow_mut();
        if *n >= total {
            Piece::End
        } else if *n < due {
            *n += 1;
            Piece::Data(Bytes::from_static(b"x"))
        } else {
            Piece::Data(Bytes::new())
        }
    }));
    r.headers_mut().insert(
        http::header::CONTENT_LENGTH,
        HeaderValue::from_str(&total.to_string()).unwrap(),
    );
    r
}

#[test]
fn tymeout_counts_from_the_latest_bytes() {
    // A body trickling in a byte per 0.5 s of tyme never times out at 1.0.
    let sent = Rc::new(RefCell::new(0));
    let count = sent.clone();
    let mut tymist = Tymist::new(0.0, 0.25);
    let tymth = tymist.tymen();
    let mut server = served(move |_req: Req| trickle(tymth.clone(), 6, count.clone()));
    let opts = ClientOpts {
        tymeout: 1.0,
        ..ClientOpts::default()
    };
    let mut client = client_for(&server, opts);
    client.wind(&tymist.tymen());
    client.request(Request::get("/"));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.body, "xxxxxx");
    assert!(tymist.tyme() >= 2.5, "took {} of tyme", tymist.tyme());
    assert_eq!(*sent.borrow(), 6);
}

#[test]
fn refused_connections_time_out_when_a_tymeout_is_set() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let opts = ClientOpts {
        tymeout: 0.5,
        ..ClientOpts::default()
    };
    let mut client = Client::with_opts(addr, opts);
    let mut tymist = Tymist::new(0.0, 0.125);
    client.wind(&tymist.tymen());
    client.request(Request::get("/"));
    let err = client_error(next_result(None, &mut client, &mut tymist));
    assert!(matches!(err, ClientError::Tymeout { .. }), "{err}");
}

#[test]
fn doist_runs_client_and_server_doers_and_times_out_on_its_clock() {
    let server = served(app);
    let addr = server.local_addr().unwrap();
    let opts = ClientOpts {
        tymeout: 2.0,
        ..ClientOpts::default()
    };
    let client_doer = ClientDoer::new(Client::with_opts(addr, opts));
    let client = client_doer.client();
    client.borrow_mut().request(Request::get("/json"));
    client.borrow_mut().request(Request::get("/nowhere"));
    let mut doist = Doist::new(0.25).with_limit(4.0);
    doist.add(ServerDoer::new(server));
    doist.add(client_doer);
    doist.enter().unwrap();
    let mut failed_at = None;
    while doist.tyme() < 4.0 {
        doist.recur().unwrap();
        if client.borrow().responses.len() == 2 && failed_at.is_none() {
            failed_at = Some(doist.tyme());
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let mut c = client.borrow_mut();
    let first = c.respond().unwrap().unwrap();
    assert_eq!(
        first.data,
        Some(serde_json::json!({"count": 1, "items": [1, 2]}))
    );
    let err = client_error(c.respond().unwrap());
    assert!(matches!(err, ClientError::Tymeout { .. }), "{err}");
    // Sent in a pass at tyme < 1.0, so expired by 3.0 on the Doist's clock.
    let at = failed_at.unwrap();
    assert!((2.0..=3.25).contains(&at), "failed at tyme {at}");
    drop(c);
    doist.exit().unwrap();
    assert!(!client.borrow().connected());
}

// ---------------------------------------------------------------------------
// Server-Sent Events.

/// Every request's Last-Event-ID and the tyme it came.
type Seen = Rc<RefCell<Vec<(Option<String>, f64)>>>;

/// An SSE app: the first request gets events 0–4 and the stream ends (the
/// server closes); a request with `Last-Event-ID: 4` gets 5–6; after that,
/// 204 (the stream is over for good). Records the Last-Event-ID and tyme of
/// every request.
fn sse_app(tymth: hio::Tymth, seen: Seen) -> impl FnMut(Req) -> Res {
    move |req: Req| {
        let leid = req
            .headers()
            .get("last-event-id")
            .map(|v| v.to_str().unwrap().to_string());
        seen.borrow_mut().push((leid.clone(), tymth.tyme()));
        let ids: Vec<u32> = match leid.as_deref() {
            None => (0..5).collect(),
            Some("4") => vec![5, 6],
            Some(_) => return with_status(204, ()),
        };
        let mut first = true;
        let mut queue: Vec<String> = ids
            .iter()
            .rev()
            .map(|i| {
                Event::data(format!("tick {i}"))
                    .id(i.to_string())
                    .to_string()
            })
            .collect();
        let mut r = Res::new(Body::stream(move || {
            if first {
                first = false;
                return Piece::Data(Bytes::from_static(b"retry: 500\n\n"));
            }
            match queue.pop() {
                Some(e) => Piece::Data(Bytes::from(e)),
                None => Piece::End,
            }
        }));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        r.headers_mut()
            .insert("connection", HeaderValue::from_static("close"));
        r
    }
}

#[test]
fn io_s25_sse_events_stream_and_resume_with_last_event_id() {
    let mut tymist = Tymist::new(0.0, 0.0625);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let mut server = served(sse_app(tymist.tymen(), seen.clone()));
    let mut client = client_for(&server, ClientOpts::default());
    client.wind(&tymist.tymen());
    client.request(Request::get("/events"));
    pump(Some(&mut server), &mut client, &mut tymist, |c| {
        !c.responses.is_empty()
    });
    let events: Vec<Event> = client.events.drain(..).collect();
    let data: Vec<&str> = events.iter().map(|e| e.data.as_str()).collect();
    assert_eq!(
        data,
        [
            "tick 0", "tick 1", "tick 2", "tick 3", "tick 4", "tick 5", "tick 6"
        ]
    );
    assert_eq!(events[6].id.as_deref(), Some("6"));
    assert_eq!(events[0].retry, Some(500));
    // The stream's request ends only with the 204.
    let r = client.respond().unwrap().unwrap();
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.request.headers["last-event-id"], "6");
    let seen = seen.borrow();
    let leids: Vec<Option<&str>> = seen.iter().map(|(l, _)| l.as_deref()).collect();
    assert_eq!(leids, [None, Some("4"), Some("6")]);
    // Each reconnect waited the server's `retry: 500` of tyme.
    assert!(seen[1].1 - seen[0].1 >= 0.5, "{seen:?}");
    assert!(seen[2].1 - seen[1].1 >= 0.5, "{seen:?}");
}

#[test]
fn io_s25_http10_close_delimited_stream_resends_with_last_event_id() {
    let raw =
        raw_peer(vec![
        (
            vec![b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n\
                   id: 0\ndata: START\n\n: comment\nid: 1\nevent: tick\ndata: 1\ndata: 2\n\n\
                   id: 2\ndata: x\n\nid: 3\ndata: y\n\nid: 4\ndata: z\n\ndata: nodispatch"],
            End::Close,
        ),
        (vec![b"HTTP/1.1 204 No Content\r\n\r\n"], End::Close),
    ]);
    let mut client = Client::new(raw.addr);
    let mut tymist = Tymist::new(0.0, 0.03125);
    client.wind(&tymist.tymen());
    client.request(
        Request::get("/stream").header(ACCEPT, HeaderValue::from_static("text/event-stream")),
    );
    let r = ok(None, &mut client, &mut tymist);
    assert_eq!(r.status, 204);
    let events: Vec<Event> = client.events.drain(..).collect();
    assert_eq!(events.len(), 5, "{events:?}");
    assert_eq!(events[1].name.as_deref(), Some("tick"));
    assert_eq!(events[1].data, "1\n2");
    let requests = raw.requests.lock().unwrap();
    assert!(!requests[0].contains("Last-Event-Id"));
    assert!(
        requests[1].contains("\r\nLast-Event-Id: 4\r\n"),
        "{}",
        requests[1]
    );
    assert!(requests[1].starts_with("GET /stream HTTP/1.1\r\n"));
}

#[test]
fn sse_without_reconnect_completes_when_the_stream_ends() {
    let mut tymist = Tymist::new(0.0, 0.0625);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let mut server = served(sse_app(tymist.tymen(), seen.clone()));
    let opts = ClientOpts {
        reconnect_events: false,
        ..ClientOpts::default()
    };
    let mut client = client_for(&server, opts);
    client.wind(&tymist.tymen());
    client.request(Request::get("/events"));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(client.events.len(), 5);
    assert_eq!(seen.borrow().len(), 1);
}

#[test]
fn events_appear_while_the_stream_is_open() {
    let feed = hio::http::sse::Feed::new(16);
    let sub = feed.clone();
    let mut server = served(move |_req: Req| {
        let mut r = Res::new(Body::stream(sub.subscribe()));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        r
    });
    let mut client = client_for(&server, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/live"));
    pump(Some(&mut server), &mut client, &mut tymist, |_| {
        feed.subscribers() == 1
    });
    for i in 0..3 {
        feed.send(&Event::data(format!("{{\"n\":{i}}}")).id(i.to_string()));
        pump(Some(&mut server), &mut client, &mut tymist, |c| {
            c.event()
                .is_some_and(|e| e.data == format!("{{\"n\":{i}}}"))
        });
        assert_eq!(client.last_event_id(), Some(i.to_string().as_str()));
    }
    assert!(client.waiting() && client.responses.is_empty());
    client.close();
    let err = client_error(client.respond().unwrap());
    assert!(matches!(err, ClientError::Cancelled));
}

// ---------------------------------------------------------------------------
// Python's http.server as the peer.

#[test]
#[ignore = "needs python3; .ci/run runs it"]
fn python_http_server_round_trip() {
    need("python3");
    let dir = std::env::temp_dir().join(format!("hio-http-client-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.json"), br#"{"hello": "world"}"#).unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
            "--directory",
        ])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    let mut child = child.expect("python3 runs");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let start = Instant::now();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    while TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() <= Duration::from_secs(10) && child.try_wait().unwrap().is_none(),
            "python3 http.server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _kill = Kill(child);
    let mut client = Client::new(addr);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/hello.json"));
    client.request(Request::head("/hello.json"));
    client.request(Request::get("/missing"));
    client.request(Request::get("/hello.json?again=1"));
    let r = ok(None, &mut client, &mut tymist);
    assert_eq!(r.status, 200);
    assert_eq!(r.data, Some(serde_json::json!({"hello": "world"})));
    let r = ok(None, &mut client, &mut tymist);
    assert!(r.body.is_empty() && r.headers["content-length"] == "18");
    let r = ok(None, &mut client, &mut tymist);
    assert_eq!(r.status, 404);
    let r = ok(None, &mut client, &mut tymist);
    assert_eq!(r.body, &br#"{"hello": "world"}"#[..]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn client_headers_go_with_every_request_unless_overridden() {
    let mut headers = http::HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert("x-api-key", HeaderValue::from_static("k"));
    let opts = ClientOpts {
        headers,
        ..ClientOpts::default()
    };
    let client = Client::with_opts("127.0.0.1:80".parse().unwrap(), opts);
    let text = |req| String::from_utf8(client.build(&req).unwrap()).unwrap();
    assert_eq!(
        text(Request::get("/")),
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\nAccept-Encoding: identity\r\n\
         Accept: application/json\r\nX-Api-Key: k\r\n\r\n"
    );
    let own = text(Request::get("/").header(ACCEPT, HeaderValue::from_static("text/plain")));
    assert!(own.contains("\r\nAccept: text/plain\r\n") && !own.contains("json"));
}

#[test]
fn cross_server_redirects_drop_credentials() {
    let auth = Rc::new(RefCell::new(Vec::new()));
    let record = auth.clone();
    let mut other = served(move |req: Req| {
        record
            .borrow_mut()
            .push(req.headers().contains_key("authorization"));
        Res::new(Body::from("other"))
    });
    let other_addr = other.local_addr().unwrap();
    let mut home = served(move |req: Req| match req.uri().path() {
        "/away" => redirect(302, &format!("http://{other_addr}/x")),
        _ => redirect(302, "/away"),
    });
    let mut client = client_for(&home, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(
        Request::get("/start").header("authorization", HeaderValue::from_static("Bearer secret")),
    );
    let start = Instant::now();
    while client.responses.is_empty() {
        assert!(start.elapsed() < Duration::from_secs(5));
        home.service().unwrap();
        other.service().unwrap();
        client.service().unwrap();
        tymist.tick();
        std::thread::sleep(Duration::from_micros(100));
    }
    let r = client.respond().unwrap().unwrap();
    assert_eq!(r.body, "other");
    assert_eq!(r.redirects.len(), 2);
    assert_eq!(*auth.borrow(), [false]);
    assert!(!r.request.headers.contains_key("authorization"));
}

#[test]
fn event_streams_of_other_methods_and_head_are_not_resumed() {
    let mut tymist = Tymist::new(0.0, 0.0625);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let mut server = served(sse_app(tymist.tymen(), seen.clone()));
    let mut client = client_for(&server, ClientOpts::default());
    client.wind(&tymist.tymen());
    client.request(Request::post("/events").body("subscribe"));
    client.request(Request::head("/events"));
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(
        (r.status, r.request.method.as_str()),
        (StatusCode::OK, "POST")
    );
    assert_eq!(client.events.len(), 5);
    let r = ok(Some(&mut server), &mut client, &mut tymist);
    assert_eq!(r.headers[CONTENT_TYPE], "text/event-stream");
    assert!(r.body.is_empty());
    // Each was sent once: a POST is never repeated to resume a stream.
    assert_eq!(seen.borrow().len(), 2);
}

// ---------------------------------------------------------------------------
// Regressions of the security issue: bounded events, streams exempt from
// max_body, bounded interim responses, a total deadline.

/// A peer for one connection: reads the request, runs `reply` on the
/// socket (an error there is the client hanging up), then closes.
fn one_shot_peer(
    reply: impl FnOnce(&mut TcpStream) -> std::io::Result<()> + Send + 'static,
) -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let thread = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        if read_request(&mut s).is_some() {
            let _ = reply(&mut s);
        }
    });
    (addr, thread)
}

/// Reads until the client closes (or 5 s pass).
fn hold(s: &mut TcpStream) -> std::io::Result<()> {
    let mut buf = [0u8; 1024];
    while s.read(&mut buf)? > 0 {}
    Ok(())
}

const SSE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n";

#[test]
fn regression_sse_parser_bounds_the_whole_pending_event() {
    use hio::http::sse::Parser;
    let mut p = Parser::with_max_event(1000);
    assert_eq!(p.feed(b"data: a\n\n").len(), 1);
    // Short lines, each within any line limit, but never a blank line.
    for _ in 0..100 {
        assert!(p.feed(b"data: 0123456789\n").is_empty());
    }
    assert!(p.overflowed());
    assert!(p.held() <= 1000, "{}", p.held());
    // A dead parser ignores the rest, even a blank line.
    assert!(p.feed(b"\n\ndata: b\n\n").is_empty());

    // Exactly at the limit ("data: " and 994 bytes) is dispatched.
    let at = [b"data: ", &[b'x'; 994][..], b"\n\n"].concat();
    let mut p = Parser::with_max_event(1000);
    assert_eq!(p.feed(&at).len(), 1);
    assert!(!p.overflowed());
    let over = [b"data: ", &[b'x'; 995][..], b"\n\n"].concat();
    let mut p = Parser::with_max_event(1000);
    assert!(p.feed(&over).is_empty() && p.overflowed());
    // Comment and unknown lines count while they are read.
    let mut p = Parser::with_max_event(1000);
    assert!(p.feed(&[b':'; 2000]).is_empty() && p.overflowed());
}

#[test]
fn regression_pending_sse_event_is_bounded() {
    // 200 KB of short `data:` lines and never a blank line.
    let (addr, peer) = one_shot_peer(|s| {
        s.write_all(SSE_HEAD)?;
        s.write_all(b"Connection: close\r\n\r\ndata: first\n\n")?;
        let line = [b"data: ", &[b'x'; 100][..], b"\n"].concat();
        for _ in 0..2000 {
            s.write_all(&line)?;
        }
        Ok(())
    });
    let opts = ClientOpts {
        max_event: 16 * 1024,
        reconnect_events: false,
        ..ClientOpts::default()
    };
    let mut client = Client::with_opts(addr, opts);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/events"));
    let err = client_error(next_result(None, &mut client, &mut tymist));
    assert!(matches!(err, ClientError::Event { limit: 16384 }), "{err}");
    assert_eq!(
        err.to_string(),
        "event-stream event larger than 16384 bytes"
    );
    let data: Vec<String> = client.events.drain(..).map(|e| e.data).collect();
    assert_eq!(data, ["first"]);
    assert!(!client.connected());
    peer.join().unwrap();
}

/// `n` small events.
fn small_events(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            Event::data(format!("event {i}"))
                .id(i.to_string())
                .to_string()
        })
        .collect()
}

#[test]
fn regression_event_streams_are_exempt_from_max_body() {
    // About 15 KB of events against a max_body of 64, framed by the close
    // (no Content-Length), by a Content-Length, and by chunks.
    for framing in ["close", "length", "chunked"] {
        let (addr, peer) = one_shot_peer(move |s| {
            let events = small_events(500);
            let body: Vec<u8> = match framing {
                "chunked" => events
                    .iter()
                    .map(|e| format!("{:x}\r\n{e}\r\n", e.len()))
                    .chain(["0\r\n\r\n".to_string()])
                    .collect::<String>()
                    .into_bytes(),
                _ => events.concat().into_bytes(),
            };
            let head = match framing {
                "close" => "Connection: close\r\n\r\n".to_string(),
                "length" => format!("Content-Length: {}\r\n\r\n", body.len()),
                _ => "Transfer-Encoding: chunked\r\n\r\n".to_string(),
            };
            s.write_all(SSE_HEAD)?;
            s.write_all(head.as_bytes())?;
            s.write_all(&body)
        });
        let opts = ClientOpts {
            limits: Limits {
                max_body: 64,
                ..Limits::default()
            },
            reconnect_events: false,
            ..ClientOpts::default()
        };
        let mut client = Client::with_opts(addr, opts);
        let mut tymist = Tymist::new(0.0, 0.01);
        client.request(Request::get("/events"));
        let r = next_result(None, &mut client, &mut tymist)
            .unwrap_or_else(|e| panic!("{framing}: {e}"));
        assert_eq!(r.status, 200, "{framing}");
        assert!(r.body.is_empty(), "{framing}");
        let events: Vec<Event> = client.events.drain(..).collect();
        assert_eq!(events.len(), 500, "{framing}");
        assert_eq!(events[499].data, "event 499", "{framing}");
        assert_eq!(events[499].id.as_deref(), Some("499"), "{framing}");
        peer.join().unwrap();
    }
}

#[test]
fn regression_endless_interim_responses_fail_the_request() {
    let (addr, peer) = one_shot_peer(|s| {
        for _ in 0..1000 {
            s.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        hold(s)
    });
    let mut client = Client::new(addr);
    let mut tymist = Tymist::new(0.0, 0.01);
    client.request(Request::get("/"));
    let err = client_error(next_result(None, &mut client, &mut tymist));
    assert!(matches!(err, ClientError::Interim { limit: 16 }), "{err}");
    assert!(!client.connected());
    peer.join().unwrap();

    // The limit itself is still accepted.
    let (addr, peer) = one_shot_peer(|s| {
        for _ in 0..16 {
            s.write_all(b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n")?;
        }
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")?;
        hold(s)
    });
    let mut client = Client::new(addr);
    client.request(Request::get("/"));
    let r = ok(None, &mut client, &mut tymist);
    assert_eq!(r.body, "ok");
    client.close();
    peer.join().unwrap();
}

#[test]
fn regression_a_request_has_a_total_deadline() {
    // A body trickling in a byte per 0.5 s of tyme never trips the 1 s
    // tymeout, but the whole response must arrive within 3 s.
    let mut tymist = Tymist::new(0.0, 0.25);
    let tymth = tymist.tymen();
    let mut server = served(move |req: Req| {
        if req.uri().path() != "/trickle" {
            return Res::new(Body::from("after"));
        }
        trickle(tymth.clone(), 100, Rc::default())
    });
    let opts = ClientOpts {
        tymeout: 1.0,
        deadline: 3.0,
        ..ClientOpts::default()
    };
    let mut client = client_for(&server, opts);
    client.wind(&tymist.tymen());
    client.request(Request::get("/trickle"));
    client.request(Request::get("/after"));
    let err = client_error(next_result(Some(&mut server), &mut client, &mut tymist));
    assert!(
        matches!(err, ClientError::Deadline { deadline } if deadline == 3.0),
        "{err}"
    );
    // Sent at tyme 0.0; failed when tyme reached 3.0.
    assert_eq!(tymist.tyme(), 3.0);
    assert_eq!(
        ok(Some(&mut server), &mut client, &mut tymist).body,
        "after"
    );
}

#[test]
fn regression_by_default_a_silent_response_ends_at_the_deadline() {
    // The head arrives, the body never does, and no tymeout is set.
    let mut server = served(app);
    let mut client = client_for(&server, ClientOpts::default());
    let mut tymist = Tymist::new(0.0, 10.0);
    client.wind(&tymist.tymen());
    client.request(Request::get("/nowhere"));
    let err = client_error(next_result(Some(&mut server), &mut client, &mut tymist));
    assert!(
        matches!(err, ClientError::Deadline { deadline } if deadline == 300.0),
        "{err}"
    );
    assert_eq!(tymist.tyme(), 300.0);
}

#[test]
fn the_deadline_bounds_an_event_stream_only_until_its_head() {
    let feed = hio::http::sse::Feed::new(16);
    let sub = feed.clone();
    let mut server = served(move |_req: Req| {
        let mut r = Res::new(Body::stream(sub.subscribe()));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        r
    });
    let opts = ClientOpts {
        deadline: 1.0,
        ..ClientOpts::default()
    };
    let mut client = client_for(&server, opts);
    let mut tymist = Tymist::new(0.0, 0.25);
    client.wind(&tymist.tymen());
    client.request(Request::get("/live"));
    pump(Some(&mut server), &mut client, &mut tymist, |_| {
        feed.subscribers() == 1
    });
    for i in 0..12 {
        tymist.tick();
        feed.send(&Event::data(i.to_string()));
        pump(Some(&mut server), &mut client, &mut tymist, |c| {
            c.event().is_some_and(|e| e.data == i.to_string())
        });
    }
    assert!(tymist.tyme() >= 3.0, "tyme {}", tymist.tyme());
    assert!(client.waiting() && client.responses.is_empty());
    assert_eq!(feed.subscribers(), 1, "never reconnected");
    client.close();
}

#[test]
fn heads_arriving_a_byte_at_a_time_are_parsed_once_complete() {
    // Split line ends between reads must not hide a head's end.
    for reply in [
        &b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"[..],
        b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok",
    ] {
        let (addr, peer) = one_shot_peer(move |s| {
            s.set_nodelay(true)?;
            for b in reply {
                s.write_all(&[*b])?;
                std::thread::sleep(Duration::from_millis(1));
            }
            hold(s)
        });
        let mut client = Client::new(addr);
        let mut tymist = Tymist::new(0.0, 0.01);
        client.request(Request::get("/"));
        let r = ok(None, &mut client, &mut tymist);
        assert_eq!((r.status, r.body.as_ref()), (StatusCode::OK, &b"ok"[..]));
        client.close();
        peer.join().unwrap();
    }
}
