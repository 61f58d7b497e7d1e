//! The `hio` command: a thin front end over the `hio` library.

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "hio",
    version,
    about = "HIO's cooperative runtime in Rust: demos, traces and benchmarks"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a small tree of doers in real time and narrate it (Ctrl-C stops it).
    Demo {
        /// Seconds of tyme to run for.
        #[arg(long, default_value_t = 2.0)]
        limit: f64,
        /// Seconds of tyme per pass.
        #[arg(long, default_value_t = 0.25)]
        tock: f64,
        /// Run as fast as possible instead of pacing to the wall clock.
        #[arg(long)]
        fast: bool,
    },
    /// Run a JSON scenario and print its lifecycle trace as JSON lines.
    Trace {
        /// Scenario file, or `-` for standard input.
        file: String,
    },
    /// TCP echo: a server on a Doist (default), or a client sending stdin lines.
    Echo {
        /// Port to listen on (server mode).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Address to listen on (server mode).
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
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
    },
    /// Serve static files over HTTP, with an `/events` SSE stream ticking once a second.
    Serve {
        /// Port to listen on.
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// Directory to serve.
        #[arg(long, default_value = ".")]
        root: std::path::PathBuf,
        /// Doist tock in seconds (passes are paced to it).
        #[arg(long, default_value_t = 0.005)]
        tock: f64,
        /// Stop after this many wall seconds; default: run until Ctrl-C.
        #[arg(long)]
        duration: Option<f64>,
        /// On SIGTERM/Ctrl-C, wall seconds to let responses in progress finish.
        #[arg(long, default_value_t = 10.0)]
        drain: f64,
    },
    /// Memograms: make, read, send and receive them (like xxd and nc for grams).
    Memo {
        #[command(subcommand)]
        what: MemoCmd,
    },
    /// Measure the scheduler; prints one JSON line.
    Bench {
        #[command(subcommand)]
        what: Bench,
    },
}

#[derive(Subcommand)]
enum Bench {
    /// Memo round trips per second between two UXD PeerMemoers (one JSON line).
    MemoUxd {
        /// Round trips.
        #[arg(long, default_value_t = 2000)]
        n: usize,
        /// Memo length in bytes.
        #[arg(long, default_value_t = 100)]
        size: usize,
    },
    /// Scheduler overhead (the pybench sched_bench/mem_bench workloads).
    Sched {
        /// Workload.
        #[arg(long, value_enum, default_value_t = Kind::Doer)]
        kind: Kind,
        /// Number of doers (leaves for `nested`).
        #[arg(long, default_value_t = 100)]
        n: usize,
        /// Total recurs; each doer recurs total / n times.
        #[arg(long, default_value_t = 2_000_000)]
        total: u64,
        /// Nesting depth for `nested`.
        #[arg(long, default_value_t = 3)]
        depth: u32,
        /// Fan-out per level for `nested`.
        #[arg(long, default_value_t = 10)]
        fanout: usize,
        /// Repetitions (one JSON line each).
        #[arg(long, default_value_t = 1)]
        reps: u32,
    },
}

#[derive(Subcommand)]
enum MemoCmd {
    /// Read one memo (UTF-8, taken verbatim) from stdin; print its grams as hex lines.
    Rend {
        /// Gram size in bytes (clamped up to header + 1 byte, down to 65535).
        #[arg(long)]
        size: usize,
        /// Binary ("qb2") headers.
        #[arg(long)]
        curt: bool,
        /// Sign with this 32-byte Ed25519 seed (64 hex digits): code bAAC and its B vid.
        #[arg(long, value_name = "SEED_HEX", value_parser = hio::memo::cli::parse_seed)]
        sign: Option<[u8; 32]>,
        /// Memo id (24-character qb64 `0A…`), for reproducible output; default random.
        #[arg(long)]
        mid: Option<hio::memo::Mid>,
    },
    /// Read gram hex lines from stdin (any order, any memos); print each memo and each drop as JSON.
    Fuse {
        /// Accepted for symmetry with `rend`: text and binary grams are both recognised.
        #[arg(long)]
        curt: bool,
    },
    /// Send each stdin line as one memo.
    Send {
        #[command(flatten)]
        to: SendTo,
        /// Gram size in bytes; default the transport's largest (UDP 1240, UXD 65535).
        #[arg(long)]
        size: Option<usize>,
        /// Binary ("qb2") headers.
        #[arg(long)]
        curt: bool,
        /// Sign with this 32-byte Ed25519 seed (64 hex digits).
        #[arg(long, value_name = "SEED_HEX", value_parser = hio::memo::cli::parse_seed)]
        sign: Option<[u8; 32]>,
    },
    /// Print each memo that arrives as a JSON line, until Ctrl-C/SIGTERM or a limit.
    Listen {
        #[command(flatten)]
        at: ListenAt,
        /// Accepted for symmetry with `send`: text and binary grams are both recognised.
        #[arg(long)]
        curt: bool,
        /// Stop after this many memos.
        #[arg(long)]
        count: Option<usize>,
        /// Stop after this many wall seconds.
        #[arg(long)]
        duration: Option<f64>,
    },
}

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct SendTo {
    /// Send over UDP to HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    udp: Option<String>,
    /// Send over UXD to the socket at PATH.
    #[arg(long, value_name = "PATH")]
    uxd: Option<std::path::PathBuf>,
}

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct ListenAt {
    /// Listen on this UDP PORT (on 127.0.0.1), or HOST:PORT; 0 picks a free port.
    #[arg(long, value_name = "PORT")]
    udp: Option<String>,
    /// Listen on a UXD socket at PATH.
    #[arg(long, value_name = "PATH")]
    uxd: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Doer,
    Coroutine,
    Nested,
    Memory,
    MemoryCoroutine,
}

/// Logs to stderr, filtered by `RUST_LOG` (warnings by default), so that
/// refused connections, failed accepts and dropped grams are seen.
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Demo { limit, tock, fast } => {
            match hio::demo::run(limit, tock, !fast, std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("hio demo: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Trace { file } => trace(&file),
        Command::Serve {
            port,
            host,
            root,
            tock,
            duration,
            drain,
        } => {
            let cfg = hio::http::files::Serve {
                addr: std::net::SocketAddr::new(host, port),
                root,
                tock,
                duration,
                drain,
            };
            match hio::http::files::serve(cfg, &mut std::io::stdout()) {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("hio serve: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Echo {
            port,
            host,
            connect,
            tock,
            real,
            duration,
            idle,
            backlog,
            timeout,
        } => echo(
            connect, host, port, tock, real, duration, idle, backlog, timeout,
        ),
        Command::Memo { what } => memo(what),
        Command::Bench {
            what: Bench::MemoUxd { n, size },
        } => match hio::bench::memo_uxd_round_trips(n, size) {
            Ok(rate) => {
                println!(
                    "{{\"bench\":\"memo_uxd\",\"impl\":\"hio-rs\",\"n\":{n},\"size\":{size},\"round_trips_per_s\":{rate:.1}}}"
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("hio bench: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Bench {
            what:
                Bench::Sched {
                    kind,
                    n,
                    total,
                    depth,
                    fanout,
                    reps,
                },
        } => {
            use hio::bench::{self, Workload};
            let workload = match kind {
                Kind::Doer => Workload::Doer { n },
                Kind::Coroutine => Workload::Coroutine { n },
                Kind::Nested => Workload::Nested { depth, fanout },
                Kind::Memory => Workload::Memory {
                    n,
                    coroutine: false,
                },
                Kind::MemoryCoroutine => Workload::Memory { n, coroutine: true },
            };
            for rep in 0..reps {
                match bench::run(workload, total) {
                    Ok(report) => println!("{}", report.to_json(rep)),
                    Err(e) => {
                        eprintln!("hio bench: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            ExitCode::SUCCESS
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn echo(
    connect: Option<String>,
    host: std::net::IpAddr,
    port: u16,
    tock: f64,
    real: bool,
    duration: Option<f64>,
    idle: f64,
    backlog: u32,
    timeout: f64,
) -> ExitCode {
    use hio::tcp::{ServerOpts, echo};
    let result = match connect {
        Some(target) => {
            match std::net::ToSocketAddrs::to_socket_addrs(&target).map(|mut a| a.next()) {
                Ok(Some(addr)) => echo::client(
                    addr,
                    std::io::BufReader::new(std::io::stdin()),
                    std::io::stdout(),
                    timeout,
                ),
                Ok(None) | Err(_) => {
                    eprintln!("hio echo: cannot resolve {target:?} (expected HOST:PORT)");
                    return ExitCode::from(2);
                }
            }
        }
        None => {
            let cfg = echo::EchoServe {
                addr: std::net::SocketAddr::new(host, port),
                tock,
                real,
                duration,
                opts: ServerOpts {
                    tymeout: idle,
                    backlog,
                    ..ServerOpts::default()
                },
            };
            echo::serve(cfg, &mut std::io::stdout())
        }
    };
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hio echo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn memo(what: MemoCmd) -> ExitCode {
    use hio::memo::cli::{self, ListenLimits, Place, RendOpts};
    let result = match what {
        MemoCmd::Rend {
            size,
            curt,
            sign,
            mid,
        } => {
            let mut memo = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut memo) {
                eprintln!("hio memo rend: cannot read a UTF-8 memo from stdin: {e}");
                return ExitCode::from(2);
            }
            if size == 0 {
                eprintln!("hio memo rend: --size must be at least 1");
                return ExitCode::from(2);
            }
            let opts = RendOpts {
                size,
                curt,
                sign,
                mid,
            };
            cli::rend_hex(&memo, &opts, &mut std::io::stdout().lock()).map(drop)
        }
        MemoCmd::Fuse { curt: _ } => {
            cli::fuse_hex(std::io::stdin().lock(), &mut std::io::stdout().lock()).map(drop)
        }
        MemoCmd::Send {
            to,
            size,
            curt,
            sign,
        } => {
            let place = match (to.udp, to.uxd) {
                (Some(target), _) => match resolve(&target) {
                    Some(addr) => Place::Udp(addr),
                    None => {
                        eprintln!("hio memo send: cannot resolve {target:?} (expected HOST:PORT)");
                        return ExitCode::from(2);
                    }
                },
                (None, Some(path)) => Place::Uxd(path),
                (None, None) => unreachable!("clap requires --udp or --uxd"),
            };
            let opts = RendOpts {
                size: size.unwrap_or(0),
                curt,
                sign,
                mid: None,
            };
            cli::send(&place, &opts, std::io::stdin().lock()).map(drop)
        }
        MemoCmd::Listen {
            at,
            curt: _,
            count,
            duration,
        } => {
            let place = match (at.udp, at.uxd) {
                (Some(port), _) => {
                    let addr = match port.parse::<u16>() {
                        Ok(port) => Some(std::net::SocketAddr::from(([127, 0, 0, 1], port))),
                        Err(_) => resolve(&port),
                    };
                    match addr {
                        Some(addr) => Place::Udp(addr),
                        None => {
                            eprintln!(
                                "hio memo listen: bad --udp {port:?} (expected PORT or HOST:PORT)"
                            );
                            return ExitCode::from(2);
                        }
                    }
                }
                (None, Some(path)) => Place::Uxd(path),
                (None, None) => unreachable!("clap requires --udp or --uxd"),
            };
            let limits = ListenLimits { count, duration };
            cli::listen(
                &place,
                limits,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr(),
            )
            .map(drop)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hio memo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn resolve(target: &str) -> Option<std::net::SocketAddr> {
    std::net::ToSocketAddrs::to_socket_addrs(target)
        .ok()
        .and_then(|mut addrs| addrs.next())
}

fn trace(file: &str) -> ExitCode {
    let text = if file == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map(|_| s)
    } else {
        std::fs::read_to_string(file)
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            eprintln!("hio trace: cannot read {file}: {e}");
            return ExitCode::from(2);
        }
    };
    match hio::trace::run(&text) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hio trace: {e}");
            ExitCode::from(2)
        }
    }
}
