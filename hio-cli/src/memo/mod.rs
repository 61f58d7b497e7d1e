//! `hio memo`: make, read, send and receive memograms from the command
//! line, the way `xxd` and `nc` serve for raw bytes.
//!
//! - `rend`: one memo in, its grams out as lowercase hex lines;
//! - `fuse`: gram hex lines in (any order, several memos mixed), one JSON
//!   line per completed memo and per dropped gram;
//! - `send`: each input line sent as one memo over UDP or UXD;
//! - `listen`: memos received over UDP or UXD printed as JSON lines (its
//!   reassembly, on a clock of wall seconds, is a [`net::Receiver`]).

mod grams;
mod net;
#[cfg(test)]
mod regression;

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use grams::{RendOpts, fuse_hex, parse_seed, rend_hex};
use net::{ListenLimits, Place, listen, send};

/// `hio memo`'s subcommands.
#[derive(Subcommand)]
pub enum Args {
    /// Read one memo (UTF-8, taken verbatim) from stdin; print its grams as hex lines.
    Rend {
        /// Gram size in bytes (clamped up to header + 1 byte, down to 65535).
        #[arg(long)]
        size: usize,
        /// Binary ("qb2") headers.
        #[arg(long)]
        curt: bool,
        /// Sign with this 32-byte Ed25519 seed (64 hex digits): code bAAC and its B vid.
        #[arg(long, value_name = "SEED_HEX", value_parser = parse_seed)]
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
        #[arg(long, value_name = "SEED_HEX", value_parser = parse_seed)]
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

/// Where `hio memo send` sends.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct SendTo {
    /// Send over UDP to HOST:PORT.
    #[arg(long, value_name = "HOST:PORT")]
    udp: Option<String>,
    /// Send over UXD to the socket at PATH.
    #[arg(long, value_name = "PATH")]
    uxd: Option<PathBuf>,
}

/// Where `hio memo listen` listens.
#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub struct ListenAt {
    /// Listen on this UDP PORT (on 127.0.0.1), or HOST:PORT; 0 picks a free port.
    #[arg(long, value_name = "PORT")]
    udp: Option<String>,
    /// Listen on a UXD socket at PATH.
    #[arg(long, value_name = "PATH")]
    uxd: Option<PathBuf>,
}

/// Runs `hio memo`.
pub fn main(args: Args) -> ExitCode {
    let result = match args {
        Args::Rend {
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
            rend_hex(&memo, &opts, &mut std::io::stdout().lock()).map(drop)
        }
        Args::Fuse { curt: _ } => {
            fuse_hex(std::io::stdin().lock(), &mut std::io::stdout().lock()).map(drop)
        }
        Args::Send {
            to,
            size,
            curt,
            sign,
        } => {
            let place = match (to.udp, to.uxd) {
                (Some(target), _) => match crate::resolve(&target) {
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
            send(&place, &opts, std::io::stdin().lock()).map(drop)
        }
        Args::Listen {
            at,
            curt: _,
            count,
            duration,
        } => {
            let place = match (at.udp, at.uxd) {
                (Some(port), _) => {
                    let addr = match port.parse::<u16>() {
                        Ok(port) => Some(std::net::SocketAddr::from(([127, 0, 0, 1], port))),
                        Err(_) => crate::resolve(&port),
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
            listen(
                &place,
                limits,
                &mut std::io::stdout().lock(),
                &mut std::io::stderr(),
            )
            .map(drop)
        }
    };
    crate::exit("memo", result)
}
