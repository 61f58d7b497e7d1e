//! The `hio` command. Each subcommand is a module here that owns its flags
//! and its program; the `hio` library holds only reusable parts.

mod bench;
mod demo;
mod echo;
mod memo;
mod serve;
mod trace;

use std::fmt::Display;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

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
    Demo(demo::Args),
    /// Run a JSON scenario and print its lifecycle trace as JSON lines.
    Trace(trace::Args),
    /// TCP echo: a server on a Doist (default), or a client sending stdin lines.
    Echo(echo::Args),
    /// Serve static files over HTTP, with an `/events` SSE stream ticking once a second.
    Serve(serve::Args),
    /// Memograms: make, read, send and receive them (like xxd and nc for grams).
    Memo {
        #[command(subcommand)]
        what: memo::Args,
    },
    /// Measure the scheduler; prints one JSON line.
    Bench {
        #[command(subcommand)]
        what: bench::Args,
    },
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
        Command::Demo(args) => demo::main(args),
        Command::Trace(args) => trace::main(args),
        Command::Echo(args) => echo::main(args),
        Command::Serve(args) => serve::main(args),
        Command::Memo { what } => memo::main(what),
        Command::Bench { what } => bench::main(what),
    }
}

/// A program's exit: success, or its error as `hio <name>: <error>` on
/// stderr and failure.
fn exit<T>(name: &str, result: Result<T, impl Display>) -> ExitCode {
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hio {name}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The first address `target` (`HOST:PORT`) resolves to.
fn resolve(target: &str) -> Option<SocketAddr> {
    std::net::ToSocketAddrs::to_socket_addrs(target)
        .ok()
        .and_then(|mut addrs| addrs.next())
}

/// Interrupts a Doist after `secs` wall seconds, from a helper thread.
fn stop_after(stop: hio::Interrupt, secs: f64) {
    let wait = Duration::from_secs_f64(secs.max(0.0));
    std::thread::spawn(move || {
        std::thread::sleep(wait);
        stop.interrupt();
    });
}
