//! `hio memo rend` and `hio memo fuse`: memos to gram hex lines and back,
//! the way `xxd` serves for raw bytes; and the line reader, JSON lines and
//! hex they share with `send` and `listen`.

use std::hash::Hash;
use std::io::{self, BufRead, Write};

use hio::Result;
use hio::memo::{Code, Format, GramError, Keep, MAX_GRAM_SIZE, Memo, Mid, Reassembler, Vid, parse};

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
    pub(super) fn signer(&self) -> (Code, Option<Vid>, Keep) {
        let mut keep = Keep::new();
        match &self.sign {
            Some(seed) => {
                let vid = keep.insert_seed(seed);
                (Code::GramAuthZero, Some(vid), keep)
            }
            None => (Code::GramZero, None, keep),
        }
    }

    pub(super) fn size_or(&self, max: usize) -> usize {
        if self.size == 0 { max } else { self.size }
    }
}

/// Parses a 32-byte Ed25519 seed written as 64 hex digits.
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
pub(super) struct Fuser<A> {
    pub(super) reasm: Reassembler<A>,
    pub(super) keep: Keep,
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
    pub(super) fn accept(
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

/// One memo as a JSON line (no trailing newline).
pub(super) fn memo_json(memo: &str, mid: &Mid, vid: Option<Vid>, src: Option<&str>) -> String {
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

/// HIO's "See ya later!" example memo in three 38-byte grams, with a fixed
/// mid, as hex lines; the memo's JSON line is [`SEE_YA_JSON`].
#[cfg(test)]
pub(super) fn see_ya_hex() -> Vec<u8> {
    let opts = RendOpts {
        size: 38,
        mid: Some("0AD5s502N14R8bWw8qyvRW-S".parse().unwrap()),
        ..RendOpts::default()
    };
    let mut hex = Vec::new();
    rend_hex("See ya later!", &opts, &mut hex).unwrap();
    hex
}

/// What `fuse_hex` prints for [`see_ya_hex`] (without the newline).
#[cfg(test)]
pub(super) const SEE_YA_JSON: &str =
    "{\"memo\":\"See ya later!\",\"mid\":\"0AD5s502N14R8bWw8qyvRW-S\",\"vid\":null}";

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
    fn rend_then_fuse_gives_the_memo_back() {
        let hex = see_ya_hex();
        assert_eq!(hex.iter().filter(|&&b| b == b'\n').count(), 3);
        let mut json = Vec::new();
        fuse_hex(&hex[..], &mut json).unwrap();
        assert_eq!(String::from_utf8(json).unwrap(), format!("{SEE_YA_JSON}\n"));
    }

    #[test]
    fn parse_seed_takes_64_hex_digits() {
        assert_eq!(parse_seed(&"00".repeat(32)).unwrap(), [0; 32]);
        assert!(parse_seed("abc").is_err());
    }

    #[test]
    fn read_line_bounded_skips_a_long_line() {
        let mut input = &b"short\nmuch too long\nok"[..];
        let mut line = Vec::new();
        let mut read = |line: &mut Vec<u8>| read_line_bounded(&mut input, line, 8).unwrap();
        assert_eq!(read(&mut line), LineRead::Line);
        assert_eq!(line, b"short");
        assert_eq!(read(&mut line), LineRead::TooLong { len: 13 });
        assert!(line.is_empty());
        assert_eq!(read(&mut line), LineRead::Line);
        assert_eq!(line, b"ok");
        assert_eq!(read(&mut line), LineRead::End);
    }

    #[test]
    fn json_escapes() {
        assert_eq!(json_string("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\u0001é\"");
    }
}
