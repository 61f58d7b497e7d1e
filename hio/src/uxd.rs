//! Unix-domain datagram [`Peer`] (UXD) and its [`PeerDoer`].
//!
//! A UXD peer binds a socket file. Its path is either given outright or
//! made by a [`Filer`] with the UXD defaults: `/usr/local/var/hio/uxd/<name>.uxd`
//! (falling back to `~/.hio/uxd/<name>.uxd`), or a fresh temporary
//! directory for a `temp` peer, removed again on close. Datagrams queue as
//! on a UDP peer; UXD is reliable and ordered on one host.

use std::collections::VecDeque;
use std::io;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use mio::net::UnixDatagram;

use crate::dgram::{DatagramPeer, recv_retry, sent_or_later};
use crate::error::{Error, Result};
use crate::filing::{Filer, FilerDefaults, check_uxd_path_len};
use crate::rt::{OneSocket, Reactor};

/// Runs a UXD [`Peer`] (see [`crate::dgram::PeerDoer`]); a temp peer's
/// directory is cleared on exit.
pub type PeerDoer = crate::dgram::PeerDoer<Peer>;

/// Where a peer's socket lives.
#[derive(Debug)]
enum Place {
    /// A path given outright.
    Path(PathBuf),
    /// A path made by a Filer (extensioned, UXD defaults).
    Filer(Box<Filer>),
}

/// A non-blocking Unix-domain datagram peer: HIO's `uxd.Peer`.
///
/// ```
/// use hio::uxd::Peer;
/// let mut a = Peer::temp("alpha")?;
/// let mut b = Peer::temp("beta")?;
/// a.open()?;
/// b.open()?;
/// let b_path = b.path().unwrap().to_path_buf();
/// assert!(b_path.ends_with("hio/uxd/beta.uxd"));
/// a.tx(b"hello", b_path.clone());
/// a.service()?;
/// b.service()?;
/// let (data, src) = b.rx().expect("a datagram");
/// assert_eq!(data, b"hello");
/// assert_eq!(src.as_deref(), a.path());
/// a.close_and_clear()?;
/// b.close_and_clear()?;
/// assert!(!b_path.exists());
/// # Ok::<(), hio::Error>(())
/// ```
pub struct Peer {
    place: Place,
    bound: Option<PathBuf>,
    buf_size: usize,
    socket: Option<UnixDatagram>,
    txq: VecDeque<(Vec<u8>, PathBuf)>,
    rxq: VecDeque<(Vec<u8>, Option<PathBuf>)>,
    rx_limit: usize,
    scratch: Vec<u8>,
    one: OneSocket,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.close_at_exit();
    }
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer").field("path", &self.bound).finish()
    }
}

impl Peer {
    /// HIO's default buffer size (and largest datagram read).
    pub const BUF_SIZE: usize = 65535;

    fn with_place(place: Place) -> Self {
        Peer {
            place,
            bound: None,
            buf_size: Self::BUF_SIZE,
            socket: None,
            txq: VecDeque::new(),
            rxq: VecDeque::new(),
            rx_limit: 4096,
            scratch: vec![0; Self::BUF_SIZE],
            one: OneSocket::new(),
        }
    }

    /// A peer bound at `path` exactly.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Peer::with_place(Place::Path(path.into()))
    }

    /// A peer whose path a [`Filer`] makes; give the filer
    /// [`FilerDefaults::UXD`] and `extensioned(true)`, e.g.
    /// `Filer::builder().defaults(FilerDefaults::UXD).name("alpha").extensioned(true).build()?`.
    pub fn filed(filer: Filer) -> Self {
        Peer::with_place(Place::Filer(Box::new(filer)))
    }

    /// A temporary peer named `name`: `<tmp>/hio_uxd_XXXX_test/hio/uxd/<name>.uxd`.
    pub fn temp(name: &str) -> Result<Self> {
        let filer = Filer::builder()
            .defaults(FilerDefaults::UXD)
            .name(name)
            .temp(true)
            .extensioned(true)
            .build()?;
        Ok(Peer::filed(filer))
    }

    /// Sets the socket buffer size (and largest datagram read).
    pub fn with_buf_size(mut self, size: usize) -> Self {
        self.buf_size = size.max(1);
        self.scratch = vec![0; self.buf_size];
        self
    }

    /// The bound path, once open.
    pub fn path(&self) -> Option<&Path> {
        self.bound.as_deref()
    }

    /// Whether the socket is open.
    pub fn is_open(&self) -> bool {
        self.socket.is_some()
    }

    /// Moves the socket onto another reactor (a Doist's).
    pub(crate) fn set_reactor(&mut self, reactor: &Reactor) -> Result<()> {
        let socket = self
            .socket
            .as_mut()
            .map(|s| s as &mut dyn mio::event::Source);
        self.one.rehome(reactor, socket)
    }

    /// Binds (closing first if open). The path must fit in a socket
    /// address ([`Error::Size`] otherwise); a stale socket file left by a
    /// dead peer is removed first (Python HIO fails to bind then, yet
    /// reports the peer open).
    pub fn open(&mut self) -> Result<()> {
        self.close();
        let path = match &mut self.place {
            Place::Path(p) => {
                if let Some(dir) = p.parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir)?;
                }
                p.clone()
            }
            Place::Filer(f) => {
                if !f.opened() {
                    f.reopen(crate::filing::ReopenOpts::new())?;
                }
                f.path()
                    .ok_or_else(|| Error::Filer("UXD filer made no path".into()))?
                    .to_path_buf()
            }
        };
        check_uxd_path_len(&path)?;
        remove_stale_socket(&path)?;
        let mut socket = UnixDatagram::bind(&path)?;
        let sock = socket2::SockRef::from(&socket);
        crate::tcp::raise_buffers(&sock, self.buf_size);
        self.one.register(&mut socket)?;
        self.bound = Some(path);
        self.socket = Some(socket);
        Ok(())
    }

    /// HIO's `reopen`.
    pub fn reopen(&mut self) -> Result<()> {
        self.open()
    }

    /// Closes the socket and removes its file.
    pub fn close(&mut self) {
        if let Some(mut s) = self.socket.take() {
            self.one.deregister(&mut s);
        }
        if let Some(path) = self.bound.take() {
            let _ = std::fs::remove_file(&path);
        }
    }

    /// [`close`](Peer::close), and a filed peer's filer is closed and
    /// cleared too (a temp peer's directory goes): HIO's `close(clear=True)`.
    pub fn close_and_clear(&mut self) -> Result<()> {
        self.close();
        if let Place::Filer(f) = &mut self.place {
            f.close(true)?;
        }
        Ok(())
    }

    /// Sends one datagram now: `Ok(0)` when the receiver's queue is full
    /// (would block). A missing destination is an error.
    pub fn send(&mut self, data: &[u8], dst: &Path) -> Result<usize> {
        let socket = self
            .socket
            .as_ref()
            .ok_or_else(|| Error::Invalid("peer is not open".into()))?;
        Ok(sent_or_later(socket.send_to(data, dst))?)
    }

    /// Reads one datagram now: `None` when nothing waits. The source is
    /// `None` for an unbound sender.
    pub fn receive(&mut self) -> Result<Option<(Vec<u8>, Option<PathBuf>)>> {
        let socket = self
            .socket
            .as_ref()
            .ok_or_else(|| Error::Invalid("peer is not open".into()))?;
        loop {
            match socket.recv_from(&mut self.scratch) {
                Ok((n, src)) => {
                    let src = src.as_pathname().map(Path::to_path_buf);
                    return Ok(Some((self.scratch[..n].to_vec(), src)));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Queues a datagram for `dst`.
    pub fn tx(&mut self, data: &[u8], dst: impl Into<PathBuf>) {
        self.txq.push_back((data.to_vec(), dst.into()));
    }

    /// Takes the oldest datagram received, with its source path.
    pub fn rx(&mut self) -> Option<(Vec<u8>, Option<PathBuf>)> {
        self.rxq.pop_front()
    }

    /// Datagrams waiting to be sent.
    pub fn tx_len(&self) -> usize {
        self.txq.len()
    }

    /// Datagrams received and not yet taken.
    pub fn rx_len(&self) -> usize {
        self.rxq.len()
    }

    /// Sends queued datagrams until the socket would block, then reads
    /// every waiting datagram. A datagram to a path with no socket is
    /// dropped with a log line (as HIO's memo layer does).
    pub fn service(&mut self) -> Result<()> {
        let scratch = &mut self.scratch;
        crate::dgram::service(
            &mut self.one,
            self.socket.as_ref(),
            &mut self.txq,
            &mut self.rxq,
            self.rx_limit,
            |s, data, dst| s.send_to(data, dst),
            |s| recv_one(s, scratch),
        )
    }

    fn is_temp(&self) -> bool {
        matches!(&self.place, Place::Filer(f) if f.temp())
    }
}

/// One `recv_from`: `None` when nothing waits; the source is `None` for an
/// unbound sender.
fn recv_one(
    socket: &UnixDatagram,
    scratch: &mut [u8],
) -> Result<Option<(Vec<u8>, Option<PathBuf>)>> {
    let got = recv_retry(|| socket.recv_from(scratch))?;
    Ok(got.map(|(n, src)| {
        (
            scratch[..n].to_vec(),
            src.as_pathname().map(Path::to_path_buf),
        )
    }))
}

impl DatagramPeer for Peer {
    fn attach(&mut self, cx: &crate::Cx<'_>) -> Result<()> {
        self.set_reactor(&crate::rt::of(cx))
    }
    fn is_open(&self) -> bool {
        Peer::is_open(self)
    }
    fn open(&mut self) -> Result<()> {
        Peer::open(self)
    }
    fn service(&mut self) -> Result<()> {
        Peer::service(self)
    }
    fn close_at_exit(&mut self) -> Result<()> {
        if self.is_temp() {
            self.close_and_clear()
        } else {
            self.close();
            Ok(())
        }
    }
}

/// Removes a socket file nobody is bound to. Anything else at the path
/// (a regular file, a live socket) is left alone and the bind reports it.
fn remove_stale_socket(path: &Path) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !meta.file_type().is_socket() {
        return Ok(());
    }
    // A socket file that refuses a connect has no owner left.
    let probe = std::os::unix::net::UnixDatagram::unbound()?;
    match probe.connect(path) {
        Ok(()) => Err(Error::Invalid(format!(
            "{} is in use by another socket",
            path.display()
        ))),
        Err(_) => {
            std::fs::remove_file(path)?;
            Ok(())
        }
    }
}

/// A UXD peer carries memograms: HIO's `uxd.PeerMemoer` is
/// [`Memoer`](crate::memo::Memoer)`<Peer>`. A datagram from an unbound
/// sender has the empty path as its source (no reply can reach it).
#[cfg(feature = "memo")]
impl crate::memo::Transport for Peer {
    type Addr = PathBuf;

    fn receive(&mut self, buf: &mut [u8]) -> io::Result<Option<(usize, PathBuf)>> {
        // Keep this peer's ready list drained; the Memoer reads directly.
        let _ = self.one.refresh();
        let Some(socket) = self.socket.as_ref() else {
            return Ok(None);
        };
        let got = recv_retry(|| socket.recv_from(buf))?;
        Ok(got.map(|(n, src)| {
            (
                n,
                src.as_pathname().map(Path::to_path_buf).unwrap_or_default(),
            )
        }))
    }

    fn send(&mut self, gram: &[u8], dst: &PathBuf) -> io::Result<usize> {
        let Some(socket) = self.socket.as_ref() else {
            return Ok(0);
        };
        sent_or_later(socket.send_to(gram, dst))
    }

    fn opened(&self) -> bool {
        self.is_open()
    }
}

/// HIO's `uxd.PeerMemoer`: memograms over a UXD [`Peer`].
#[cfg(feature = "memo")]
pub type PeerMemoer = crate::memo::Memoer<Peer>;

/// Runs a UXD [`PeerMemoer`] (see [`crate::dgram::MemoerDoer`]); a temp
/// peer's directory is cleared on exit.
#[cfg(feature = "memo")]
pub type PeerMemoerDoer = crate::dgram::MemoerDoer<Peer>;
