//! UDP datagram [`Peer`] and its [`PeerDoer`].
//!
//! A peer binds one socket, queues datagrams to send with
//! [`tx`](Peer::tx), and collects what arrives in a receive queue. Its
//! [`service`](Peer::service) sends what the socket accepts and reads what
//! the reactor reports as waiting. A send that would block keeps the
//! datagram queued (HIO's "retry the same data later").

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;

use mio::net::UdpSocket;
use socket2::{Domain, Protocol, Socket, Type};

use crate::dgram::{DatagramPeer, recv_retry, sent_or_later};
use crate::error::{Error, Result};
use crate::rt::{OneSocket, Reactor};

/// Runs a UDP [`Peer`] (see [`crate::dgram::PeerDoer`]).
pub type PeerDoer = crate::dgram::PeerDoer<Peer>;

/// Largest IPv4 payload that is never fragmented.
pub const UDP_IPV4_MAX_SAFE_PAYLOAD: usize = 548;
/// Largest IPv6 payload that is never fragmented.
pub const UDP_IPV6_MAX_SAFE_PAYLOAD: usize = 1240;
/// Largest UDP datagram.
pub const UDP_MAX_DATAGRAM_SIZE: usize = 65535;

/// Options of a UDP [`Peer`].
#[derive(Clone, Debug)]
pub struct PeerOpts {
    /// Socket buffer size (and largest datagram read). Default 65535.
    pub buf_size: usize,
    /// Allow sending to broadcast addresses (SO_BROADCAST). Default false.
    pub bcast: bool,
    /// Most datagrams kept unread; beyond it reading pauses. Default 4096.
    pub rx_limit: usize,
}

impl Default for PeerOpts {
    fn default() -> Self {
        PeerOpts {
            buf_size: Peer::BUF_SIZE,
            bcast: false,
            rx_limit: 4096,
        }
    }
}

/// A non-blocking UDP peer: HIO's `udp.Peer`.
///
/// ```
/// use hio::udp::Peer;
/// let mut a = Peer::new("127.0.0.1:0".parse().unwrap());
/// let mut b = Peer::new("127.0.0.1:0".parse().unwrap());
/// a.open()?;
/// b.open()?;
/// a.tx(b"hello", b.local_addr().unwrap());
/// let mut got = None;
/// for _ in 0..1000 {
///     a.service()?;
///     b.service()?;
///     if let Some(gram) = b.rx() { got = Some(gram); break; }
///     std::thread::sleep(std::time::Duration::from_millis(1));
/// }
/// let (data, src) = got.expect("a datagram");
/// assert_eq!((data.as_slice(), src), (&b"hello"[..], a.local_addr().unwrap()));
/// # Ok::<(), hio::Error>(())
/// ```
pub struct Peer {
    addr: SocketAddr,
    bound: Option<SocketAddr>,
    opts: PeerOpts,
    socket: Option<UdpSocket>,
    txq: VecDeque<(Vec<u8>, SocketAddr)>,
    rxq: VecDeque<(Vec<u8>, SocketAddr)>,
    scratch: Vec<u8>,
    one: OneSocket,
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.close();
    }
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("addr", &self.addr)
            .field("bound", &self.bound)
            .finish()
    }
}

impl Peer {
    /// HIO's default buffer size.
    pub const BUF_SIZE: usize = 65535;

    /// A peer that will bind `addr` (port 0: any free port).
    pub fn new(addr: SocketAddr) -> Self {
        Peer::with_opts(addr, PeerOpts::default())
    }

    /// A peer with options.
    pub fn with_opts(addr: SocketAddr, opts: PeerOpts) -> Self {
        Peer {
            addr,
            bound: None,
            scratch: vec![0; opts.buf_size.clamp(1, UDP_MAX_DATAGRAM_SIZE)],
            opts,
            socket: None,
            txq: VecDeque::new(),
            rxq: VecDeque::new(),
            one: OneSocket::new(),
        }
    }

    /// The address asked for.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address bound, once open (HIO's `ha` after opening).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.bound
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

    /// Binds (closing first if open). Errors are returned and leave the
    /// peer closed.
    pub fn open(&mut self) -> Result<()> {
        self.close();
        let socket = Socket::new(
            Domain::for_address(self.addr),
            Type::DGRAM,
            Some(Protocol::UDP),
        )?;
        if self.opts.bcast {
            socket.set_broadcast(true)?;
        }
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        socket.set_nonblocking(true)?;
        crate::tcp::raise_buffers(&socket2::SockRef::from(&socket), self.opts.buf_size);
        socket.bind(&self.addr.into())?;
        let mut socket = UdpSocket::from_std(socket.into());
        self.one.register(&mut socket)?;
        self.bound = Some(socket.local_addr()?);
        self.socket = Some(socket);
        Ok(())
    }

    /// HIO's `reopen`: close, then open.
    pub fn reopen(&mut self) -> Result<()> {
        self.open()
    }

    /// Closes the socket; queued datagrams are kept.
    pub fn close(&mut self) {
        if let Some(mut s) = self.socket.take() {
            self.one.deregister(&mut s);
        }
    }

    /// Sends one datagram now (HIO's `send`): `Ok(0)` when the socket would
    /// block or is short of buffers, so the caller retries the same data.
    pub fn send(&mut self, data: &[u8], dst: SocketAddr) -> Result<usize> {
        let socket = self
            .socket
            .as_ref()
            .ok_or_else(|| Error::Invalid("peer is not open".into()))?;
        Ok(sent_or_later(socket.send_to(data, dst))?)
    }

    /// Reads one datagram now (HIO's `receive`): `None` when nothing waits.
    pub fn receive(&mut self) -> Result<Option<(Vec<u8>, SocketAddr)>> {
        let socket = self
            .socket
            .as_ref()
            .ok_or_else(|| Error::Invalid("peer is not open".into()))?;
        loop {
            match socket.recv_from(&mut self.scratch) {
                Ok((n, src)) => return Ok(Some((self.scratch[..n].to_vec(), src))),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Queues a datagram for `dst`.
    pub fn tx(&mut self, data: &[u8], dst: SocketAddr) {
        self.txq.push_back((data.to_vec(), dst));
    }

    /// Takes the oldest datagram received, with its source.
    pub fn rx(&mut self) -> Option<(Vec<u8>, SocketAddr)> {
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
    /// every waiting datagram into the receive queue. A datagram the OS
    /// refuses outright (e.g. an unreachable destination) is dropped with a
    /// log line rather than blocking the queue.
    pub fn service(&mut self) -> Result<()> {
        let scratch = &mut self.scratch;
        crate::dgram::service(
            &mut self.one,
            self.socket.as_ref(),
            &mut self.txq,
            &mut self.rxq,
            self.opts.rx_limit,
            |s, data, dst| s.send_to(data, *dst),
            |s| recv_one(s, scratch),
        )
    }
}

/// One `recv_from`: `None` when nothing waits.
fn recv_one(socket: &UdpSocket, scratch: &mut [u8]) -> Result<Option<(Vec<u8>, SocketAddr)>> {
    let got = recv_retry(|| socket.recv_from(scratch))?;
    Ok(got.map(|(n, src)| (scratch[..n].to_vec(), src)))
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
        self.close();
        Ok(())
    }
}

/// A UDP peer carries memograms: HIO's `udp.PeerMemoer` is
/// [`Memoer`](crate::memo::Memoer)`<Peer>`.
#[cfg(feature = "memo")]
impl crate::memo::Transport for Peer {
    type Addr = SocketAddr;

    fn receive(&mut self, buf: &mut [u8]) -> io::Result<Option<(usize, SocketAddr)>> {
        // Keep this peer's ready list drained; the Memoer reads directly.
        let _ = self.one.refresh();
        let Some(socket) = self.socket.as_ref() else {
            return Ok(None);
        };
        recv_retry(|| socket.recv_from(buf))
    }

    fn send(&mut self, gram: &[u8], dst: &SocketAddr) -> io::Result<usize> {
        let Some(socket) = self.socket.as_ref() else {
            return Ok(0);
        };
        sent_or_later(socket.send_to(gram, *dst))
    }

    /// HIO's UDP gram size: the largest IPv6 payload never fragmented.
    fn max_gram_size(&self) -> usize {
        UDP_IPV6_MAX_SAFE_PAYLOAD
    }

    fn opened(&self) -> bool {
        self.is_open()
    }
}

/// HIO's `udp.PeerMemoer`: memograms over a UDP [`Peer`].
#[cfg(feature = "memo")]
pub type PeerMemoer = crate::memo::Memoer<Peer>;

/// Runs a UDP [`PeerMemoer`] (see [`crate::dgram::MemoerDoer`]).
#[cfg(feature = "memo")]
pub type PeerMemoerDoer = crate::dgram::MemoerDoer<Peer>;
