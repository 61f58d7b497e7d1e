//! HTTP server cost per request, without the network's noise: one loopback
//! connection, 100 pipelined GETs per iteration, answered by `service()`.
//! `cargo bench -p hio --bench http`

use std::io::{Read, Write};
use std::net::TcpStream;

use divan::Bencher;
use divan::counter::ItemsCount;
use hio::http::{Body, Bytes, HeaderValue, Request, Response, Server};

fn main() {
    divan::main();
}

const BATCH: usize = 100;

fn hello(_req: Request<Bytes>) -> Response<Body> {
    let mut res = Response::new(Body::from("hello"));
    res.headers_mut()
        .insert("content-type", HeaderValue::from_static("text/plain"));
    res
}

#[divan::bench]
fn pipelined_get(bencher: Bencher) {
    let mut server = Server::new("127.0.0.1:0".parse().unwrap(), hello);
    server.open().unwrap();
    let mut client = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    client.set_nonblocking(true).unwrap();
    let request = b"GET / HTTP/1.1\r\nHost: bench\r\nUser-Agent: divan\r\nAccept: */*\r\n\r\n";
    let batch: Vec<u8> = request.repeat(BATCH);
    let mut buf = vec![0u8; 1 << 20];
    bencher.counter(ItemsCount::new(BATCH)).bench_local(|| {
        client.write_all(&batch).unwrap();
        let mut answered = 0;
        while answered < BATCH {
            server.service().unwrap();
            if let Ok(n) = client.read(&mut buf) {
                answered += buf[..n].windows(5).filter(|w| w == b"hello").count();
            }
        }
    });
}
