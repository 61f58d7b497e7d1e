//! Decoder for the legacy memogram format of HIO 0.6.17 – 0.7.19 (two
//! character codes `__` and `_-`). Decode only: hio-rs never sends it.
//!
//! ```text
//! zeroth:      mid(24 = code(2)+22) | [oid(44)] | gn(4)="AAAA" | gc(4) | body | [sig(88)]
//! later:       mid(24)              | [oid(44)] | gn(4)          |        body | [sig(88)]
//! ```
//!
//! The code is the first two characters of the mid; the origin id (`oid`,
//! encoded like a [`Vid`]) is repeated in every signed gram. Binary headers
//! are the 3/4-size decoding of the text ones. A receiver takes legacy grams
//! only when asked to ([`Reassembler::set_legacy`](super::Reassembler::set_legacy)).

use super::GramError;
use super::codec::{B64_INDEX, Mid};
use super::sign::{Vid, sig_from_qb2, sig_from_qb64};

/// A legacy gram code.
///
/// ```
/// use hio::memo::LegacyCode;
/// assert_eq!(LegacyCode::Signed.as_str(), "_-");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LegacyCode {
    /// `__`: unsigned.
    Basic,
    /// `_-`: signed, with the origin id in every gram.
    Signed,
}

impl LegacyCode {
    /// The two-character text form.
    pub const fn as_str(self) -> &'static str {
        match self {
            LegacyCode::Basic => "__",
            LegacyCode::Signed => "_-",
        }
    }

    /// Text sizes: origin id and signature characters.
    const fn parts(self) -> (usize, usize) {
        match self {
            LegacyCode::Basic => (0, 0),
            LegacyCode::Signed => (44, 88),
        }
    }
}

/// One legacy gram's header, parsed but not verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyGram<'a> {
    /// The code.
    pub code: LegacyCode,
    /// True when the header was binary.
    pub curt: bool,
    /// The memo id, code included (`__…` or `_-…`).
    pub mid: Mid,
    /// The origin id, in signed grams.
    pub oid: Option<Vid>,
    /// The gram number (0 for the zeroth gram).
    pub gn: u32,
    /// The gram count, in the zeroth gram only (0 read as 1).
    pub gc: Option<u32>,
    /// The memo bytes this gram carries.
    pub body: &'a [u8],
    /// What the signature covers: the gram without its signature.
    pub signed: &'a [u8],
    /// The raw signature, in signed grams.
    pub sig: Option<[u8; 64]>,
}

fn neck_qb64(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        let digit = B64_INDEX[b as usize];
        (digit != 0xff).then_some(acc << 6 | u32::from(digit))
    })
}

fn neck_qb2(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]])
}

/// Parses one legacy gram (HIO 0.7.19's `pick`, without the signature
/// check). Like the original, a gram must carry at least one body byte.
///
/// ```
/// use hio::memo::parse_legacy;
/// let gram = parse_legacy(b"__D5s502N14R8bWw8qyvRW-SAAAAAAACSee ya")?;
/// assert_eq!((gram.gn, gram.gc, gram.body), (0, Some(2), &b"See ya"[..]));
/// assert_eq!(gram.mid.as_str(), "__D5s502N14R8bWw8qyvRW-S");
/// let gram = parse_legacy(b"__D5s502N14R8bWw8qyvRW-SAAAB later!")?;
/// assert_eq!((gram.gn, gram.gc, gram.body), (1, None, &b" later!"[..]));
/// assert!(parse_legacy(b"bAAAAAAB0AD5s502N14R8bWw8qyvRW-SHi").is_err());
/// # Ok::<(), hio::memo::GramError>(())
/// ```
pub fn parse_legacy(gram: &[u8]) -> Result<LegacyGram<'_>, GramError> {
    let curt = match gram.first().map(|b| b >> 2) {
        None => return Err(GramError::Empty),
        Some(0o27) => false,
        Some(0o77) => true,
        Some(_) => return Err(GramError::BadLead),
    };
    if gram.len() < 2 {
        return Err(GramError::Truncated);
    }
    let code = if curt {
        match (gram[0], gram[1] >> 4) {
            (0xff, 0xf) => LegacyCode::Basic,
            (0xff, 0xe) => LegacyCode::Signed,
            _ => return Err(GramError::UnknownCode),
        }
    } else {
        match &gram[..2] {
            b"__" => LegacyCode::Basic,
            b"_-" => LegacyCode::Signed,
            _ => return Err(GramError::UnknownCode),
        }
    };
    let (oz, sz) = code.parts();
    let scale = |n: usize| if curt { n * 3 / 4 } else { n };
    let (mz, oz, nz, sz) = (scale(24), scale(oz), scale(4), scale(sz));
    let hz = mz + oz + nz + sz; // header with the short neck, signature included
    if gram.len() < hz + 1 {
        return Err(GramError::Truncated);
    }
    let mid = if curt {
        let mut qb2 = [0u8; 18];
        qb2.copy_from_slice(&gram[..mz]);
        Mid::from_qb2(&qb2)
    } else {
        Mid::from_qb64(&gram[..mz]).ok_or(GramError::BadMid)?
    };
    let oid = match oz {
        0 => None,
        _ if curt => Some(Vid::from_qb2(&gram[mz..mz + oz]).ok_or(GramError::BadVid)?),
        _ => Some(Vid::from_qb64(&gram[mz..mz + oz]).ok_or(GramError::BadVid)?),
    };
    let read = |at: usize| -> Result<u32, GramError> {
        let bytes = &gram[at..at + nz];
        if curt {
            Ok(neck_qb2(bytes))
        } else {
            neck_qb64(bytes).ok_or(GramError::BadNeck)
        }
    };
    let gn = read(mz + oz)?;
    let (gc, start) = if gn == 0 {
        if gram.len() < hz + nz + 1 {
            return Err(GramError::Truncated);
        }
        (Some(read(mz + oz + nz)?.max(1)), mz + oz + 2 * nz)
    } else {
        (None, mz + oz + nz)
    };
    let end = gram.len() - sz;
    let sig = match sz {
        0 => None,
        _ if curt => Some(sig_from_qb2(&gram[end..]).ok_or(GramError::BadSignature)?),
        _ => Some(sig_from_qb64(&gram[end..]).ok_or(GramError::BadSignature)?),
    };
    Ok(LegacyGram {
        code,
        curt,
        mid,
        oid,
        gn,
        gc,
        body: &gram[start..end],
        signed: &gram[..end],
        sig,
    })
}
