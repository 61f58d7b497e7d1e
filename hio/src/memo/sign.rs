//! Signing: verifier ids ([`Vid`]), the key store ([`Keep`]), and the CESR
//! text encodings of keys, seeds and signatures.
//!
//! Every encoding here is a CESR primitive: a code, then the Base64-URL
//! encoding of the raw bytes after they are prefixed with enough zero bytes
//! to align them on 24 bits, with as many leading characters dropped as the
//! code is long. Decoders check the code, the length, that the pad bits are
//! zero, and the alphabet (URL-safe only).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};

use super::codec::{SIG_LEN, VID_LEN, is_b64};
use super::{GramError, MemoError};

/// The first two bytes of a binary signature: the code `0B` and four zero
/// pad bits.
pub(crate) const SIG_QB2_LEAD: [u8; 2] = [0xd0, 0x10];

/// The derivation code of a [`Vid`].
///
/// ```
/// use hio::memo::VidCode;
/// assert_eq!(VidCode::Ed25519N.as_char(), 'B');
/// assert_eq!(VidCode::from_char('E'), Some(VidCode::Blake3_256));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VidCode {
    /// `B`: an Ed25519 public key, non-transferable. The key *is* the vid,
    /// so a receiver needs no [`Keep`] entry to verify it.
    Ed25519N,
    /// `D`: an Ed25519 public key, transferable; verified with the key in
    /// the receiver's [`Keep`].
    Ed25519,
    /// `E`: a Blake3-256 digest; verified with the key in the receiver's
    /// [`Keep`].
    Blake3_256,
}

impl VidCode {
    /// The code character.
    pub const fn as_char(self) -> char {
        match self {
            VidCode::Ed25519N => 'B',
            VidCode::Ed25519 => 'D',
            VidCode::Blake3_256 => 'E',
        }
    }

    /// The code for character `c`.
    pub const fn from_char(c: char) -> Option<VidCode> {
        match c {
            'B' => Some(VidCode::Ed25519N),
            'D' => Some(VidCode::Ed25519),
            'E' => Some(VidCode::Blake3_256),
            _ => None,
        }
    }

    /// The code's Base64 digit value (the top six bits of the binary form).
    const fn sextet(self) -> u8 {
        match self {
            VidCode::Ed25519N => 1,
            VidCode::Ed25519 => 3,
            VidCode::Blake3_256 => 4,
        }
    }
}

/// Decodes a CESR text primitive of `text.len()` characters whose code is
/// `code_len` characters: returns the decoded bytes (code sextets included)
/// after checking the alphabet. `text.len()` must be a multiple of 4.
fn decode_qb64<const N: usize>(text: &[u8]) -> Option<[u8; N]> {
    if text.len() != N / 3 * 4 || !is_b64(text) {
        return None;
    }
    let mut out = [0u8; N];
    match URL_SAFE_NO_PAD.decode_slice(text, &mut out) {
        Ok(n) if n == N => Some(out),
        _ => None,
    }
}

/// Encodes a CESR primitive from its binary form (code sextets included).
fn encode_qb64<const N: usize>(qb2: &[u8], out: &mut [u8; N]) {
    let n = URL_SAFE_NO_PAD.encode_slice(qb2, out);
    debug_assert_eq!(n.ok(), Some(N));
}

/// A verifier id: the 44-character CESR identifier of whoever signs a memo
/// (HIO's `vid`), code `B`, `D` or `E` plus 43 characters of 32 raw bytes.
///
/// ```
/// use hio::memo::{Vid, VidCode};
/// let verkey = [0x6f, 0x91, 0xf4, 0xbe, 0x24, 0x4d, 0x75, 0x0b, 0x7b, 0x7d, 0xd3, 0xaa,
///     0x27, 0x67, 0xd1, 0xcf, 0x96, 0xfb, 0x1e, 0xb1, 0x53, 0x89, 0x48, 0x5c, 0x27, 0x61,
///     0x65, 0x06, 0x2b, 0xb2, 0x28, 0x76];
/// let vid = Vid::new(VidCode::Ed25519N, &verkey);
/// assert_eq!(vid.as_str(), "BG-R9L4kTXULe33Tqidn0c-W-x6xU4lIXCdhZQYrsih2");
/// assert_eq!(vid.as_str().parse::<Vid>()?, vid);
/// assert_eq!((vid.code(), vid.raw()), (VidCode::Ed25519N, verkey));
/// # Ok::<(), hio::memo::MemoError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Vid([u8; VID_LEN]);

impl Vid {
    /// The vid with `code` of `raw` (HIO's `_encodeVID`).
    #[doc(alias = "_encodeVID")]
    pub fn new(code: VidCode, raw: &[u8; 32]) -> Vid {
        let mut qb2 = [0u8; 33];
        qb2[0] = code.sextet() << 2;
        qb2[1..].copy_from_slice(raw);
        let mut text = [0u8; VID_LEN];
        encode_qb64(&qb2, &mut text);
        Vid(text)
    }

    /// The non-transferable (`B`) vid of an Ed25519 public key.
    pub fn from_verkey(key: &VerifyingKey) -> Vid {
        Vid::new(VidCode::Ed25519N, key.as_bytes())
    }

    /// The vid whose text form is `bytes` (HIO's `_decodeVID`); `None` for a
    /// wrong length, code, alphabet or nonzero pad bits.
    pub fn from_qb64(bytes: &[u8]) -> Option<Vid> {
        let qb2: [u8; 33] = decode_qb64(bytes)?;
        Vid::from_qb2(&qb2)
    }

    /// The vid whose 33-byte binary form is `bytes`.
    pub fn from_qb2(bytes: &[u8]) -> Option<Vid> {
        let qb2: [u8; 33] = bytes.try_into().ok()?;
        let code = B64_CODE[usize::from(qb2[0] >> 2)]?;
        if qb2[0] & 0b11 != 0 {
            return None;
        }
        let mut text = [0u8; VID_LEN];
        encode_qb64(&qb2, &mut text);
        debug_assert_eq!(char::from(text[0]), code.as_char());
        Some(Vid(text))
    }

    /// The 33-byte binary form.
    pub fn qb2(&self) -> [u8; 33] {
        // Checked on construction, so it decodes.
        decode_qb64(&self.0).expect("a vid decodes by construction")
    }

    /// The derivation code.
    pub fn code(&self) -> VidCode {
        VidCode::from_char(char::from(self.0[0])).expect("a vid has a known code by construction")
    }

    /// True for a `B` vid, whose raw bytes are the verifying key itself.
    pub fn is_non_transferable(&self) -> bool {
        self.0[0] == b'B'
    }

    /// The 32 raw bytes (a public key or digest).
    pub fn raw(&self) -> [u8; 32] {
        let mut raw = [0u8; 32];
        raw.copy_from_slice(&self.qb2()[1..]);
        raw
    }

    /// The 44-character text form.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("a vid is ASCII by construction")
    }
}

/// `VidCode` by Base64 digit value, for the binary form's first sextet.
const B64_CODE: [Option<VidCode>; 64] = {
    let mut table = [None; 64];
    table[1] = Some(VidCode::Ed25519N);
    table[3] = Some(VidCode::Ed25519);
    table[4] = Some(VidCode::Blake3_256);
    table
};

impl fmt::Display for Vid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Vid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Vid({})", self.as_str())
    }
}

impl FromStr for Vid {
    type Err = MemoError;

    fn from_str(s: &str) -> Result<Vid, MemoError> {
        Vid::from_qb64(s.as_bytes()).ok_or(MemoError::Invalid {
            what: "vid",
            why: "not a 44-character B, D or E primitive",
        })
    }
}

/// The `B` text form of an Ed25519 public key (HIO's `_encodeQVK`); the same
/// string as its non-transferable [`Vid`].
///
/// ```
/// use hio::memo::{decode_qvk, encode_qvk};
/// let qvk = encode_qvk(&[7; 32]);
/// assert_eq!(decode_qvk(&qvk)?, [7; 32]);
/// # Ok::<(), hio::memo::MemoError>(())
/// ```
#[doc(alias = "_encodeQVK")]
pub fn encode_qvk(raw: &[u8; 32]) -> String {
    Vid::new(VidCode::Ed25519N, raw).to_string()
}

/// The raw public key of a `B` text form (HIO's `_decodeQVK`).
#[doc(alias = "_decodeQVK")]
pub fn decode_qvk(qvk: &str) -> Result<[u8; 32], MemoError> {
    match Vid::from_qb64(qvk.as_bytes()) {
        Some(vid) if vid.is_non_transferable() => Ok(vid.raw()),
        _ => Err(MemoError::Invalid {
            what: "qvk",
            why: "not a 44-character B primitive",
        }),
    }
}

/// The `A` text form of a 32-byte Ed25519 seed (HIO's `_encodeQSS`).
///
/// ```
/// use hio::memo::{decode_qss, encode_qss};
/// let seed: [u8; 32] = std::array::from_fn(|i| i as u8);
/// assert_eq!(encode_qss(&seed), "AAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f");
/// assert_eq!(decode_qss(&encode_qss(&seed))?, seed);
/// # Ok::<(), hio::memo::MemoError>(())
/// ```
#[doc(alias = "_encodeQSS")]
pub fn encode_qss(raw: &[u8; 32]) -> String {
    let mut qb2 = [0u8; 33];
    qb2[1..].copy_from_slice(raw);
    let mut text = [0u8; 44];
    encode_qb64(&qb2, &mut text);
    String::from_utf8_lossy(&text).into_owned()
}

/// The raw seed of an `A` text form (HIO's `_decodeQSS`).
#[doc(alias = "_decodeQSS")]
pub fn decode_qss(qss: &str) -> Result<[u8; 32], MemoError> {
    match decode_qb64::<33>(qss.as_bytes()) {
        Some(qb2) if qb2[0] == 0 => {
            let mut raw = [0u8; 32];
            raw.copy_from_slice(&qb2[1..]);
            Ok(raw)
        }
        _ => Err(MemoError::Invalid {
            what: "qss",
            why: "not a 44-character A primitive",
        }),
    }
}

/// The `0B` text form of a 64-byte Ed25519 signature (HIO's `_encodeSGN`).
///
/// ```
/// use hio::memo::{decode_sig, encode_sig};
/// let text = encode_sig(&[0; 64]);
/// assert_eq!(text.len(), 88);
/// assert!(text.starts_with("0BAA"));
/// assert_eq!(decode_sig(&text)?, [0; 64]);
/// # Ok::<(), hio::memo::MemoError>(())
/// ```
#[doc(alias = "_encodeSGN")]
pub fn encode_sig(raw: &[u8; 64]) -> String {
    let mut qb2 = [0u8; 66];
    qb2[..2].copy_from_slice(&SIG_QB2_LEAD);
    qb2[2..].copy_from_slice(raw);
    let mut text = [0u8; SIG_LEN];
    encode_qb64(&qb2, &mut text);
    String::from_utf8_lossy(&text).into_owned()
}

/// The raw signature of a `0B` text form (HIO's `_decodeSGN`).
#[doc(alias = "_decodeSGN")]
pub fn decode_sig(sig: &str) -> Result<[u8; 64], MemoError> {
    sig_from_qb64(sig.as_bytes()).ok_or(MemoError::Invalid {
        what: "signature",
        why: "not an 88-character 0B primitive",
    })
}

pub(crate) fn sig_from_qb64(bytes: &[u8]) -> Option<[u8; 64]> {
    let qb2: [u8; 66] = decode_qb64(bytes)?;
    sig_from_qb2(&qb2)
}

pub(crate) fn sig_from_qb2(bytes: &[u8]) -> Option<[u8; 64]> {
    if bytes.len() != 66 || bytes[..2] != SIG_QB2_LEAD {
        return None;
    }
    let mut raw = [0u8; 64];
    raw.copy_from_slice(&bytes[2..]);
    Some(raw)
}

/// One entry of a [`Keep`]: a verifying key and, for one's own vids, the
/// signing key (HIO's `Keyage(qvk, qss)`).
///
/// ```
/// use hio::memo::Keyage;
/// let seed = [1; 32];
/// let keyage = Keyage::from_seed(&seed);
/// assert!(keyage.signing_key().is_some());
/// let same = Keyage::from_text(&keyage.qvk(), keyage.qss().as_deref())?;
/// assert_eq!(same.qvk(), keyage.qvk());
/// assert!(Keyage::from_text(&keyage.qvk(), None)?.signing_key().is_none());
/// # Ok::<(), hio::memo::MemoError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Keyage {
    verkey: VerifyingKey,
    signing: Option<SigningKey>,
}

impl Keyage {
    /// The key pair of a 32-byte Ed25519 seed.
    pub fn from_seed(seed: &[u8; 32]) -> Keyage {
        let signing = SigningKey::from_bytes(seed);
        Keyage {
            verkey: signing.verifying_key(),
            signing: Some(signing),
        }
    }

    /// A verify-only entry.
    pub fn from_verkey(verkey: VerifyingKey) -> Keyage {
        Keyage {
            verkey,
            signing: None,
        }
    }

    /// HIO's text form: the `B` verifying key `qvk` and, optionally, the `A`
    /// seed `qss` (which must belong to `qvk`).
    pub fn from_text(qvk: &str, qss: Option<&str>) -> Result<Keyage, MemoError> {
        let raw = decode_qvk(qvk)?;
        let verkey = VerifyingKey::from_bytes(&raw).map_err(|_| MemoError::Invalid {
            what: "qvk",
            why: "not an Ed25519 public key",
        })?;
        match qss {
            None => Ok(Keyage::from_verkey(verkey)),
            Some(qss) => {
                let keyage = Keyage::from_seed(&decode_qss(qss)?);
                if keyage.verkey != verkey {
                    return Err(MemoError::KeyMismatch(qvk.to_owned()));
                }
                Ok(keyage)
            }
        }
    }

    /// The verifying (public) key.
    pub fn verkey(&self) -> &VerifyingKey {
        &self.verkey
    }

    /// The signing key, if this entry has one.
    pub fn signing_key(&self) -> Option<&SigningKey> {
        self.signing.as_ref()
    }

    /// The `B` text form of the verifying key.
    pub fn qvk(&self) -> String {
        encode_qvk(self.verkey.as_bytes())
    }

    /// The `A` text form of the seed, if this entry has one.
    pub fn qss(&self) -> Option<String> {
        self.signing.as_ref().map(|key| encode_qss(&key.to_bytes()))
    }
}

/// Keys by vid (HIO's `keep`): signing keys for one's own vids, verifying
/// keys for the `D`/`E` vids of peers. `B` vids need no entry to be
/// verified.
///
/// ```
/// use hio::memo::Keep;
/// let mut keep = Keep::new();
/// let vid = keep.insert_seed(&[0; 32]);
/// let sig = keep.sign(&vid, b"hello")?;
/// assert!(keep.verify(&vid, &sig, b"hello").is_ok());
/// assert!(Keep::new().verify(&vid, &sig, b"hello").is_ok()); // B vid: no entry needed
/// assert!(keep.verify(&vid, &sig, b"hellO").is_err());
/// # Ok::<(), hio::memo::MemoError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Keep {
    keys: HashMap<Vid, Keyage>,
}

impl Keep {
    /// An empty keep.
    pub fn new() -> Keep {
        Keep::default()
    }

    /// Adds or replaces the entry for `vid`.
    pub fn insert(&mut self, vid: Vid, keyage: Keyage) {
        self.keys.insert(vid, keyage);
    }

    /// Adds the key pair of `seed` under its non-transferable vid, and
    /// returns that vid.
    pub fn insert_seed(&mut self, seed: &[u8; 32]) -> Vid {
        let keyage = Keyage::from_seed(seed);
        let vid = Vid::from_verkey(keyage.verkey());
        self.keys.insert(vid, keyage);
        vid
    }

    /// The entry for `vid`.
    pub fn get(&self, vid: &Vid) -> Option<&Keyage> {
        self.keys.get(vid)
    }

    /// Removes and returns the entry for `vid`.
    pub fn remove(&mut self, vid: &Vid) -> Option<Keyage> {
        self.keys.remove(vid)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The signing key for `vid`.
    pub fn signing_key(&self, vid: &Vid) -> Result<&SigningKey, MemoError> {
        self.keys
            .get(vid)
            .and_then(Keyage::signing_key)
            .ok_or_else(|| MemoError::UnknownSigner(vid.to_string()))
    }

    /// Signs `ser` with the key of `vid` (HIO's `sign`, raw result).
    pub fn sign(&self, vid: &Vid, ser: &[u8]) -> Result<[u8; 64], MemoError> {
        Ok(self.signing_key(vid)?.sign(ser).to_bytes())
    }

    /// The key that verifies `vid`'s signatures: the vid itself for `B`,
    /// this keep's entry for `D` and `E`.
    pub fn verkey(&self, vid: &Vid) -> Result<VerifyingKey, GramError> {
        if vid.is_non_transferable() {
            VerifyingKey::from_bytes(&vid.raw()).map_err(|_| GramError::BadVid)
        } else {
            self.keys
                .get(vid)
                .map(|k| k.verkey)
                .ok_or(GramError::UnknownVerifier)
        }
    }

    /// Checks `sig` over `ser` for `vid` (HIO's `verify`).
    pub fn verify(&self, vid: &Vid, sig: &[u8; 64], ser: &[u8]) -> Result<(), GramError> {
        verify(&self.verkey(vid)?, sig, ser)
    }
}

/// Checks an Ed25519 signature with the strict rules (canonical encodings,
/// no small-order keys), as libsodium does.
pub(crate) fn verify(verkey: &VerifyingKey, sig: &[u8; 64], ser: &[u8]) -> Result<(), GramError> {
    verkey
        .verify_strict(ser, &Signature::from_bytes(sig))
        .map_err(|_| GramError::Unverified)
}
