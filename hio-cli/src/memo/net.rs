//! `hio memo send` and `hio memo listen`: memos over UDP or UXD, the way
//! `nc` serves for raw bytes.

use std::fmt;
use std::hash::Hash;
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use hio::memo::{
    GramError, Keep, MAX_GRAM_SIZE, Memo, Memoer, MemoerOpts, Mid, Reassembler, Transport,
};
use hio::{Error, Result, Tymist};

use super::grams::{Fuser, LineRead, RendOpts, memo_json, read_line_bounded};

/// The reassembly of [`listen`], on a clock of its own: the library's
/// defaults ([`Reassembler::TYMEOUT`], [`Reassembler::MAX_BUFFERED`], each
/// source held to its fair share), with tyme moved by
/// [`advance`](Self::advance). `listen` moves it to the wall seconds since
/// it started, so the tymeout is in wall seconds there; tests move it by
/// hand.
pub struct Receiver<A> {
    fuser: Fuser<A>,
    tymist: Tymist,
    /// Tyme of the last expiry pass.
    swept: f64,
}

impl<A> fmt::Debug for Receiver<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("tyme", &self.tymist.tyme())
            .field("reassembler", &self.fuser.reasm)
            .finish()
    }
}

impl<A> Default for Receiver<A> {
    fn default() -> Self {
        Receiver::new()
    }
}

impl<A> Receiver<A> {
    /// Tyme between expiry passes (each visits every partial memo), in
    /// seconds.
    pub const SWEEP: f64 = 1.0;

    /// A receiver at tyme 0.0 with the library's reassembly defaults.
    pub fn new() -> Self {
        let tymist = Tymist::new(0.0, Tymist::TOCK);
        let mut reasm = Reassembler::new();
        reasm.wind(&tymist.tymen());
        Receiver {
            fuser: Fuser {
                reasm,
                keep: Keep::new(),
            },
            tymist,
            swept: 0.0,
        }
    }

    /// The reassembler.
    pub fn reassembler(&self) -> &Reassembler<A> {
        &self.fuser.reasm
    }
}

impl<A: Clone + std::fmt::Debug + Eq + Hash> Receiver<A> {
    /// Moves tyme on to `tyme` (never back) and, at most once per
    /// [`SWEEP`](Self::SWEEP), drops partial memos past the tymeout;
    /// returns how many were dropped.
    pub fn advance(&mut self, tyme: f64) -> usize {
        if tyme > self.tymist.tyme() {
            self.tymist.set_tyme(tyme);
        }
        let now = self.tymist.tyme();
        if now - self.swept < Self::SWEEP {
            return 0;
        }
        self.swept = now;
        self.fuser.reasm.expire()
    }

    /// Takes one datagram from `src`; returns the memos it completed, each
    /// with its mid, or why the gram was dropped.
    pub fn accept(
        &mut self,
        gram: &[u8],
        src: &A,
    ) -> std::result::Result<Vec<(Mid, Memo<A>)>, GramError> {
        self.fuser.accept(gram, src)
    }
}

/// Where `send` sends and `listen` listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// A UDP address.
    Udp(SocketAddr),
    /// A UXD (Unix datagram) socket path.
    Uxd(PathBuf),
}

/// `hio memo send`: sends each line of `input` (without its line end) as
/// one memo to `dst`, from an ephemeral UDP port or a temporary UXD socket.
/// Empty lines send nothing. Returns the number of memos sent.
pub fn send(dst: &Place, opts: &RendOpts, input: impl BufRead) -> Result<usize> {
    let (code, vid, keep) = opts.signer();
    let options = MemoerOpts {
        name: "send".to_owned(),
        code,
        curt: opts.curt,
        size: (opts.size != 0).then_some(opts.size),
        vid,
        keep,
        ..MemoerOpts::default()
    };
    match dst {
        Place::Udp(addr) => {
            let local = match addr {
                SocketAddr::V4(_) => SocketAddr::from(([0, 0, 0, 0], 0)),
                SocketAddr::V6(_) => SocketAddr::from(([0u16; 8], 0)),
            };
            let mut peer = hio::udp::Peer::with_opts(
                local,
                hio::udp::PeerOpts {
                    buf_size: 1024 * 1240,
                    ..Default::default()
                },
            );
            peer.open()?;
            let mut memoer = Memoer::with_options(peer, options)?;
            send_lines(&mut memoer, *addr, input)
        }
        Place::Uxd(path) => {
            let name = format!("memo-send-{}", std::process::id());
            let mut peer = hio::uxd::Peer::temp(&name)?;
            peer.open()?;
            let mut memoer = Memoer::with_options(peer, options)?;
            let sent = send_lines(&mut memoer, path.clone(), input);
            memoer.transport_mut().close_and_clear()?;
            sent
        }
    }
}

/// Longest line `hio memo send` takes: a memo no default listener could
/// hold is refused before it is read into memory.
pub const MAX_SEND_LINE: usize = Reassembler::<()>::MAX_BUFFERED;

fn send_lines<T: Transport>(
    memoer: &mut Memoer<T>,
    dst: T::Addr,
    mut input: impl BufRead,
) -> Result<usize> {
    let mut sent = 0;
    let mut buf = Vec::new();
    loop {
        match read_line_bounded(&mut input, &mut buf, MAX_SEND_LINE)? {
            LineRead::End => break,
            LineRead::TooLong { len } => {
                return Err(Error::Invalid(format!(
                    "line {} is {len} bytes; a memo is at most {MAX_SEND_LINE}",
                    sent + 1
                )));
            }
            LineRead::Line => {}
        }
        let line = std::str::from_utf8(&buf)
            .map_err(|_| Error::Invalid(format!("line {} is not UTF-8", sent + 1)))?;
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        memoer.memoit(line, dst.clone());
        flush(memoer)?;
        sent += 1;
    }
    Ok(sent)
}

/// Services `memoer` until every queued gram has gone out (5 s at most).
fn flush<T: Transport>(memoer: &mut Memoer<T>) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        memoer.service()?;
        if memoer.txms().is_empty() && memoer.txgs().is_empty() && memoer.txbs().is_none() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(Error::Io(io::Error::new(
                io::ErrorKind::TimedOut,
                "memograms could not be sent within 5 s",
            )));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// When `listen` stops (besides SIGINT/SIGTERM).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ListenLimits {
    /// Stop after this many memos.
    pub count: Option<usize>,
    /// Stop after this many wall seconds.
    pub duration: Option<f64>,
}

/// `hio memo listen`: binds `at`, writes a line naming the bound address to
/// `log`, then writes each memo received as a JSON line to `out`,
/// `{"memo":…,"mid":…,"vid":…|null,"src":…}`, until SIGINT/SIGTERM or a
/// limit. Dropped grams are reported on `log`. Returns the number of memos.
pub fn listen(
    at: &Place,
    limits: ListenLimits,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> Result<usize> {
    let stop = Arc::new(AtomicBool::new(false));
    let ids = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM]
        .into_iter()
        .map(|sig| signal_hook::flag::register(sig, stop.clone()))
        .collect::<io::Result<Vec<_>>>()?;
    let result = match at {
        Place::Udp(addr) => {
            let mut peer = hio::udp::Peer::with_opts(
                *addr,
                hio::udp::PeerOpts {
                    buf_size: 1024 * 1240,
                    ..Default::default()
                },
            );
            peer.open()?;
            let bound = peer.local_addr().unwrap_or(*addr);
            writeln!(log, "hio memo: listening on udp {bound}")?;
            log.flush()?;
            receive_loop(&mut peer, &stop, limits, out, log, |a| a.to_string())
        }
        Place::Uxd(path) => {
            let mut peer = hio::uxd::Peer::at(path.clone()).with_buf_size(4 * MAX_GRAM_SIZE);
            peer.open()?;
            writeln!(log, "hio memo: listening on uxd {}", path.display())?;
            log.flush()?;
            let got = receive_loop(&mut peer, &stop, limits, out, log, |p| {
                p.display().to_string()
            });
            peer.close();
            got
        }
    };
    for id in ids {
        signal_hook::low_level::unregister(id);
    }
    result
}

fn receive_loop<T: Transport>(
    peer: &mut T,
    stop: &AtomicBool,
    limits: ListenLimits,
    out: &mut dyn Write,
    log: &mut dyn Write,
    show: impl Fn(&T::Addr) -> String,
) -> Result<usize> {
    let deadline = limits
        .duration
        .map(|secs| Instant::now() + Duration::from_secs_f64(secs.max(0.0)));
    let limit = limits.count.unwrap_or(usize::MAX);
    let start = Instant::now();
    let mut receiver = Receiver::new();
    let mut evicted = 0;
    let mut buf = vec![0; MAX_GRAM_SIZE + 1];
    let mut got = 0;
    while got < limit
        && !stop.load(Ordering::Relaxed)
        && deadline.is_none_or(|d| Instant::now() < d)
    {
        // Tyme is wall seconds since the start: the tymeout is wall time.
        let expired = receiver.advance(start.elapsed().as_secs_f64());
        if expired > 0 {
            let tymeout = receiver.reassembler().tymeout();
            writeln!(
                log,
                "hio memo: dropped {expired} incomplete memo(s) after the {tymeout} s reassembly tymeout"
            )?;
        }
        let received = match peer.receive(&mut buf) {
            Ok(received) => received,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err.into()),
        };
        let Some((len, src)) = received else {
            std::thread::sleep(Duration::from_millis(1));
            continue;
        };
        match receiver.accept(&buf[..len.min(buf.len())], &src) {
            Ok(memos) => {
                for (mid, memo) in memos {
                    let src = show(&memo.src);
                    writeln!(out, "{}", memo_json(&memo.memo, &mid, memo.vid, Some(&src)))?;
                    out.flush()?;
                    got += 1;
                }
            }
            Err(reason) => {
                let src = show(&src);
                tracing::debug!(%src, %reason, "hio memo listen dropped a gram");
                writeln!(log, "hio memo: dropped a gram from {src}: {reason}")?;
            }
        }
        let now = receiver.reassembler().evicted();
        if now > evicted {
            writeln!(
                log,
                "hio memo: evicted {} incomplete memo(s) to make room",
                now - evicted
            )?;
            evicted = now;
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receiver_expires_a_partial_memo_after_the_tymeout() {
        let mut receiver = Receiver::new();
        let zeroth = b"bAAAAAAC0AD5s502N14R8bWw8qyvRW-Shello";
        assert!(receiver.accept(zeroth, &"peer").unwrap().is_empty());
        assert_eq!(receiver.advance(59.0), 0);
        assert_eq!(receiver.advance(61.0), 1); // past the 60 s tymeout
        assert_eq!(receiver.reassembler().pending(), 0);
    }
}
