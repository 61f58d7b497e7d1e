//! A TCP echo server on a Doist. `ServerDoer::echo` opens the server when the
//! Doist enters it; then every pass accepts connections and sends back what
//! they sent. Idle connections are closed after the server's tymeout.
//!
//! `cargo run -p hio --example echo_server -- 7000`, then `nc 127.0.0.1 7000`
//! in another terminal. Ctrl-C stops it.

use std::net::SocketAddr;

use hio::tcp::{Server, ServerDoer};
use hio::{Doist, Error, Result};

fn main() -> Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| Error::Invalid(format!("bad port {arg:?}; use echo_server [PORT]")))?,
        None => 7000,
    };
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    // Paced to the wall clock at 10 ms a pass, so it idles cheaply; tyme is
    // then wall seconds, and so is the server's idle tymeout.
    let mut doist = Doist::new(0.01).with_real(true);
    doist.handle_signals()?;
    doist.add(ServerDoer::echo(Server::new(addr)));
    println!("echoing on {addr} (Ctrl-C to stop)");
    let done = doist.run()?;
    println!("stopped: {done:?}");
    Ok(())
}
