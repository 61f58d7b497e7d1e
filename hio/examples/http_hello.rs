//! The HTTP benchmark target: answers every request with `hello`
//! (text/plain, Content-Length 5) until SIGTERM or SIGINT.
//!
//! `cargo run --release -p hio --example http_hello -- --port 8080 [--tock 0.0] [--spin 1]`
//!
//! With tock 0 passes run back to back; while no socket is ready the Doist
//! waits in the poll (`with_idle_wait`) instead of spinning, unless
//! `--spin 1` makes it busy-poll as Python HIO's benchmark server does.

use hio::Doist;
use hio::http::{Body, Bytes, HeaderValue, Request, Response, Server, ServerDoer};

fn main() -> hio::Result<()> {
    let mut port = 8080u16;
    let mut tock = 0.0f64;
    let mut idle_wait = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().unwrap_or_default();
        match arg.as_str() {
            "--port" => {
                port = value
                    .parse()
                    .map_err(|_| hio::Error::Invalid(format!("bad port {value:?}")))?
            }
            "--tock" => {
                tock = value
                    .parse()
                    .map_err(|_| hio::Error::Invalid(format!("bad tock {value:?}")))?
            }
            "--spin" => idle_wait = value != "1",
            other => {
                return Err(hio::Error::Invalid(format!(
                    "unknown option {other:?}; use --port P [--tock T] [--spin 1]"
                )));
            }
        }
    }
    let hello = |_req: Request<Bytes>| {
        let mut res = Response::new(Body::from("hello"));
        res.headers_mut()
            .insert("content-type", HeaderValue::from_static("text/plain"));
        res
    };
    let mut server = Server::new(([127, 0, 0, 1], port).into(), hello);
    server.open()?;
    eprintln!("http_hello: listening on {}", server.local_addr().unwrap());
    let mut doist = Doist::new(tock);
    if idle_wait {
        // Sleep in the poll while no socket is ready instead of spinning.
        doist = doist.with_idle_wait(std::time::Duration::from_millis(10));
    }
    doist.handle_signals()?;
    // Tymeouts (idle, head, body, send) in wall seconds: at tock 0 the
    // Doist's tyme never moves, and a slow client would be held for ever.
    doist.add(ServerDoer::new(server).on_wall_clock());
    doist.run()?;
    Ok(())
}
