//! A small network service in one Doist: a TCP line server that answers
//! each message upper-cased, in the pass it arrives; an HTTP server that
//! counts hits and streams them as Server-Sent Events; and a coroutine
//! that publishes the count once a second.
//!
//! `cargo run -p hio --example service` listens on 127.0.0.1:7000 (TCP)
//! and 127.0.0.1:8080 (HTTP) until Ctrl-C. Try `nc 127.0.0.1 7000` and
//! `curl -N 127.0.0.1:8080/events`.

use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;

use hio::http::sse::{Event, Feed};
use hio::http::{Body, Bytes, Request, Response, Server as Web, ServerDoer as WebDoer};
use hio::tcp::{Server, ServerDoer};
use hio::{Doist, forever};

/// The service on `tcp` and `web` (port 0: any free port), added to
/// `doist`. Returns the addresses bound.
fn service(
    doist: &mut Doist,
    tcp: SocketAddr,
    web: SocketAddr,
) -> hio::Result<(SocketAddr, SocketAddr)> {
    let (hits, feed) = (Rc::new(Cell::new(0u64)), Feed::new(64));

    let mut lines = Server::new(tcp);
    lines.open()?;
    let tcp = lines.local_addr().unwrap_or(tcp);
    // Runs between receiving and sending: each reply leaves in the pass
    // its message came in.
    doist.add(ServerDoer::new(lines).on_service(|srv, _cx| {
        for r in srv.received_mut() {
            let up = r.take_rxbs().to_ascii_uppercase();
            r.tx(&up);
        }
        Ok(false)
    }));

    let (h, f) = (hits.clone(), feed.clone());
    let mut site = Web::new(web, move |req: Request<Bytes>| {
        h.set(h.get() + 1);
        match req.uri().path() {
            "/events" => Response::new(Body::stream(f.subscribe())),
            _ => Response::new(Body::from(format!("hits {}\n", h.get()))),
        }
    });
    site.open()?;
    let web = site.local_addr().unwrap_or(web);
    doist.add(WebDoer::new(site));

    doist.add(forever(move |co| {
        let (feed, hits) = (feed.clone(), hits.clone());
        async move {
            loop {
                let tyme = co.yield_tock(1.0).await?;
                feed.send(&Event::data(format!("{tyme}: {} hits", hits.get())));
            }
        }
    }));
    Ok((tcp, web))
}

fn main() -> hio::Result<()> {
    let mut doist = Doist::new(0.01).with_real(true);
    doist.handle_signals()?;
    let (tcp, web) = service(
        &mut doist,
        "127.0.0.1:7000".parse().unwrap(),
        "127.0.0.1:8080".parse().unwrap(),
    )?;
    eprintln!("service: tcp {tcp}, http://{web}/ (Ctrl-C to stop)");
    doist.run().map(drop)
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    use super::*;

    /// Steps `doist` until `done` reads what it waits for (5 s at most).
    fn until(doist: &mut Doist, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while !done() {
            assert!(start.elapsed() < Duration::from_secs(5), "timed out");
            doist.recur().unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn read_into(s: &mut TcpStream, got: &mut Vec<u8>) {
        let mut buf = [0u8; 4096];
        if let Ok(n) = s.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
    }

    #[test]
    fn the_service_answers_tcp_http_and_events() {
        let any = "127.0.0.1:0".parse().unwrap();
        let mut doist = Doist::new(0.25);
        let (tcp, web) = service(&mut doist, any, any).unwrap();
        doist.enter().unwrap();

        let mut line = TcpStream::connect(tcp).unwrap();
        line.set_nonblocking(true).unwrap();
        line.write_all(b"hello\n").unwrap();
        let mut got = Vec::new();
        until(&mut doist, || {
            read_into(&mut line, &mut got);
            got == b"HELLO\n"
        });

        let mut events = TcpStream::connect(web).unwrap();
        events.set_nonblocking(true).unwrap();
        events
            .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut page = TcpStream::connect(web).unwrap();
        page.set_nonblocking(true).unwrap();
        page.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let (mut stream, mut body) = (Vec::new(), Vec::new());
        until(&mut doist, || {
            read_into(&mut events, &mut stream);
            read_into(&mut page, &mut body);
            // Two hits (the page and the event stream), in either order.
            String::from_utf8_lossy(&body).contains("\r\n\r\nhits ")
                && String::from_utf8_lossy(&stream).contains(" 2 hits")
        });
        doist.exit().unwrap();
    }
}
