//! HTTP helpers: the test app, a server on a free port, raw
//! client sockets, and a bounded exchange of bytes.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hio::http::{Body, HttpError, HttpOpts, Piece, RemoteAddr, Server};
use hio::tcp::ServerOpts;
use http::{HeaderValue, Request, Response, StatusCode};

use super::io::any_port;

/// The test app: `/echo`, `/stream`, `/nocontent` (204), `/teapot` (an
/// `HttpError`), `/panic`, `/peer` (the remote address), and `hello`
/// (`text/plain`) for any other path.
pub fn hello(req: Request<Bytes>) -> Response<Body> {
    match req.uri().path() {
        "/echo" => Response::new(Body::from(req.into_body())),
        "/stream" => {
            let mut parts = vec![" World!", "", "Hello"];
            Response::new(Body::stream(move || match parts.pop() {
                Some(p) => Piece::Data(Bytes::from_static(p.as_bytes())),
                None => Piece::End,
            }))
        }
        "/nocontent" => {
            let mut r = Response::new(Body::Empty);
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        "/teapot" => HttpError::new(404)
            .title("Missing")
            .detail("no teapot")
            .into(),
        "/panic" => panic!("handler bug"),
        "/peer" => {
            let peer = req.extensions().get::<RemoteAddr>().unwrap().0;
            Response::new(Body::from(peer.to_string()))
        }
        _ => {
            let mut r = Response::new(Body::from("hello"));
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/plain"));
            r
        }
    }
}

/// A server running [`hello`], opened on a free port.
pub fn server() -> Server {
    server_with(hello, HttpOpts::default())
}

pub fn server_with(handler: impl hio::http::Handler, opts: HttpOpts) -> Server {
    let mut s = Server::with_opts(any_port(), handler, ServerOpts::default(), opts);
    s.open().unwrap();
    s
}

pub fn connect(server: &Server) -> TcpStream {
    let s = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    s.set_nonblocking(true).unwrap();
    s
}

/// Services the server until `done(received)` or the peer closes; 5 s at most.
pub fn exchange(
    server: &mut Server,
    client: &mut TcpStream,
    send: &[u8],
    mut done: impl FnMut(&[u8]) -> bool,
) -> (Vec<u8>, bool) {
    client.write_all(send).unwrap();
    let mut got = Vec::new();
    let start = Instant::now();
    let mut buf = [0u8; 65536];
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out; got {:?}",
            String::from_utf8_lossy(&got)
        );
        server.service().unwrap();
        match client.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_micros(200))
            }
            Err(_) => return (got, true),
        }
        if done(&got) {
            return (got, false);
        }
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn complete(n: usize) -> impl FnMut(&[u8]) -> bool {
    move |b: &[u8]| text(b).matches("HTTP/1.").count() >= n && text(b).ends_with("hello")
}
