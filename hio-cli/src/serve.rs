//! `hio serve`: static files plus an `/events` SSE stream that ticks once a
//! second.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use bytes::Bytes;
use hio::http::sse::{Event, Feed};
use hio::http::{Body, Handler, HttpOpts, Server, ServerDoer, StaticFiles};
use hio::tcp::ServerOpts;
use hio::{Cx, Doer, Doist, Done, Result};
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response};

/// `hio serve`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// Port to listen on.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Directory to serve.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Doist tock in seconds (passes are paced to it).
    #[arg(long, default_value_t = 0.005)]
    tock: f64,
    /// Stop after this many wall seconds; default: run until Ctrl-C.
    #[arg(long)]
    duration: Option<f64>,
    /// On SIGTERM/Ctrl-C, wall seconds to let responses in progress finish.
    #[arg(long, default_value_t = 10.0)]
    drain: f64,
}

/// Runs `hio serve`, printing its URL on stdout.
pub fn main(args: Args) -> ExitCode {
    crate::exit("serve", serve(args, &mut std::io::stdout()))
}

/// Sends one event a second on a [`Feed`]: the `hio serve` ticker.
struct Ticker {
    feed: Feed,
    n: u64,
}

impl Doer for Ticker {
    fn tock(&self) -> f64 {
        1.0
    }
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool> {
        self.n += 1;
        let event =
            Event::data(format!("tick {} at tyme {:.3}", self.n, cx.tyme())).id(self.n.to_string());
        self.feed.send(&event);
        Ok(false)
    }
    fn exit(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.feed.close();
        Ok(())
    }
}

/// Runs a static file server with an `/events` SSE stream until
/// SIGINT/SIGTERM or `duration`; prints the URL on `out` first.
fn serve(cfg: Args, out: &mut dyn Write) -> Result<Done> {
    let addr = SocketAddr::new(cfg.host, cfg.port);
    let mut files = StaticFiles::new(&cfg.root)?;
    let feed = Feed::new(256);
    let events = feed.clone();
    let handler = move |req: Request<Bytes>| {
        if req.uri().path() == "/events" {
            let mut res = Response::new(Body::stream(
                events.subscribe().with_prelude("retry: 1000\n\n"),
            ));
            res.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            res.headers_mut()
                .insert("cache-control", HeaderValue::from_static("no-cache"));
            return res;
        }
        files.handle(req)
    };
    let mut server = Server::with_opts(
        addr,
        handler,
        ServerOpts::default(),
        HttpOpts {
            drain: cfg.drain,
            ..HttpOpts::default()
        },
    );
    server.open()?;
    let bound = server.local_addr().unwrap_or(addr);
    writeln!(
        out,
        "hio serve: http://{bound}/ serving {} (events at /events; Ctrl-C to stop)",
        cfg.root.display()
    )?;
    out.flush()?;
    let mut doist = Doist::new(cfg.tock).with_real(true);
    doist.handle_signals()?;
    if let Some(secs) = cfg.duration {
        crate::stop_after(doist.interrupter(), secs);
    }
    doist.add(ServerDoer::new(server));
    doist.add(Ticker { feed, n: 0 });
    let done = doist.run()?;
    writeln!(out, "hio serve: stopped")?;
    Ok(done)
}
