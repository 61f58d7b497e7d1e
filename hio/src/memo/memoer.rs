//! [`Memoer`]: memo queues, segmentation and reassembly over any datagram
//! [`Transport`].

use std::collections::VecDeque;
use std::fmt;
use std::io;

use ed25519_dalek::SigningKey;

use super::codec::{Code, Format, MAX_GRAM_SIZE, Mid};
use super::reasm::{Memo, Reassembler};
use super::sign::{Keep, Vid};
use super::{GramError, MemoError};
use crate::error::Result;
use crate::tyming::Tymth;

/// The datagram side of a [`Memoer`]: one non-blocking attempt per call,
/// never waiting (HIO's `send`/`receive` that a transport class provides).
///
/// Would-block is not an error: `receive` returns `Ok(None)` and `send`
/// returns `Ok(0)` (an `Err` of kind [`io::ErrorKind::WouldBlock`] is read
/// the same way). A UDP transport should report `ENOBUFS`/`ENOMEM` as
/// would-block too, as HIO's UDP peer does.
///
/// ```
/// use std::collections::VecDeque;
/// use std::io;
/// use hio::memo::{Memoer, Transport};
///
/// /// A transport that talks to itself.
/// #[derive(Default)]
/// struct Mirror(VecDeque<Vec<u8>>);
///
/// impl Transport for Mirror {
///     type Addr = ();
///     fn receive(&mut self, buf: &mut [u8]) -> io::Result<Option<(usize, ())>> {
///         Ok(self.0.pop_front().map(|gram| {
///             let n = gram.len().min(buf.len());
///             buf[..n].copy_from_slice(&gram[..n]);
///             (n, ())
///         }))
///     }
///     fn send(&mut self, gram: &[u8], _dst: &()) -> io::Result<usize> {
///         self.0.push_back(gram.to_vec());
///         Ok(gram.len())
///     }
/// }
///
/// let mut memoer = Memoer::new(Mirror::default());
/// memoer.memoit("Hello There", ());
/// memoer.service()?;
/// memoer.service()?;
/// assert_eq!(memoer.inbox_mut().pop_front().unwrap().memo, "Hello There");
/// # Ok::<(), hio::Error>(())
/// ```
pub trait Transport {
    /// A peer address (`SocketAddr` for UDP, a path for UXD). Hashable, as
    /// the reassembler shares its buffer fairly among sources.
    type Addr: Clone + fmt::Debug + Eq + std::hash::Hash;

    /// Receives one datagram into `buf`: its length and source, or
    /// `Ok(None)` when nothing is waiting. A datagram longer than `buf` may
    /// be truncated, as sockets do.
    fn receive(&mut self, buf: &mut [u8]) -> io::Result<Option<(usize, Self::Addr)>>;

    /// Sends `gram` to `dst` and returns the bytes sent: `0` when the
    /// transport would block (the Memoer keeps the gram and retries), fewer
    /// than `gram.len()` for a partial send (the rest is retried). Errors
    /// for which [`is_far_peer_error`] is true drop the gram; other errors
    /// drop it and are returned from the service call.
    fn send(&mut self, gram: &[u8], dst: &Self::Addr) -> io::Result<usize>;

    /// The largest gram this transport carries: the Memoer's default and
    /// cap for its gram size. HIO: 65535, UDP 1240, UXD 65535.
    fn max_gram_size(&self) -> usize {
        MAX_GRAM_SIZE
    }

    /// False while the transport is closed; the Memoer's service calls
    /// then leave it alone.
    fn opened(&self) -> bool {
        true
    }
}

/// True for the send errors that mean "this destination is unreachable"
/// (HIO's list: `ECONNREFUSED`, `ENOENT`, `ECONNRESET`, `ENETRESET`,
/// `ENETUNREACH`, `EHOSTUNREACH`, `ENETDOWN`, `EHOSTDOWN`, `ETIMEDOUT`,
/// `ETIME`): the Memoer drops the gram and goes on with the others.
///
/// ```
/// use std::io::{Error, ErrorKind};
/// use hio::memo::is_far_peer_error;
/// assert!(is_far_peer_error(&Error::from(ErrorKind::ConnectionRefused)));
/// assert!(is_far_peer_error(&Error::from(ErrorKind::NotFound)));
/// assert!(!is_far_peer_error(&Error::from(ErrorKind::PermissionDenied)));
/// ```
pub fn is_far_peer_error(err: &io::Error) -> bool {
    use io::ErrorKind::*;
    if matches!(
        err.kind(),
        ConnectionRefused
            | NotFound
            | ConnectionReset
            | NetworkUnreachable
            | HostUnreachable
            | NetworkDown
            | TimedOut
    ) {
        return true;
    }
    // ENETRESET, EHOSTDOWN and ETIME have no ErrorKind of their own.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const OTHERS: [i32; 3] = [102, 112, 62];
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    const OTHERS: [i32; 3] = [52, 64, 101];
    #[cfg(not(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd"
    )))]
    const OTHERS: [i32; 0] = [];
    err.raw_os_error()
        .is_some_and(|code| OTHERS.contains(&code))
}

fn is_would_block(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

/// Mids for outgoing memos: a random 8-byte prefix per Memoer and a
/// counter from a random start, so mids are unique without a system call
/// per memo.
#[derive(Debug, Default)]
struct MidGen {
    state: Option<([u8; 8], u64)>,
}

impl MidGen {
    fn next(&mut self) -> Result<Mid, MemoError> {
        let (prefix, counter) = match &mut self.state {
            Some(state) => state,
            state @ None => {
                let mut seed = [0u8; 16];
                getrandom::fill(&mut seed).map_err(|_| MemoError::Random)?;
                let mut prefix = [0u8; 8];
                prefix.copy_from_slice(&seed[..8]);
                let mut start = [0u8; 8];
                start.copy_from_slice(&seed[8..]);
                state.insert((prefix, u64::from_be_bytes(start)))
            }
        };
        *counter = counter.wrapping_add(1);
        let mut raw = [0u8; 16];
        raw[..8].copy_from_slice(prefix);
        raw[8..].copy_from_slice(&counter.to_be_bytes());
        Ok(Mid::from_raw(&raw))
    }
}

/// How to build a [`Memoer`] (HIO's keyword arguments); start from
/// `Default` or [`MemoerOpts::auth`].
///
/// ```
/// use hio::memo::{Code, MemoerOpts};
/// let options = MemoerOpts { curt: true, size: Some(38), ..Default::default() };
/// assert_eq!(options.code, Code::GramZero);
/// ```
#[derive(Clone, Debug)]
pub struct MemoerOpts {
    /// Name, for logs. Default `"main"`.
    pub name: String,
    /// Zeroth gram code used to rend. Default `bAAA` (unsigned).
    pub code: Code,
    /// Binary headers when rending. Default false.
    pub curt: bool,
    /// Gram size; `None` means the transport's
    /// [`max_gram_size`](Transport::max_gram_size). Clamped to
    /// `[zeroth overhead + 1, max_gram_size]`.
    pub size: Option<usize>,
    /// Accept signed grams only. Default false.
    pub authic: bool,
    /// Own vid: signs outgoing memos when the code is signed.
    pub vid: Option<Vid>,
    /// Signing keys for own vids, verifying keys for peers' `D`/`E` vids.
    pub keep: Keep,
    /// Also decode legacy (HIO 0.6.17 – 0.7.19) grams. Default false.
    pub legacy: bool,
    /// Seconds of tyme after which a partial memo that received nothing new
    /// is dropped; 0.0 means never. Default
    /// [`Reassembler::TYMEOUT`] (60 s).
    pub reassembly_tymeout: f64,
    /// Cap on bytes buffered for partial memos. Default
    /// [`Reassembler::MAX_BUFFERED`] (64 MiB).
    pub max_buffered: usize,
}

impl Default for MemoerOpts {
    fn default() -> Self {
        MemoerOpts {
            name: "main".to_owned(),
            code: Code::GramZero,
            curt: false,
            size: None,
            authic: false,
            vid: None,
            keep: Keep::new(),
            legacy: false,
            reassembly_tymeout: Reassembler::<()>::TYMEOUT,
            max_buffered: Reassembler::<()>::MAX_BUFFERED,
        }
    }
}

impl MemoerOpts {
    /// HIO's `AuthMemoer`: signs with `vid` (whose key is in `keep`), code
    /// `bAAC`, and accepts signed grams only.
    ///
    /// ```
    /// use hio::{memo::{Keep, Memoer, MemoerOpts}, testing::LoopNet};
    /// let mut keep = Keep::new();
    /// let vid = keep.insert_seed(&[3; 32]);
    /// let memoer = Memoer::with_options(LoopNet::new().port("a"), MemoerOpts::auth(vid, keep))?;
    /// assert!(memoer.authic() && memoer.code().is_auth());
    /// # Ok::<(), hio::Error>(())
    /// ```
    #[doc(alias = "AuthMemoer")]
    pub fn auth(vid: Vid, keep: Keep) -> Self {
        MemoerOpts {
            code: Code::GramAuthZero,
            authic: true,
            vid: Some(vid),
            keep,
            ..MemoerOpts::default()
        }
    }
}

/// A gram being sent: the rest not yet accepted by the transport.
struct TxBuf<A> {
    gram: Vec<u8>,
    sent: usize,
    dst: A,
}

/// Memograms over a datagram [`Transport`]: queues memos, rends them into
/// grams, sends them with back-pressure, and reassembles received grams
/// into memos (HIO's `Memoer` mixin, with the transport as a field).
///
/// Transmit: `memoit` → `txms` → rend → `txgs` → send (a gram the
/// transport cannot take now stays queued, never lost). Receive: receive →
/// [`Reassembler`] → `rxms` → `inbox`. Drive it with
/// [`service`](Memoer::service) once per Doist pass; [`wind`](Memoer::wind)
/// it to the Doist's clock so that partial memos time out.
///
/// ```
/// use hio::{memo::Memoer, testing::LoopNet};
/// let net = LoopNet::new();
/// let mut alpha = Memoer::new(net.port("alpha"));
/// let mut beta = Memoer::new(net.port("beta"));
/// alpha.memoit("Hello There", "beta".to_owned());
/// alpha.service()?;
/// beta.service()?;
/// let memo = beta.inbox_mut().pop_front().unwrap();
/// assert_eq!((memo.memo.as_str(), memo.src.as_str(), memo.vid), ("Hello There", "alpha", None));
/// # Ok::<(), hio::Error>(())
/// ```
pub struct Memoer<T: Transport> {
    name: String,
    transport: T,
    format: Format,
    vid: Option<Vid>,
    keep: Keep,
    mids: MidGen,
    reasm: Reassembler<T::Addr>,
    txms: VecDeque<(String, T::Addr, Option<Vid>)>,
    txgs: VecDeque<(Vec<u8>, T::Addr)>,
    txbs: Option<TxBuf<T::Addr>>,
    rxms: VecDeque<Memo<T::Addr>>,
    inbox: VecDeque<Memo<T::Addr>>,
    rx_buf: Box<[u8]>,
}

impl<T: Transport> fmt::Debug for Memoer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Memoer")
            .field("name", &self.name)
            .field("format", &self.format)
            .field("vid", &self.vid)
            .field("reassembler", &self.reasm)
            .field("txms", &self.txms.len())
            .field("txgs", &self.txgs.len())
            .field("txbs", &self.txbs.as_ref().map(|b| b.gram.len() - b.sent))
            .field("rxms", &self.rxms.len())
            .field("inbox", &self.inbox.len())
            .finish()
    }
}

impl<T: Transport> Memoer<T> {
    /// A Memoer with the default options: unsigned text grams of the
    /// transport's maximum size.
    pub fn new(transport: T) -> Self {
        let format =
            Format::new(Code::GramZero, false, transport.max_gram_size()).unwrap_or_default();
        Self::build(transport, format, MemoerOpts::default())
    }

    /// A Memoer with `options`. Fails when `options.code` is not a zeroth
    /// code.
    pub fn with_options(transport: T, options: MemoerOpts) -> Result<Self> {
        let max = transport.max_gram_size();
        let format = Format::new(
            options.code,
            options.curt,
            options.size.unwrap_or(max).min(max),
        )?;
        Ok(Self::build(transport, format, options))
    }

    fn build(transport: T, format: Format, options: MemoerOpts) -> Self {
        let mut reasm = Reassembler::new();
        reasm.set_authic(options.authic);
        reasm.set_legacy(options.legacy);
        reasm.set_tymeout(options.reassembly_tymeout);
        reasm.set_max_buffered(options.max_buffered);
        let rx_size = transport.max_gram_size().max(MAX_GRAM_SIZE);
        Memoer {
            name: options.name,
            transport,
            format,
            vid: options.vid,
            keep: options.keep,
            mids: MidGen::default(),
            reasm,
            txms: VecDeque::new(),
            txgs: VecDeque::new(),
            txbs: None,
            rxms: VecDeque::new(),
            inbox: VecDeque::new(),
            rx_buf: vec![0; rx_size].into_boxed_slice(),
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutably (to open or close it).
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// The rend format (code, curt, size).
    pub fn format(&self) -> &Format {
        &self.format
    }

    /// The zeroth gram code used to rend.
    pub fn code(&self) -> Code {
        self.format.code()
    }

    /// Sets the rend code (a zeroth code) and re-clamps the size, as HIO's
    /// `code` property does.
    pub fn set_code(&mut self, code: Code) -> Result<()> {
        self.format = Format::new(code, self.format.curt(), self.format.size())?;
        Ok(())
    }

    /// True when rending binary headers.
    pub fn curt(&self) -> bool {
        self.format.curt()
    }

    /// Sets binary (`true`) or text headers and re-clamps the size, as
    /// HIO's `curt` property does.
    pub fn set_curt(&mut self, curt: bool) {
        self.format =
            Format::new(self.format.code(), curt, self.format.size()).unwrap_or(self.format);
    }

    /// The gram size used to rend.
    ///
    /// ```
    /// use hio::{memo::Memoer, testing::LoopNet};
    /// let mut memoer = Memoer::new(LoopNet::new().port("a"));
    /// assert_eq!(memoer.size(), 65535);
    /// memoer.set_size(Some(6));
    /// assert_eq!(memoer.size(), 33);
    /// memoer.set_curt(true);
    /// memoer.set_size(Some(6));
    /// assert_eq!(memoer.size(), 25);
    /// ```
    pub fn size(&self) -> usize {
        self.format.size()
    }

    /// Sets the gram size (`None`: the transport's maximum), clamped to
    /// `[zeroth overhead + 1, transport maximum]`.
    pub fn set_size(&mut self, size: Option<usize>) {
        let max = self.transport.max_gram_size();
        let size = size.unwrap_or(max).min(max);
        self.format =
            Format::new(self.format.code(), self.format.curt(), size).unwrap_or(self.format);
    }

    /// True when only signed grams are accepted.
    pub fn authic(&self) -> bool {
        self.reasm.authic()
    }

    /// The own vid, used to sign when the code is signed.
    pub fn vid(&self) -> Option<&Vid> {
        self.vid.as_ref()
    }

    /// Sets the own vid.
    pub fn set_vid(&mut self, vid: Option<Vid>) {
        self.vid = vid;
    }

    /// The keys.
    pub fn keep(&self) -> &Keep {
        &self.keep
    }

    /// The keys, mutably.
    pub fn keep_mut(&mut self) -> &mut Keep {
        &mut self.keep
    }

    /// The reassembler (partial memos, limits).
    pub fn reassembler(&self) -> &Reassembler<T::Addr> {
        &self.reasm
    }

    /// The reassembler, mutably (to change its tymeout or limits).
    pub fn reassembler_mut(&mut self) -> &mut Reassembler<T::Addr> {
        &mut self.reasm
    }

    /// Binds the reassembly tymeouts to `tymth`, the Doist's clock.
    pub fn wind(&mut self, tymth: &Tymth) {
        self.reasm.wind(tymth);
    }

    /// Queues `memo` for `dst`, signed with the own vid if the code is
    /// signed.
    pub fn memoit(&mut self, memo: impl Into<String>, dst: T::Addr) {
        self.txms.push_back((memo.into(), dst, None));
    }

    /// Queues `memo` for `dst`, signed with `vid` (HIO's
    /// `memoit(memo, dst, vid)`).
    pub fn memoit_as(&mut self, memo: impl Into<String>, dst: T::Addr, vid: Vid) {
        self.txms.push_back((memo.into(), dst, Some(vid)));
    }

    /// Queues a ready-made gram for `dst` (HIO's `gramit`, for tests).
    pub fn gramit(&mut self, gram: impl Into<Vec<u8>>, dst: T::Addr) {
        self.txgs.push_back((gram.into(), dst));
    }

    /// Memos waiting to be rent: `(memo, dst, vid)`.
    pub fn txms(&self) -> &VecDeque<(String, T::Addr, Option<Vid>)> {
        &self.txms
    }

    /// Grams waiting to be sent: `(gram, dst)`.
    pub fn txgs(&self) -> &VecDeque<(Vec<u8>, T::Addr)> {
        &self.txgs
    }

    /// The unsent rest of the gram in flight, if the transport took only
    /// part of it or would block.
    pub fn txbs(&self) -> Option<(&[u8], &T::Addr)> {
        self.txbs.as_ref().map(|b| (&b.gram[b.sent..], &b.dst))
    }

    /// Reassembled memos not yet moved to the inbox.
    pub fn rxms(&self) -> &VecDeque<Memo<T::Addr>> {
        &self.rxms
    }

    /// Received memos, oldest first.
    pub fn inbox(&self) -> &VecDeque<Memo<T::Addr>> {
        &self.inbox
    }

    /// Received memos, to take them.
    pub fn inbox_mut(&mut self) -> &mut VecDeque<Memo<T::Addr>> {
        &mut self.inbox
    }

    /// Rends `memo` into grams with a fresh mid (HIO's `rend`), signed by
    /// `vid` or the own vid when the code is signed.
    pub fn rend(&mut self, memo: &str, vid: Option<&Vid>) -> Result<Vec<Vec<u8>>> {
        let mid = self.mids.next()?;
        self.rend_with_mid(memo, vid, &mid)
    }

    /// [`rend`](Memoer::rend) with a given mid.
    pub fn rend_with_mid(&self, memo: &str, vid: Option<&Vid>, mid: &Mid) -> Result<Vec<Vec<u8>>> {
        let signer = signer(&self.format, vid.copied().or(self.vid), &self.keep)?;
        let signer = signer.as_ref().map(|(vid, key)| (vid, *key));
        Ok(self.format.rend(memo.as_bytes(), mid, signer)?)
    }

    // ---- receive side ----

    /// One receive attempt; false when the transport had nothing.
    fn service_one_received(&mut self) -> Result<bool> {
        let (len, src) = match self.transport.receive(&mut self.rx_buf) {
            Ok(Some(received)) => received,
            Ok(None) => return Ok(false),
            Err(err) if is_would_block(&err) => return Ok(false),
            Err(err) => return Err(err.into()),
        };
        let gram = &self.rx_buf[..len.min(self.rx_buf.len())];
        if let Err(reason) = self.reasm.accept(gram, &src, &self.keep) {
            log_drop(&self.name, &src, reason);
        }
        Ok(true)
    }

    /// Receives one gram if one is waiting (HIO's `serviceReceivesOnce`).
    #[doc(alias = "serviceReceivesOnce")]
    pub fn service_receives_once(&mut self) -> Result<()> {
        if self.transport.opened() {
            self.service_one_received()?;
        }
        Ok(())
    }

    /// Receives grams until the transport has no more (HIO's
    /// `serviceReceives`). Dropped grams count as received.
    #[doc(alias = "serviceReceives")]
    pub fn service_receives(&mut self) -> Result<()> {
        while self.transport.opened() && self.service_one_received()? {}
        Ok(())
    }

    /// Fuses every complete memo into `rxms` (HIO's `serviceRxGrams`; the
    /// once and greedy forms are the same).
    #[doc(alias = "serviceRxGrams")]
    pub fn service_rx_grams(&mut self) {
        let rxms = &mut self.rxms;
        self.reasm.fuse(|memo| rxms.push_back(memo));
    }

    /// Moves one memo from `rxms` to the inbox (HIO's
    /// `serviceRxMemosOnce`).
    #[doc(alias = "serviceRxMemosOnce")]
    pub fn service_rx_memos_once(&mut self) {
        if let Some(memo) = self.rxms.pop_front() {
            self.inbox.push_back(memo);
        }
    }

    /// Moves every memo from `rxms` to the inbox (HIO's `serviceRxMemos`).
    #[doc(alias = "serviceRxMemos")]
    pub fn service_rx_memos(&mut self) {
        self.inbox.append(&mut self.rxms);
    }

    /// One receive, fuse, and one memo to the inbox (HIO's
    /// `serviceAllRxOnce`).
    #[doc(alias = "serviceAllRxOnce")]
    pub fn service_all_rx_once(&mut self) -> Result<()> {
        self.service_receives_once()?;
        self.service_rx_grams();
        self.service_rx_memos_once();
        Ok(())
    }

    /// Every receive, fuse, every memo to the inbox (HIO's
    /// `serviceAllRx`).
    #[doc(alias = "serviceAllRx")]
    pub fn service_all_rx(&mut self) -> Result<()> {
        self.service_receives()?;
        self.service_rx_grams();
        self.service_rx_memos();
        Ok(())
    }

    // ---- transmit side ----

    /// Rends one queued memo into `txgs`; false when none was queued.
    fn service_one_tx_memo(&mut self) -> Result<bool> {
        let Some((memo, dst, vid)) = self.txms.pop_front() else {
            return Ok(false);
        };
        let mid = self.mids.next()?;
        let signer = signer(&self.format, vid.or(self.vid), &self.keep)?;
        let signer = signer.as_ref().map(|(vid, key)| (vid, *key));
        let txgs = &mut self.txgs;
        self.format
            .rend_each(memo.as_bytes(), &mid, signer, |gram| {
                txgs.push_back((gram, dst.clone()))
            })?;
        Ok(true)
    }

    /// Rends one queued memo into grams (HIO's `serviceTxMemosOnce`). A memo
    /// that cannot be rent (too long, no signing key) is removed and its
    /// error returned.
    #[doc(alias = "serviceTxMemosOnce")]
    pub fn service_tx_memos_once(&mut self) -> Result<()> {
        self.service_one_tx_memo()?;
        Ok(())
    }

    /// Rends every queued memo (HIO's `serviceTxMemos`); stops at the first
    /// memo that cannot be rent, as [`service_tx_memos_once`](Self::service_tx_memos_once).
    #[doc(alias = "serviceTxMemos")]
    pub fn service_tx_memos(&mut self) -> Result<()> {
        while self.service_one_tx_memo()? {}
        Ok(())
    }

    /// One send attempt; true when a gram went out completely (or was
    /// dropped for an unreachable destination) so the caller may go on.
    fn service_once_tx_grams(&mut self) -> Result<bool> {
        let buf = match &mut self.txbs {
            Some(buf) => buf,
            none @ None => {
                let Some((gram, dst)) = self.txgs.pop_front() else {
                    return Ok(false);
                };
                none.insert(TxBuf { gram, sent: 0, dst })
            }
        };
        match self.transport.send(&buf.gram[buf.sent..], &buf.dst) {
            Ok(0) => Ok(false),
            Ok(n) => {
                buf.sent = (buf.sent + n).min(buf.gram.len());
                if buf.sent == buf.gram.len() {
                    self.txbs = None;
                    Ok(true)
                } else {
                    Ok(false)
                }
            }
            Err(err) if is_would_block(&err) => Ok(false),
            Err(err) => {
                tracing::warn!(name = %self.name, dst = ?buf.dst, error = %err,
                    "dropped a memogram the transport could not send");
                self.txbs = None;
                if is_far_peer_error(&err) {
                    Ok(true)
                } else {
                    Err(err.into())
                }
            }
        }
    }

    /// One send attempt (HIO's `serviceTxGramsOnce`): the rest of the gram
    /// in flight, else the next queued gram.
    #[doc(alias = "serviceTxGramsOnce")]
    pub fn service_tx_grams_once(&mut self) -> Result<()> {
        if self.transport.opened() {
            self.service_once_tx_grams()?;
        }
        Ok(())
    }

    /// Sends grams until none is left or the transport pushes back (HIO's
    /// `serviceTxGrams`). A gram the transport would not take stays first
    /// in line.
    #[doc(alias = "serviceTxGrams")]
    pub fn service_tx_grams(&mut self) -> Result<()> {
        while self.transport.opened()
            && (self.txbs.is_some() || !self.txgs.is_empty())
            && self.service_once_tx_grams()?
        {}
        Ok(())
    }

    /// One memo rent and one send attempt (HIO's `serviceAllTxOnce`).
    #[doc(alias = "serviceAllTxOnce")]
    pub fn service_all_tx_once(&mut self) -> Result<()> {
        self.service_tx_memos_once()?;
        self.service_tx_grams_once()
    }

    /// Every memo rent, grams sent until blocked (HIO's `serviceAllTx`).
    #[doc(alias = "serviceAllTx")]
    pub fn service_all_tx(&mut self) -> Result<()> {
        self.service_tx_memos()?;
        self.service_tx_grams()
    }

    /// Drops partial memos past their reassembly tymeout (HIO's
    /// `serviceTymers`, a stub there) and returns how many.
    #[doc(alias = "serviceTymers")]
    pub fn service_tymers(&mut self) -> usize {
        self.reasm.expire()
    }

    /// Receives, tymers, sends (HIO's `serviceLocal`).
    #[doc(alias = "serviceLocal")]
    pub fn service_local(&mut self) -> Result<()> {
        self.service_receives()?;
        self.service_tymers();
        self.service_tx_grams()
    }

    /// The once form of everything (HIO's `serviceAllOnce`).
    #[doc(alias = "serviceAllOnce")]
    pub fn service_all_once(&mut self) -> Result<()> {
        self.service_all_rx_once()?;
        self.service_tymers();
        self.service_all_tx_once()
    }

    /// Everything, greedy: all receive, tymers, all transmit (HIO's
    /// `serviceAll`).
    #[doc(alias = "serviceAll")]
    pub fn service_all(&mut self) -> Result<()> {
        self.service_all_rx()?;
        self.service_tymers();
        self.service_all_tx()
    }

    /// [`service_all`](Self::service_all), HIO's `service`.
    pub fn service(&mut self) -> Result<()> {
        self.service_all()
    }
}

/// The vid and key that sign grams in `format`, if its code signs.
fn signer<'k>(
    format: &Format,
    vid: Option<Vid>,
    keep: &'k Keep,
) -> Result<Option<(Vid, &'k SigningKey)>, MemoError> {
    if !format.code().is_auth() {
        return Ok(None);
    }
    let vid = vid.ok_or(MemoError::MissingVid(format.code()))?;
    Ok(Some((vid, keep.signing_key(&vid)?)))
}

fn log_drop(name: &str, src: &dyn fmt::Debug, reason: GramError) {
    tracing::warn!(name, src = ?src, %reason, "dropped a memogram");
}
