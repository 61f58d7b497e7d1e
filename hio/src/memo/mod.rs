//! Memograms: HIO's segmentation protocol for datagram transports.
//!
//! A **memo** is an application message (UTF-8 text). A **gram** is one
//! datagram carrying a header and a slice of the memo's bytes. Rending cuts
//! a memo into grams no bigger than a gram size; reassembly puts received
//! grams back together, in any order, and may check an Ed25519 signature on
//! every gram. The wire format is Python HIO 0.7.20's, byte for byte
//! (`shared/spec/hio-io.md` §7); the older two-character format of HIO
//! 0.6.17 – 0.7.19 can be decoded on request ([`parse_legacy`]).
//!
//! The pieces:
//!
//! - the codec: [`Code`], [`Mid`], [`Format::rend`], [`parse`];
//! - signing: [`Vid`], [`Keep`], and the CESR text encodings;
//! - [`Reassembler`]: grams in, [`Memo`]s out, with a tymeout for partial
//!   memos and a cap on buffered bytes;
//! - [`Memoer`]: the queues and service calls, over any datagram
//!   [`Transport`]; `hio::testing::LoopNet` (feature `test-util`) is an
//!   in-memory one for tests.
//!
//! Deliberate differences from Python HIO (invalid input dropped rather
//! than crashing, a correct gram count for short binary memos, no lost
//! grams on would-block, …) are listed in `docs/memo-notes.md`.
//!
//! ```
//! use hio::memo::{Keep, Memoer, MemoerOpts};
//! use hio::testing::LoopNet;
//!
//! let net = LoopNet::new();
//! let mut keep = Keep::new();
//! let vid = keep.insert_seed(&[7; 32]);
//! let options = MemoerOpts { size: Some(200), ..MemoerOpts::auth(vid, keep) };
//! let mut alpha = Memoer::with_options(net.port("alpha"), options)?;
//! let mut beta = Memoer::with_options(net.port("beta"), MemoerOpts { authic: true, ..Default::default() })?;
//!
//! alpha.memoit("a signed memo, long enough to need two grams of 200 bytes", "beta".to_owned());
//! alpha.service()?;
//! assert_eq!(net.queued("beta"), 2);
//! beta.service()?;
//! let memo = beta.inbox_mut().pop_front().unwrap();
//! assert_eq!(memo.vid, Some(vid));
//! assert!(memo.memo.starts_with("a signed memo"));
//! # Ok::<(), hio::Error>(())
//! ```

mod codec;
mod legacy;
mod memoer;
mod reasm;
mod sign;

pub use codec::{
    Code, Format, Gram, MAX_GRAM_COUNT, MAX_GRAM_SIZE, MAX_MEMO_SIZE, Mid, b64_to_int,
    code_b2_to_b64, code_b64_to_b2, int_to_b64, parse, wiff,
};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use legacy::{LegacyCode, LegacyGram, parse_legacy};
pub use memoer::{Memoer, MemoerOpts, Transport, is_far_peer_error};
pub use reasm::{Accepted, Memo, Reassembler};
pub use sign::{
    Keep, Keyage, Vid, VidCode, decode_qss, decode_qvk, decode_sig, encode_qss, encode_qvk,
    encode_sig,
};

/// Why a received gram was dropped.
///
/// Python HIO raises on several of these (an unknown code, an illegal
/// Base64 digit, an ack code) and the exception escapes its service loop;
/// here every one is a drop with a logged reason.
///
/// ```
/// use hio::memo::{parse, GramError};
/// assert_eq!(parse(b"bAAA").unwrap_err(), GramError::Truncated);
/// assert_eq!(GramError::Truncated.to_string(), "gram shorter than its header");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum GramError {
    /// Zero bytes.
    #[error("empty gram")]
    Empty,
    /// The first byte is neither text `b` nor binary `0x6c`.
    #[error("gram does not start with a gram code")]
    BadLead,
    /// A legacy-format gram (`__`/`_-`), and legacy decoding is off.
    #[error("legacy-format gram (legacy decoding is off)")]
    Legacy,
    /// A code that is not `bAAA` … `bAAJ` (or `__`/`_-` for legacy).
    #[error("unknown gram code")]
    UnknownCode,
    /// An ack code: acks are reserved and not implemented.
    #[error("ack grams are not supported")]
    Ack,
    /// Fewer bytes than the code's header and signature.
    #[error("gram shorter than its header")]
    Truncated,
    /// An illegal Base64 digit in the neck.
    #[error("illegal digit in the gram number or count")]
    BadNeck,
    /// An illegal Base64 character in the mid.
    #[error("illegal character in the memo id")]
    BadMid,
    /// A vid that is not a `B`/`D`/`E` primitive or not an Ed25519 key.
    #[error("invalid verifier id")]
    BadVid,
    /// A signature that is not a `0B` primitive.
    #[error("undecodable signature")]
    BadSignature,
    /// A `D`/`E` vid with no key in the keep.
    #[error("no key in the keep for the verifier id")]
    UnknownVerifier,
    /// The signature does not verify.
    #[error("signature does not verify")]
    Unverified,
    /// An unsigned gram, and only signed grams are accepted (`authic`).
    #[error("unsigned gram where signed grams are required")]
    Unsigned,
    /// A later gram numbered 0, or at or past its memo's gram count.
    #[error("gram number out of range")]
    GramNumber,
    /// A gram whose kind (signed or not, signer, legacy or not) differs from
    /// its memo's zeroth gram.
    #[error("gram does not match its memo's zeroth gram")]
    Mixed,
    /// Storing the gram would pass the cap on buffered bytes.
    #[error("reassembly buffer full")]
    Overflow,
}

/// A memogram operation failed: rending, a key or encoding, or (wrapped) a
/// gram that was dropped. Converts into [`crate::Error::Memo`].
///
/// ```
/// use hio::memo::{Code, Format, MemoError};
/// assert_eq!(Format::new(Code::Gram, false, 100), Err(MemoError::NotZerothCode(Code::Gram)));
/// let err: hio::Error = MemoError::NotZerothCode(Code::Gram).into();
/// assert_eq!(err.to_string(), "memogram: bAAB is not a zeroth gram code");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemoError {
    /// The memo is longer than the format can carry.
    #[error("memogram: memo of {len} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// Memo length in bytes.
        len: u64,
        /// The maximum for the format.
        max: u64,
    },
    /// Rending needs a zeroth code.
    #[error("memogram: {0} is not a zeroth gram code")]
    NotZerothCode(Code),
    /// A signed code and no vid to sign with.
    #[error("memogram: code {0} signs, and no vid was given")]
    MissingVid(Code),
    /// No signing key in the keep for this vid.
    #[error("memogram: no signing key for vid {0}")]
    UnknownSigner(String),
    /// A key does not belong to the vid or verifying key it is paired with.
    #[error("memogram: key does not match {0}")]
    KeyMismatch(String),
    /// A malformed text primitive.
    #[error("memogram: invalid {what}: {why}")]
    Invalid {
        /// What was being decoded.
        what: &'static str,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The operating system's random generator failed.
    #[error("memogram: no randomness for a memo id")]
    Random,
    /// A gram was rejected.
    #[error("memogram: {0}")]
    Gram(#[from] GramError),
}
