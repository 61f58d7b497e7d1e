//! `hio echo`: a TCP echo server on a Doist, and a line client.

use std::cell::RefCell;
use std::io::{BufRead, Write};
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hio::tcp::{Client, ClientDoer, Server, ServerDoer, ServerOpts};
use hio::{Cx, Doer, DoerId, Doist, Done, Error, Result};

/// `hio echo`'s flags.
#[derive(clap::Args)]
pub struct Args {
    /// Port to listen on (server mode).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on (server mode).
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Connect to HOST:PORT and echo stdin lines through it (client mode).
    #[arg(long, value_name = "HOST:PORT")]
    connect: Option<String>,
    /// Doist tock in seconds (server); 0 busy-polls.
    #[arg(long, default_value_t = 0.0)]
    tock: f64,
    /// Pace passes to the wall clock (server).
    #[arg(long)]
    real: bool,
    /// Stop after this many wall seconds (server); default: run until Ctrl-C.
    #[arg(long)]
    duration: Option<f64>,
    /// Close connections idle for this many wall seconds (server), whatever the tock; 0: never.
    #[arg(long, default_value_t = 0.0)]
    idle: f64,
    /// Listen backlog (server).
    #[arg(long, default_value_t = 1024)]
    backlog: u32,
    /// Give up after this many seconds without an answer (client).
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
}

/// Runs `hio echo`: the client with `--connect`, else the server.
pub fn main(args: Args) -> ExitCode {
    let result = match args.connect {
        Some(target) => match crate::resolve(&target) {
            Some(addr) => client(
                addr,
                std::io::BufReader::new(std::io::stdin()),
                std::io::stdout(),
                args.timeout,
            ),
            None => {
                eprintln!("hio echo: cannot resolve {target:?} (expected HOST:PORT)");
                return ExitCode::from(2);
            }
        },
        None => {
            let cfg = EchoServe {
                addr: SocketAddr::new(args.host, args.port),
                tock: args.tock,
                real: args.real,
                duration: args.duration,
                opts: ServerOpts {
                    tymeout: args.idle,
                    backlog: args.backlog,
                    ..ServerOpts::default()
                },
            };
            serve(cfg, &mut std::io::stdout())
        }
    };
    crate::exit("echo", result)
}

/// How to run the echo server.
#[derive(Clone, Debug)]
struct EchoServe {
    /// Address to listen on.
    addr: SocketAddr,
    /// Doist tock; 0 busy-polls (fastest, one core at 100 %).
    tock: f64,
    /// Pace passes to the wall clock.
    real: bool,
    /// Stop after this many wall seconds (`None`: until a signal).
    duration: Option<f64>,
    /// Server options (idle tymeout, backlog…).
    opts: ServerOpts,
}

/// Runs an echo server until SIGINT/SIGTERM or `duration`; prints the
/// bound address on `out` first. Returns the Doist's `done`.
fn serve(cfg: EchoServe, out: &mut dyn Write) -> Result<Done> {
    let mut server = Server::with_opts(cfg.addr, cfg.opts);
    server.open()?;
    let bound = server.local_addr().unwrap_or(cfg.addr);
    writeln!(out, "hio echo: listening on {bound} (Ctrl-C to stop)")?;
    out.flush()?;
    let mut doist = Doist::new(cfg.tock).with_real(cfg.real);
    doist.handle_signals()?;
    if let Some(secs) = cfg.duration {
        crate::stop_after(doist.interrupter(), secs);
    }
    // `opts.tymeout` comes from the command line in seconds: wall seconds.
    let echo = ServerDoer::echo(server).on_wall_clock();
    let shared = echo.server();
    doist.add(echo);
    let done = doist.run()?;
    let served = shared.borrow().len();
    writeln!(
        out,
        "hio echo: stopped ({served} connections open at the end)"
    )?;
    Ok(done)
}

/// Sends lines read from `input` to an echo server and writes what comes
/// back to `out`, until the input ends and every byte has come back, the
/// server goes away, `timeout` wall seconds pass with nothing arriving, or
/// a signal arrives.
fn client(
    addr: SocketAddr,
    input: impl BufRead + Send + 'static,
    out: impl Write + 'static,
    timeout: f64,
) -> Result<Done> {
    let (lines, rx) = mpsc::channel::<Option<Vec<u8>>>();
    std::thread::spawn(move || {
        for line in input.split(b'\n') {
            let Ok(mut line) = line else { break };
            line.push(b'\n');
            if lines.send(Some(line)).is_err() {
                return;
            }
        }
        let _ = lines.send(None);
    });
    let client = ClientDoer::new(Client::new(addr));
    let shared = client.client();
    let mut doist = Doist::new(0.01).with_real(true);
    doist.handle_signals()?;
    let client_id = doist.add(client).id();
    let relay = doist.add(Relay {
        client: shared,
        client_id,
        lines: rx,
        out: Box::new(out),
        sent: 0,
        echoed: 0,
        input_done: false,
        quiet_since: Instant::now(),
        timeout: Duration::from_secs_f64(timeout.max(0.0)),
        failed: None,
    });
    let done = doist.run()?;
    if let Some(why) = doist.get(relay).and_then(|r| r.failed.clone()) {
        return Err(Error::Invalid(why));
    }
    Ok(done)
}

/// Moves stdin lines to the client and echoes to the output.
struct Relay {
    client: Rc<RefCell<Client>>,
    /// Removed when the relay is done, so the run completes.
    client_id: DoerId,
    lines: mpsc::Receiver<Option<Vec<u8>>>,
    out: Box<dyn Write>,
    sent: usize,
    echoed: usize,
    input_done: bool,
    quiet_since: Instant,
    timeout: Duration,
    failed: Option<String>,
}

impl Doer for Relay {
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool> {
        let finished = self.step()?;
        if finished {
            cx.remove(&[self.client_id])?;
        }
        Ok(finished)
    }
}

impl Relay {
    fn step(&mut self) -> Result<bool> {
        let mut client = self.client.borrow_mut();
        while let Ok(line) = self.lines.try_recv() {
            match line {
                Some(line) => {
                    self.sent += line.len();
                    client.tx(&line);
                }
                None => self.input_done = true,
            }
        }
        let got = client.take_rxbs();
        if !got.is_empty() {
            self.echoed += got.len();
            self.out.write_all(&got)?;
            self.out.flush()?;
            self.quiet_since = Instant::now();
        }
        if self.input_done && self.echoed >= self.sent {
            return Ok(true);
        }
        if client.cutoff() {
            self.failed = Some("the server closed the connection".into());
            return Ok(true);
        }
        if self.quiet_since.elapsed() > self.timeout && (self.input_done || !client.connected()) {
            self.failed = Some(format!(
                "gave up after {:?} without an answer ({} of {} bytes echoed)",
                self.timeout, self.echoed, self.sent
            ));
            return Ok(true);
        }
        Ok(false)
    }
}
