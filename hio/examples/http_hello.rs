//! The HTTP benchmark target: answers every request with `hello`
//! (text/plain, Content-Length 5) until SIGTERM or SIGINT.
//!
//! `cargo run --release -p hio --example http_hello -- --port 8080 [--tock 0.0]`
//!
//! With tock 0 the Doist busy-polls (one core at 100 %), as Python HIO's
//! benchmark server does.

use bytes::Bytes;
use hio::Doist;
use hio::http::{Body, Server, ServerDoer};
use http::{HeaderValue, Request, Response};

fn main() -> hio::Result<()> {
    let mut port = 8080u16;
    let mut tock = 0.0f64;
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
            other => {
                return Err(hio::Error::Invalid(format!(
                    "unknown option {other:?}; use --port P [--tock T]"
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
    doist.handle_signals()?;
    doist.add(ServerDoer::new(server));
    doist.run()?;
    Ok(())
}
