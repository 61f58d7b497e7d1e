//! The gram codec: codes, header layout, [`Format::rend`] (segmentation) and
//! [`parse`] (one gram's header), byte-exact with Python HIO 0.7.20.
//!
//! A gram is `code | neck | mid | [vid] | body | [sig]`. The header parts are
//! Base64-URL text ("qb64") or, with `curt`, their 3/4-size binary decoding
//! ("qb2"); the body is raw memo bytes either way. The neck is the gram count
//! in the zeroth gram and the gram number in the others.

use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signer as _, SigningKey};

use super::sign::{SIG_QB2_LEAD, Vid, encode_sig};
use super::{GramError, MemoError};

/// Largest memo a gram stream can carry, in bytes (`(2^30−1)·4+8`), HIO's
/// `MaxMemoSize`.
pub const MAX_MEMO_SIZE: u64 = 4_294_967_300;
/// Largest gram count (`2^24−1`, what a 4-digit neck holds), HIO's
/// `MaxGramCount`.
pub const MAX_GRAM_COUNT: u32 = 16_777_215;
/// Largest gram, header included (`2^16−1`), HIO's `MaxGramSize`. Transports
/// may lower it (UDP: 1240).
pub const MAX_GRAM_SIZE: usize = 65_535;

/// Text sizes of the header parts, in characters.
pub(crate) const CODE_LEN: usize = 4;
pub(crate) const NECK_LEN: usize = 4;
pub(crate) const MID_LEN: usize = 24;
pub(crate) const VID_LEN: usize = 44;
pub(crate) const SIG_LEN: usize = 88;

/// The Base64-URL alphabet, in digit order (`A` = 0 … `_` = 63).
pub(crate) const B64_CHARS: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Digit value of each byte, `0xff` for bytes outside the alphabet.
pub(crate) const B64_INDEX: [u8; 256] = {
    let mut table = [0xff_u8; 256];
    let mut i = 0;
    while i < 64 {
        table[B64_CHARS[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// True when every byte is a Base64-URL digit.
pub(crate) fn is_b64(bytes: &[u8]) -> bool {
    // Branch-free: every invalid byte maps to 0xff, every digit below 64.
    bytes
        .iter()
        .fold(0u8, |acc, &b| acc | B64_INDEX[b as usize])
        < 64
}

/// A gram code: the first four Base64 characters of every gram.
///
/// The zeroth (first) gram of a memo carries a *zeroth* code and the gram
/// count; later grams carry the paired code and their gram number. Signed
/// ("auth") codes add a 44-character vid to the zeroth gram and an
/// 88-character signature to every gram. "Sure" codes are reserved for
/// acknowledged delivery, which HIO never implemented; they travel like
/// their plain twins. Ack codes are reserved and dropped on receipt.
///
/// ```
/// use hio::memo::Code;
/// let code: Code = "bAAC".parse()?;
/// assert_eq!(code, Code::GramAuthZero);
/// assert!(code.is_zeroth() && code.is_auth());
/// assert_eq!(code.pair(), Some(Code::GramAuth));
/// assert_eq!(code.qb2(), [0x6c, 0x00, 0x02]);
/// assert_eq!((code.overhead(false), code.overhead(true)), (164, 123));
/// # Ok::<(), hio::memo::MemoError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    /// `bAAA`: first gram, unsigned.
    GramZero,
    /// `bAAB`: later gram, unsigned.
    Gram,
    /// `bAAC`: first gram, signed.
    GramAuthZero,
    /// `bAAD`: later gram, signed.
    GramAuth,
    /// `bAAE`: first gram, "sure" (acknowledged delivery, reserved).
    GramSureZero,
    /// `bAAF`: later gram, sure.
    GramSure,
    /// `bAAG`: first gram, sure and signed.
    GramSureAuthZero,
    /// `bAAH`: later gram, sure and signed.
    GramSureAuth,
    /// `bAAI`: acknowledgement (reserved).
    Ack,
    /// `bAAJ`: signed acknowledgement (reserved).
    AckAuth,
}

impl Code {
    /// Every code, in code order (`bAAA` … `bAAJ`).
    pub const ALL: [Code; 10] = [
        Code::GramZero,
        Code::Gram,
        Code::GramAuthZero,
        Code::GramAuth,
        Code::GramSureZero,
        Code::GramSure,
        Code::GramSureAuthZero,
        Code::GramSureAuth,
        Code::Ack,
        Code::AckAuth,
    ];

    const TEXT: [&'static str; 10] = [
        "bAAA", "bAAB", "bAAC", "bAAD", "bAAE", "bAAF", "bAAG", "bAAH", "bAAI", "bAAJ",
    ];

    /// The position of the code in [`Code::ALL`] (the digit value of its
    /// last character).
    pub const fn index(self) -> u8 {
        self as u8
    }

    /// The code at `index` in [`Code::ALL`].
    pub const fn from_index(index: u8) -> Option<Code> {
        if (index as usize) < Self::ALL.len() {
            Some(Self::ALL[index as usize])
        } else {
            None
        }
    }

    /// The four-character text form, e.g. `"bAAA"`.
    pub const fn as_str(self) -> &'static str {
        Self::TEXT[self as usize]
    }

    /// The three-byte binary form: `6c 00 <index>`.
    pub const fn qb2(self) -> [u8; 3] {
        [0x6c, 0x00, self as u8]
    }

    /// The code whose text form starts `bytes` (needs 4 bytes).
    pub fn from_qb64(bytes: &[u8]) -> Option<Code> {
        match bytes {
            [b'b', b'A', b'A', last, ..] => Code::from_index(last.wrapping_sub(b'A')),
            _ => None,
        }
    }

    /// The code whose binary form starts `bytes` (needs 3 bytes).
    pub fn from_qb2(bytes: &[u8]) -> Option<Code> {
        match bytes {
            [0x6c, 0x00, index, ..] => Code::from_index(*index),
            _ => None,
        }
    }

    /// True for the codes of a memo's first gram (`bAAA`, `bAAC`, `bAAE`,
    /// `bAAG`), HIO's `ZeroDex`.
    pub const fn is_zeroth(self) -> bool {
        matches!(
            self,
            Code::GramZero | Code::GramAuthZero | Code::GramSureZero | Code::GramSureAuthZero
        )
    }

    /// True for signed codes (`bAAC`, `bAAD`, `bAAG`, `bAAH`, `bAAJ`), HIO's
    /// `AuthDex`.
    pub const fn is_auth(self) -> bool {
        matches!(
            self,
            Code::GramAuthZero
                | Code::GramAuth
                | Code::GramSureAuthZero
                | Code::GramSureAuth
                | Code::AckAuth
        )
    }

    /// True for the "sure" codes `bAAE` … `bAAH`, HIO's `SureDex`.
    pub const fn is_sure(self) -> bool {
        matches!(
            self,
            Code::GramSureZero | Code::GramSure | Code::GramSureAuthZero | Code::GramSureAuth
        )
    }

    /// True for the ack codes `bAAI`, `bAAJ`, HIO's `AckDex`.
    pub const fn is_ack(self) -> bool {
        matches!(self, Code::Ack | Code::AckAuth)
    }

    /// The code of the later grams of a memo whose first gram has this
    /// code; `None` unless this is a zeroth code.
    pub const fn pair(self) -> Option<Code> {
        match self {
            Code::GramZero => Some(Code::Gram),
            Code::GramAuthZero => Some(Code::GramAuth),
            Code::GramSureZero => Some(Code::GramSure),
            Code::GramSureAuthZero => Some(Code::GramSureAuth),
            _ => None,
        }
    }

    /// Characters of vid this code's grams carry (44 or 0).
    pub const fn vid_len(self) -> usize {
        match self {
            Code::GramAuthZero | Code::GramSureAuthZero | Code::AckAuth => VID_LEN,
            _ => 0,
        }
    }

    /// Characters of signature this code's grams carry (88 or 0).
    pub const fn sig_len(self) -> usize {
        if self.is_auth() { SIG_LEN } else { 0 }
    }

    /// Header plus signature size of a gram with this code: 32, 120 or 164
    /// in text, 24, 90 or 123 in binary (`curt`).
    pub const fn overhead(self, curt: bool) -> usize {
        let oz = CODE_LEN + NECK_LEN + MID_LEN + self.vid_len() + self.sig_len();
        if curt { oz * 3 / 4 } else { oz }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Code {
    type Err = MemoError;

    fn from_str(s: &str) -> Result<Code, MemoError> {
        if s.len() == CODE_LEN
            && let Some(code) = Code::from_qb64(s.as_bytes())
        {
            return Ok(code);
        }
        Err(MemoError::Invalid {
            what: "gram code",
            why: "not one of bAAA … bAAJ",
        })
    }
}

/// A memo id: the 24-character key that ties a memo's grams together.
///
/// HIO makes it a CESR "salt" primitive, `0A` plus 22 characters encoding 16
/// random bytes; receivers treat it as an opaque key. In binary grams it
/// travels as its 18-byte decoding. Any 24 Base64-URL characters are a valid
/// mid.
///
/// ```
/// use hio::memo::Mid;
/// let mid: Mid = "0AD5s502N14R8bWw8qyvRW-S".parse()?;
/// assert_eq!(mid.qb2()[..2], [0xd0, 0x00]);
/// assert_eq!(Mid::from_qb2(&mid.qb2()), mid);
/// assert_eq!(Mid::from_raw(&[0; 16]).as_str(), "0AAAAAAAAAAAAAAAAAAAAAAA");
/// # Ok::<(), hio::memo::MemoError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mid([u8; MID_LEN]);

impl Mid {
    /// The `0A` mid of 16 raw bytes (what HIO's `makeMID` does with a
    /// UUID).
    pub fn from_raw(raw: &[u8; 16]) -> Mid {
        let mut qb2 = [0u8; 18];
        qb2[0] = 0xd0;
        qb2[2..].copy_from_slice(raw);
        Mid::from_qb2(&qb2)
    }

    /// A fresh random `0A` mid from the operating system's generator.
    #[doc(alias = "makeMID")]
    pub fn random() -> Result<Mid, MemoError> {
        let mut raw = [0u8; 16];
        getrandom::fill(&mut raw).map_err(|_| MemoError::Random)?;
        Ok(Mid::from_raw(&raw))
    }

    /// The mid whose text form is `bytes` (24 Base64-URL characters).
    pub fn from_qb64(bytes: &[u8]) -> Option<Mid> {
        let text: [u8; MID_LEN] = bytes.try_into().ok()?;
        is_b64(&text).then_some(Mid(text))
    }

    /// The mid whose binary form is `qb2`.
    pub fn from_qb2(qb2: &[u8; 18]) -> Mid {
        let mut text = [0u8; MID_LEN];
        // 18 bytes always encode to exactly 24 characters.
        let n = URL_SAFE_NO_PAD.encode_slice(qb2, &mut text);
        debug_assert_eq!(n.ok(), Some(MID_LEN));
        Mid(text)
    }

    /// The 18-byte binary form.
    pub fn qb2(&self) -> [u8; 18] {
        let mut qb2 = [0u8; 18];
        // 24 alphabet characters (checked on construction) decode to 18 bytes.
        let n = URL_SAFE_NO_PAD.decode_slice(self.0, &mut qb2);
        debug_assert_eq!(n.ok(), Some(18));
        qb2
    }

    /// The 24-character text form.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a mid is ASCII by construction")
    }

    /// The text form as bytes.
    pub fn as_bytes(&self) -> &[u8; MID_LEN] {
        &self.0
    }
}

impl fmt::Display for Mid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Mid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mid({})", self.as_str())
    }
}

impl FromStr for Mid {
    type Err = MemoError;

    fn from_str(s: &str) -> Result<Mid, MemoError> {
        Mid::from_qb64(s.as_bytes()).ok_or(MemoError::Invalid {
            what: "mid",
            why: "not 24 Base64-URL characters",
        })
    }
}

/// Appends the 4-digit Base64 form of `n` (`n < 64^4`).
fn push_neck_qb64(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&[
        B64_CHARS[(n >> 18) as usize & 63],
        B64_CHARS[(n >> 12) as usize & 63],
        B64_CHARS[(n >> 6) as usize & 63],
        B64_CHARS[n as usize & 63],
    ]);
}

/// Appends the 3-byte big-endian form of `n` (`n < 2^24`).
fn push_neck_qb2(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_be_bytes()[1..]);
}

/// Base64 digits of `i`, at least `min_len` of them, left-padded with `A`
/// (HIO's `intToB64`). More digits are used when `i` needs them.
///
/// ```
/// use hio::memo::int_to_b64;
/// assert_eq!(int_to_b64(1, 4), "AAAB");
/// assert_eq!(int_to_b64(64, 4), "AABA");
/// assert_eq!(int_to_b64(4096, 1), "BAA");
/// ```
#[doc(alias = "intToB64")]
pub fn int_to_b64(i: u64, min_len: usize) -> String {
    let mut digits = Vec::with_capacity(min_len.max(11));
    let mut i = i;
    loop {
        digits.push(B64_CHARS[(i % 64) as usize]);
        i /= 64;
        if i == 0 {
            break;
        }
    }
    while digits.len() < min_len {
        digits.push(b'A');
    }
    digits.iter().rev().map(|&b| char::from(b)).collect()
}

/// The integer that Base64 digits `s` spell (HIO's `b64ToInt`); `None` for
/// an empty string, a character outside the alphabet, or a value beyond
/// `u64`.
///
/// ```
/// use hio::memo::b64_to_int;
/// assert_eq!(b64_to_int("AAAC"), Some(2));
/// assert_eq!(b64_to_int("AB=A"), None);
/// ```
#[doc(alias = "b64ToInt")]
pub fn b64_to_int(s: &str) -> Option<u64> {
    b64_digits_to_int(s.as_bytes())
}

fn b64_digits_to_int(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &b| {
        let digit = B64_INDEX[b as usize];
        if digit == 0xff {
            return None;
        }
        acc.checked_mul(64)?.checked_add(u64::from(digit))
    })
}

/// Base64 characters packed as sextets into the fewest bytes that hold
/// them, the last byte right-padded with zero bits (HIO's `codeB64ToB2`).
///
/// ```
/// use hio::memo::code_b64_to_b2;
/// assert_eq!(code_b64_to_b2("bAAA"), Some(vec![0x6c, 0x00, 0x00]));
/// assert_eq!(code_b64_to_b2("0A"), Some(vec![0xd0, 0x00]));
/// assert_eq!(code_b64_to_b2("b!"), None);
/// ```
#[doc(alias = "codeB64ToB2")]
pub fn code_b64_to_b2(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len().div_ceil(4) * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in s.as_bytes() {
        let digit = B64_INDEX[b as usize];
        if digit == 0xff {
            return None;
        }
        acc = (acc << 6) | u32::from(digit);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits > 0 {
        out.push((acc << (8 - bits)) as u8);
    }
    Some(out)
}

/// The first `count` sextets of `bytes` as Base64 characters (HIO's
/// `codeB2ToB64`); `None` when `bytes` is too short.
///
/// ```
/// use hio::memo::code_b2_to_b64;
/// assert_eq!(code_b2_to_b64(&[0x6c, 0x00, 0x09], 4).as_deref(), Some("bAAJ"));
/// assert_eq!(code_b2_to_b64(&[0x6c], 2), None);
/// ```
#[doc(alias = "codeB2ToB64")]
pub fn code_b2_to_b64(bytes: &[u8], count: usize) -> Option<String> {
    let need = (count * 6).div_ceil(8);
    if bytes.len() < need {
        return None;
    }
    let mut out = String::with_capacity(count);
    for k in 0..count {
        let bit = k * 6;
        let (byte, shift) = (bit / 8, bit % 8);
        let pair = u16::from(bytes[byte]) << 8 | u16::from(*bytes.get(byte + 1).unwrap_or(&0));
        let sextet = (pair >> (10 - shift)) & 63;
        out.push(char::from(B64_CHARS[sextet as usize]));
    }
    Some(out)
}

/// How memos are cut into grams: the zeroth code, text or binary headers,
/// and the gram size.
///
/// The size is clamped up to the zeroth gram's overhead plus one body byte
/// (so `Format::new(Code::GramZero, false, 6)` has size 33 and the binary
/// form 25, as in HIO) and down to [`MAX_GRAM_SIZE`] (HIO does not cap it).
///
/// ```
/// use hio::memo::{Code, Format, Mid};
/// let format = Format::new(Code::GramZero, false, 38)?;
/// let mid: Mid = "0AD5s502N14R8bWw8qyvRW-S".parse()?;
/// let grams = format.rend(b"See ya later!", &mid, None)?;
/// assert_eq!(grams[0], b"bAAAAAAD0AD5s502N14R8bWw8qyvRW-SSee ya");
/// assert_eq!(grams[2], b"bAABAAAC0AD5s502N14R8bWw8qyvRW-S!");
/// # Ok::<(), hio::memo::MemoError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Format {
    code: Code,
    curt: bool,
    size: usize,
}

impl Format {
    /// A format rending with zeroth code `code` (an error for a non-zeroth
    /// code), binary headers when `curt`, and grams of at most `size`
    /// bytes, clamped as described on [`Format`].
    pub fn new(code: Code, curt: bool, size: usize) -> Result<Format, MemoError> {
        if !code.is_zeroth() {
            return Err(MemoError::NotZerothCode(code));
        }
        let size = size.min(MAX_GRAM_SIZE).max(Format::floor(code, curt));
        Ok(Format { code, curt, size })
    }

    /// The smallest gram size for `code`: its zeroth overhead plus one
    /// body byte (33, 165 or 25, 124 binary).
    pub const fn floor(code: Code, curt: bool) -> usize {
        code.overhead(curt) + 1
    }

    /// The zeroth gram code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// True for binary ("qb2") headers.
    pub fn curt(&self) -> bool {
        self.curt
    }

    /// The gram size (after clamping).
    pub fn size(&self) -> usize {
        self.size
    }

    /// The code of the later grams.
    fn next_code(&self) -> Code {
        // `new` only accepts zeroth codes, and every zeroth code has a pair.
        self.code.pair().unwrap_or(self.code)
    }

    /// Body bytes in the zeroth gram and in each later gram.
    ///
    /// Binary later grams are sized with their *text* overhead, as HIO does,
    /// so they carry 8 (unsigned) or 30 (signed) bytes less than they could;
    /// the grams are then byte-identical to HIO's. Where that leaves no room
    /// at all (binary unsigned sizes 25–32, where HIO divides by zero or
    /// rejects every memo) the true binary overhead is used.
    pub fn bodies(&self) -> (usize, usize) {
        let next = self.next_code();
        let zeroth = self.size - self.code.overhead(self.curt);
        let later = match self.size.checked_sub(next.overhead(false)) {
            Some(n) if n > 0 => n,
            _ => self.size - next.overhead(self.curt),
        };
        (zeroth, later)
    }

    /// The largest memo this format can rend, in bytes.
    pub fn max_memo_size(&self) -> u64 {
        let (zeroth, later) = self.bodies();
        let by_count = later as u64 * u64::from(MAX_GRAM_COUNT - 1) + zeroth as u64;
        MAX_MEMO_SIZE.min(by_count)
    }

    /// The number of grams a memo of `len` bytes becomes (0 for an empty
    /// memo). HIO writes 0 for binary memos of 1–8 bytes; this is 1.
    pub fn gram_count(&self, len: usize) -> u32 {
        let (zeroth, later) = self.bodies();
        if len == 0 {
            0
        } else if len <= zeroth {
            1
        } else {
            // Bounded by MAX_GRAM_COUNT once `len <= max_memo_size()`.
            let count = 1 + (len - zeroth).div_ceil(later);
            u32::try_from(count).unwrap_or(u32::MAX)
        }
    }

    /// Cuts `memo` into grams (HIO's `rend`) with memo id `mid`.
    ///
    /// Signed codes need `signer`, the vid to put in the zeroth gram and the
    /// key that signs every gram (over the gram exactly as sent); unsigned
    /// codes ignore it. An empty memo makes no grams.
    ///
    /// Errors: the memo is longer than [`Format::max_memo_size`]; a signed
    /// code without a signer; a `B` (non-transferable) vid that is not the
    /// signer's public key.
    pub fn rend(
        &self,
        memo: &[u8],
        mid: &Mid,
        signer: Option<(&Vid, &SigningKey)>,
    ) -> Result<Vec<Vec<u8>>, MemoError> {
        let mut grams = Vec::with_capacity(self.gram_count(memo.len()) as usize);
        self.rend_each(memo, mid, signer, |gram| grams.push(gram))?;
        Ok(grams)
    }

    /// [`Format::rend`], handing each gram to `emit` instead of collecting
    /// them. Nothing is emitted when an error is returned.
    pub fn rend_each(
        &self,
        memo: &[u8],
        mid: &Mid,
        signer: Option<(&Vid, &SigningKey)>,
        mut emit: impl FnMut(Vec<u8>),
    ) -> Result<(), MemoError> {
        let len = memo.len();
        let max = self.max_memo_size();
        if len as u64 > max {
            return Err(MemoError::TooLarge {
                len: len as u64,
                max,
            });
        }
        let signer = if self.code.is_auth() {
            let (vid, key) = signer.ok_or(MemoError::MissingVid(self.code))?;
            if vid.is_non_transferable() && vid.raw() != key.verifying_key().to_bytes() {
                return Err(MemoError::KeyMismatch(vid.to_string()));
            }
            Some((vid, key))
        } else {
            None
        };
        if len == 0 {
            return Ok(());
        }
        let next = self.next_code();
        let count = self.gram_count(len);
        let (zeroth_body, later_body) = self.bodies();
        let (code_z, code_n, mid_part): (&[u8], &[u8], &[u8]);
        let (qb2_z, qb2_n, mid_qb2) = (self.code.qb2(), next.qb2(), mid.qb2());
        if self.curt {
            code_z = &qb2_z;
            code_n = &qb2_n;
            mid_part = &mid_qb2;
        } else {
            code_z = self.code.as_str().as_bytes();
            code_n = next.as_str().as_bytes();
            mid_part = &mid.as_bytes()[..];
        }
        let vid_qb2;
        let vid_part: &[u8] = match signer {
            Some((vid, _)) if self.curt => {
                vid_qb2 = vid.qb2();
                &vid_qb2
            }
            Some((vid, _)) => vid.as_str().as_bytes(),
            None => &[],
        };
        let sig_size = if signer.is_some() {
            if self.curt { SIG_LEN * 3 / 4 } else { SIG_LEN }
        } else {
            0
        };

        let mut rest = memo;
        let mut gn = 0u32;
        while !rest.is_empty() {
            let zeroth = gn == 0;
            let take = rest
                .len()
                .min(if zeroth { zeroth_body } else { later_body });
            let (body, tail) = rest.split_at(take);
            let head = code_z.len() * 2 + mid_part.len() + if zeroth { vid_part.len() } else { 0 };
            let mut gram = Vec::with_capacity(head + take + sig_size);
            gram.extend_from_slice(if zeroth { code_z } else { code_n });
            let neck = if zeroth { count } else { gn };
            if self.curt {
                push_neck_qb2(&mut gram, neck);
            } else {
                push_neck_qb64(&mut gram, neck);
            }
            gram.extend_from_slice(mid_part);
            if zeroth {
                gram.extend_from_slice(vid_part);
            }
            gram.extend_from_slice(body);
            if let Some((_, key)) = signer {
                let sig = key.sign(&gram).to_bytes();
                if self.curt {
                    gram.extend_from_slice(&SIG_QB2_LEAD);
                    gram.extend_from_slice(&sig);
                } else {
                    gram.extend_from_slice(encode_sig(&sig).as_bytes());
                }
            }
            emit(gram);
            rest = tail;
            gn += 1;
        }
        Ok(())
    }
}

impl Default for Format {
    /// Unsigned text grams of [`MAX_GRAM_SIZE`], HIO's `Memoer()` default.
    fn default() -> Self {
        Format {
            code: Code::GramZero,
            curt: false,
            size: MAX_GRAM_SIZE,
        }
    }
}

/// Which encoding a gram's header uses, from the top six bits of its first
/// byte (HIO's `wiff`): `Ok(false)` for text, `Ok(true)` for binary.
///
/// ```
/// use hio::memo::{wiff, GramError};
/// assert_eq!(wiff(b"bAAA"), Ok(false));
/// assert_eq!(wiff(&[0x6c, 0, 0]), Ok(true));
/// assert_eq!(wiff(b"__D5"), Err(GramError::Legacy));
/// assert_eq!(wiff(b""), Err(GramError::Empty));
/// ```
pub fn wiff(gram: &[u8]) -> Result<bool, GramError> {
    match gram.first().map(|b| b >> 2) {
        None => Err(GramError::Empty),
        Some(0o30) => Ok(false),
        Some(0o33) => Ok(true),
        Some(0o27 | 0o77) => Err(GramError::Legacy),
        Some(_) => Err(GramError::BadLead),
    }
}

/// One gram's header, parsed but not verified: what HIO's `pick` reads.
///
/// Borrowed from the gram; see [`parse`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gram<'a> {
    /// The gram code.
    pub code: Code,
    /// True when the header was binary.
    pub curt: bool,
    /// The memo id.
    pub mid: Mid,
    /// The neck: gram count in a zeroth gram, gram number otherwise.
    pub neck: u32,
    /// The vid, in signed zeroth grams only.
    pub vid: Option<Vid>,
    /// The memo bytes this gram carries.
    pub body: &'a [u8],
    /// What the signature covers: the gram without its signature.
    pub signed: &'a [u8],
    /// The raw Ed25519 signature, in signed grams only.
    pub sig: Option<[u8; 64]>,
}

impl Gram<'_> {
    /// The gram number: 0 for a zeroth gram, the neck otherwise.
    pub fn gn(&self) -> u32 {
        if self.code.is_zeroth() { 0 } else { self.neck }
    }

    /// The gram count, known from zeroth grams only. A count of 0 (what
    /// HIO sends for binary memos of 1–8 bytes) is read as 1.
    pub fn gc(&self) -> Option<u32> {
        self.code.is_zeroth().then_some(self.neck.max(1))
    }
}

/// Parses one head-format gram (HIO's `pick`, without the signature check
/// and the bookkeeping).
///
/// Every malformed input is an `Err` naming the reason: empty, a first byte
/// that is neither text `b` nor binary `0x6c` (a legacy-format gram is
/// [`GramError::Legacy`]), an unknown or ack code, fewer bytes than the
/// code's overhead, an illegal Base64 digit in the neck or mid, a later gram
/// numbered 0, an undecodable vid or signature. Signatures are checked
/// separately ([`Keep::verify`](super::Keep::verify)), since a later gram's
/// vid comes from its zeroth gram.
///
/// ```
/// use hio::memo::{parse, Code};
/// let gram = parse(b"bAAAAAAB0AD5s502N14R8bWw8qyvRW-SHello There")?;
/// assert_eq!((gram.code, gram.gn(), gram.gc()), (Code::GramZero, 0, Some(1)));
/// assert_eq!(gram.mid.as_str(), "0AD5s502N14R8bWw8qyvRW-S");
/// assert_eq!(gram.body, b"Hello There");
/// assert!(parse(b"bXYZAAAB0AD5s502N14R8bWw8qyvRW-S").is_err());
/// # Ok::<(), hio::memo::GramError>(())
/// ```
#[doc(alias = "pick")]
pub fn parse(gram: &[u8]) -> Result<Gram<'_>, GramError> {
    let curt = wiff(gram)?;
    let code = if curt {
        Code::from_qb2(gram)
    } else {
        Code::from_qb64(gram)
    };
    let code = code.ok_or(if gram.len() < if curt { 3 } else { 4 } {
        GramError::Truncated
    } else {
        GramError::UnknownCode
    })?;
    if code.is_ack() {
        return Err(GramError::Ack);
    }
    let overhead = code.overhead(curt);
    if gram.len() < overhead {
        return Err(GramError::Truncated);
    }
    let scale = |n: usize| if curt { n * 3 / 4 } else { n };
    let (cz, nz, mz, vz, az) = (
        scale(CODE_LEN),
        scale(NECK_LEN),
        scale(MID_LEN),
        scale(code.vid_len()),
        scale(code.sig_len()),
    );
    let neck_bytes = &gram[cz..cz + nz];
    let mid_bytes = &gram[cz + nz..cz + nz + mz];
    let vid_bytes = &gram[cz + nz + mz..cz + nz + mz + vz];
    let (neck, mid) = if curt {
        let neck = u32::from_be_bytes([0, neck_bytes[0], neck_bytes[1], neck_bytes[2]]);
        let mut qb2 = [0u8; 18];
        qb2.copy_from_slice(mid_bytes);
        (neck, Mid::from_qb2(&qb2))
    } else {
        let digits = neck_bytes.iter().map(|&b| B64_INDEX[b as usize]);
        if !is_b64(neck_bytes) {
            return Err(GramError::BadNeck);
        }
        let neck = digits.fold(0u32, |acc, d| acc << 6 | u32::from(d));
        let mid = Mid::from_qb64(mid_bytes).ok_or(GramError::BadMid)?;
        (neck, mid)
    };
    if !code.is_zeroth() && neck == 0 {
        return Err(GramError::GramNumber);
    }
    let vid = match vz {
        0 => None,
        _ if curt => Some(Vid::from_qb2(vid_bytes).ok_or(GramError::BadVid)?),
        _ => Some(Vid::from_qb64(vid_bytes).ok_or(GramError::BadVid)?),
    };
    let end = gram.len() - az;
    let sig = match az {
        0 => None,
        _ if curt => Some(super::sign::sig_from_qb2(&gram[end..]).ok_or(GramError::BadSignature)?),
        _ => Some(super::sign::sig_from_qb64(&gram[end..]).ok_or(GramError::BadSignature)?),
    };
    Ok(Gram {
        code,
        curt,
        mid,
        neck,
        vid,
        body: &gram[cz + nz + mz + vz..end],
        signed: &gram[..end],
        sig,
    })
}
