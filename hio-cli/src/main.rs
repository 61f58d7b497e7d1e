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
    /// Measure the scheduler; prints one JSON line.
    Bench {
        #[command(subcommand)]
        what: Bench,
    },
}

#[derive(Subcommand)]
enum Bench {
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

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Doer,
    Coroutine,
    Nested,
    Memory,
    MemoryCoroutine,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
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
