//! The `hio memo` programs: make and read memograms from the command line,
//! the way `xxd` and `nc` serve for raw bytes and sockets.
//!
//! - [`rend_hex`]: one memo in, its grams out as lowercase hex lines;
//! - [`fuse_hex`]: gram hex lines in (any order, several memos mixed), one
//!   JSON line per completed memo and per dropped gram;
//! - [`send`]: each input line sent as one memo over UDP or UXD;
//! - [`listen`]: memos received over UDP or UXD printed as JSON lines (its
//!   reassembly, on a clock of wall seconds, is a [`Receiver`]).
//!
//! ```
//! use hio::memo::cli::{RendOpts, fuse_hex, rend_hex};
//! let opts = RendOpts { size: 38, mid: Some("0AD5s502N14R8bWw8qyvRW-S".parse()?), ..RendOpts::default() };
//! let mut hex = Vec::new();
//! rend_hex("See ya later!", &opts, &mut hex)?;
//! assert_eq!(hex.iter().filter(|&&b| b == b'\n').count(), 3);
//! let mut json = Vec::new();
//! fuse_hex(&hex[..], &mut json)?;
//! assert_eq!(
//!     String::from_utf8(json).unwrap(),
//!     "{\"memo\":\"See ya later!\",\"mid\":\"0AD5s502N14R8bWw8qyvRW-S\",\"vid\":null}\n"
//! );
//! # Ok::<(), hio::Error>(())
//! ```

use std::fmt;
use std::hash::Hash;
use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{
    Code, Format, GramError, Keep, MAX_GRAM_SIZE, Memo, Memoer, MemoerOpts, Mid, Reassembler,
    Transport, Vid, parse,
};
use crate::error::{Error, Result};
use crate::tyming::Tymist;

/// How to rend: `hio memo rend`'s and `hio memo send`'s options.
#[derive(Clone, Debug, Default)]
pub struct RendOpts {
    /// Gram size in bytes; clamped as [`Format::new`] does (up to the
    /// smallest size that carries one body byte, down to 65535). 0 means
    /// the largest.
    pub size: usize,
    /// Binary ("qb2") headers.
    pub curt: bool,
    /// Sign with the Ed25519 key of this 32-byte seed (code `bAAC`, its
    /// `B` vid in the zeroth gram).
    pub sign: Option<[u8; 32]>,
    /// Memo id; `None` draws a random one.
    pub mid: Option<Mid>,
}

impl RendOpts {
    /// The code, vid and keep these options rend with.
    fn signer(&self) -> (Code, Option<Vid>, Keep) {
        let mut keep = Keep::new();
        match &self.sign {
            Some(seed) => {
                let vid = keep.insert_seed(seed);
                (Code::GramAuthZero, Some(vid), keep)
            }
            None => (Code::GramZero, None, keep),
        }
    }

    fn size_or(&self, max: usize) -> usize {
        if self.size == 0 { max } else { self.size }
    }
}

/// Parses a 32-byte Ed25519 seed written as 64 hex digits.
///
/// ```
/// let seed = hio::memo::cli::parse_seed(&"00".repeat(32)).unwrap();
/// assert_eq!(seed, [0; 32]);
/// assert!(hio::memo::cli::parse_seed("abc").is_err());
/// ```
pub fn parse_seed(text: &str) -> std::result::Result<[u8; 32], String> {
    let bytes = from_hex(text.trim())
        .ok_or_else(|| format!("seed {text:?} is not hex (expected 64 hex digits)"))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        format!(
            "seed has {} bytes; an Ed25519 seed has 32 (64 hex digits)",
            bytes.len()
        )
    })
}

/// Rends `memo` into grams with `opts` (a random mid unless one is given).
/// Signed grams carry the vid of the seed's key.
pub fn rend(memo: &str, opts: &RendOpts) -> Result<Vec<Vec<u8>>> {
    let (code, vid, keep) = opts.signer();
    let format = Format::new(code, opts.curt, opts.size_or(MAX_GRAM_SIZE))?;
    let mid = match opts.mid {
        Some(mid) => mid,
        None => Mid::random()?,
    };
    let signer = match &vid {
        Some(vid) => Some((vid, keep.signing_key(vid)?)),
        None => None,
    };
    Ok(format.rend(memo.as_bytes(), &mid, signer)?)
}

/// `hio memo rend`: writes the grams of `memo`, one lowercase hex line each.
/// An empty memo makes no grams (HIO sends nothing for it).
pub fn rend_hex(memo: &str, opts: &RendOpts, out: &mut dyn Write) -> Result<usize> {
    let grams = rend(memo, opts)?;
    for gram in &grams {
        writeln!(out, "{}", to_hex(gram))?;
    }
    out.flush()?;
    Ok(grams.len())
}

/// What [`fuse_hex`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FuseCount {
    /// Memos completed and printed.
    pub memos: usize,
    /// Grams (lines) dropped.
    pub dropped: usize,
}

/// The longest line [`fuse_hex`] takes, in bytes: the hex of the largest
/// gram ([`MAX_GRAM_SIZE`] bytes, two digits each) plus 1 KiB for blanks
/// around it and a CR. No valid gram line is longer.
pub const MAX_FUSE_LINE: usize = 2 * MAX_GRAM_SIZE + 1024;

/// What [`read_line_bounded`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineRead {
    /// A line, now in the buffer (without its `\n`).
    Line,
    /// A line longer than the bound, of `len` bytes (without its `\n`):
    /// skipped, the buffer left empty.
    TooLong {
        /// The length of the line.
        len: u64,
    },
    /// The end of the input.
    End,
}

/// Reads one line from `input` into `line` (cleared first, without the
/// `\n`), holding at most `max` bytes of it. A longer line is read to its
/// end in the reader's own chunks and dropped as it goes, so it is never
/// held whatever its length: `line` is left empty and
/// [`LineRead::TooLong`] says how long it was. A last line without `\n`
/// counts as a line.
///
/// ```
/// use hio::memo::cli::{LineRead, read_line_bounded};
/// let mut input = &b"short\nmuch too long\nok"[..];
/// let mut line = Vec::new();
/// assert_eq!(read_line_bounded(&mut input, &mut line, 8)?, LineRead::Line);
/// assert_eq!(line, b"short");
/// assert_eq!(read_line_bounded(&mut input, &mut line, 8)?, LineRead::TooLong { len: 13 });
/// assert!(line.is_empty());
/// assert_eq!(read_line_bounded(&mut input, &mut line, 8)?, LineRead::Line);
/// assert_eq!(line, b"ok");
/// assert_eq!(read_line_bounded(&mut input, &mut line, 8)?, LineRead::End);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_line_bounded(
    input: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> io::Result<LineRead> {
    line.clear();
    let mut len = 0u64;
    let mut too_long = false;
    loop {
        let buf = match input.fill_buf() {
            Ok(buf) => buf,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        if buf.is_empty() {
            return Ok(match (too_long, len) {
                (true, _) => LineRead::TooLong { len },
                (false, 0) => LineRead::End,
                (false, _) => LineRead::Line,
            });
        }
        let end = buf.iter().position(|&b| b == b'\n');
        let chunk = &buf[..end.unwrap_or(buf.len())];
        len += chunk.len() as u64;
        if !too_long && line.len() + chunk.len() > max {
            too_long = true;
            line.clear();
        }
        if !too_long {
            let want = line.len() + chunk.len();
            if want > line.capacity() {
                // Grow as a Vec would, but never past the bound.
                let cap = want.max(line.capacity() * 2).min(max);
                line.reserve_exact(cap - line.len());
            }
            line.extend_from_slice(chunk);
        }
        let used = chunk.len() + usize::from(end.is_some());
        input.consume(used);
        if end.is_some() {
            return Ok(if too_long {
                LineRead::TooLong { len }
            } else {
                LineRead::Line
            });
        }
    }
}

/// `hio memo fuse`: reads gram hex lines from `input` (blank lines are
/// skipped; grams in any order, several memos mixed) and writes one JSON
/// line per memo completed, `{"memo":…,"mid":…,"vid":…|null}`, and one
/// per gram dropped, `{"dropped":"<reason>"}`. Bad input never stops the
/// run. Text and binary grams are both recognised.
///
/// A line longer than [`MAX_FUSE_LINE`] cannot be a gram: it is skipped
/// without being held (see [`read_line_bounded`]) and reported as
/// `{"dropped":"line too long (… bytes; at most …)"}`, and the run goes on.
///
/// A signed gram is checked against its `B` vid (the public key itself);
/// as in HIO, a signed later gram that arrives before its zeroth gram is
/// held and checked when the zeroth gram comes.
pub fn fuse_hex(mut input: impl BufRead, out: &mut dyn Write) -> Result<FuseCount> {
    let mut fuser = Fuser::offline();
    let mut count = FuseCount::default();
    let mut line = Vec::new();
    loop {
        match read_line_bounded(&mut input, &mut line, MAX_FUSE_LINE)? {
            LineRead::End => break,
            LineRead::TooLong { len } => {
                let reason = format!("line too long ({len} bytes; at most {MAX_FUSE_LINE})");
                writeln!(out, "{}", dropped_json(&reason))?;
                count.dropped += 1;
                continue;
            }
            LineRead::Line => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let outcome = match from_hex(text) {
            Some(gram) => fuser.accept(&gram, &()).map_err(Drop::Gram),
            None => Err(Drop::Hex),
        };
        match outcome {
            Ok(memos) => {
                for (mid, memo) in memos {
                    writeln!(out, "{}", memo_json(&memo.memo, &mid, memo.vid, None))?;
                    count.memos += 1;
                }
            }
            Err(reason) => {
                writeln!(out, "{}", dropped_json(&reason.to_string()))?;
                count.dropped += 1;
            }
        }
    }
    out.flush()?;
    Ok(count)
}

/// Why a gram was dropped: not hex, or a [`GramError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
enum Drop {
    #[error("invalid hex")]
    Hex,
    #[error("{0}")]
    Gram(#[from] GramError),
}

/// Reassembly that reports each memo's mid.
struct Fuser<A> {
    reasm: Reassembler<A>,
    keep: Keep,
}

impl<A> Fuser<A> {
    /// For `fuse_hex`: no tyme passes there, so partial memos are kept
    /// until the run ends (or evicted at the cap).
    fn offline() -> Self {
        let mut reasm = Reassembler::new();
        reasm.set_tymeout(0.0);
        Fuser {
            reasm,
            keep: Keep::new(),
        }
    }
}

impl<A: Clone + std::fmt::Debug + Eq + Hash> Fuser<A> {
    /// Takes one gram from `src`; returns the memos it completed.
    fn accept(
        &mut self,
        gram: &[u8],
        src: &A,
    ) -> std::result::Result<Vec<(Mid, Memo<A>)>, GramError> {
        let mid = parse(gram)?.mid;
        self.reasm.accept(gram, src, &self.keep)?;
        // Fused after every gram, so only this gram's memo can be complete.
        let mut memos = Vec::new();
        self.reasm.fuse(|memo| memos.push((mid, memo)));
        Ok(memos)
    }
}

/// The reassembly of [`listen`], on a clock of its own: the library's
/// defaults ([`Reassembler::TYMEOUT`], [`Reassembler::MAX_BUFFERED`], each
/// source held to its fair share), with tyme moved by
/// [`advance`](Self::advance). `listen` moves it to the wall seconds since
/// it started, so the tymeout is in wall seconds there; tests move it by
/// hand.
///
/// ```
/// use hio::memo::cli::Receiver;
/// let mut receiver = Receiver::new();
/// let zeroth = b"bAAAAAAC0AD5s502N14R8bWw8qyvRW-Shello";
/// assert!(receiver.accept(zeroth, &"peer").unwrap().is_empty());
/// assert_eq!(receiver.advance(59.0), 0);
/// assert_eq!(receiver.advance(61.0), 1); // past the 60 s tymeout
/// assert_eq!(receiver.reassembler().pending(), 0);
/// ```
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

    /// The reassembler, mutably (to change its tymeout or limits).
    pub fn reassembler_mut(&mut self) -> &mut Reassembler<A> {
        &mut self.fuser.reasm
    }

    /// The receiver's tyme.
    pub fn tyme(&self) -> f64 {
        self.tymist.tyme()
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
            let mut peer = crate::udp::Peer::with_opts(
                local,
                crate::udp::PeerOpts {
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
            let mut peer = crate::uxd::Peer::temp(&name)?;
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
pub const MAX_SEND_LINE: usize = super::Reassembler::<()>::MAX_BUFFERED;

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
    #[cfg(feature = "signals")]
    let ids = [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM]
        .into_iter()
        .map(|sig| signal_hook::flag::register(sig, stop.clone()))
        .collect::<io::Result<Vec<_>>>()?;
    let result = match at {
        Place::Udp(addr) => {
            let mut peer = crate::udp::Peer::with_opts(
                *addr,
                crate::udp::PeerOpts {
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
            let mut peer = crate::uxd::Peer::at(path.clone()).with_buf_size(4 * MAX_GRAM_SIZE);
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
    #[cfg(feature = "signals")]
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

/// One memo as a JSON line (no trailing newline).
fn memo_json(memo: &str, mid: &Mid, vid: Option<Vid>, src: Option<&str>) -> String {
    let vid = match vid {
        Some(vid) => json_string(vid.as_str()),
        None => "null".to_owned(),
    };
    let mut line = format!(
        "{{\"memo\":{},\"mid\":{},\"vid\":{vid}",
        json_string(memo),
        json_string(mid.as_str())
    );
    if let Some(src) = src {
        line.push_str(",\"src\":");
        line.push_str(&json_string(src));
    }
    line.push('}');
    line
}

fn dropped_json(reason: &str) -> String {
    format!("{{\"dropped\":{}}}", json_string(reason))
}

/// A JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Hex (either case) to bytes; `None` for an odd length or a non-hex digit.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let nibble = |d: u8| char::from(d).to_digit(16).map(|v| v as u8);
    digits
        .chunks_exact(2)
        .map(|pair| Some(nibble(pair[0])? << 4 | nibble(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        assert_eq!(to_hex(&[0, 0xab, 0x7f]), "00ab7f");
        assert_eq!(from_hex("00AB7f"), Some(vec![0, 0xab, 0x7f]));
        assert_eq!(from_hex("0"), None);
        assert_eq!(from_hex("zz"), None);
    }

    #[test]
    fn json_escapes() {
        assert_eq!(json_string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }
}
