//! What the datagram peers ([UDP](crate::udp::Peer), [UXD](crate::uxd::Peer))
//! share: draining their queues, and the doer that services them.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt::Debug;
use std::io;
use std::rc::Rc;

use crate::doing::{Cx, ServiceDoer, Serviced};
use crate::error::Result;
use crate::rt::OneSocket;

/// Errors that mean "try the same datagram again later".
pub(crate) fn would_retry(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
        || matches!(e.raw_os_error(), Some(libc::ENOBUFS) | Some(libc::ENOMEM))
}

/// One datagram receive: `Ok(None)` when nothing waits; retried when a
/// signal interrupts it.
pub(crate) fn recv_retry<R>(mut recv: impl FnMut() -> io::Result<R>) -> io::Result<Option<R>> {
    loop {
        match recv() {
            Ok(got) => return Ok(Some(got)),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

/// One datagram send: `Ok(0)` when the same datagram should be sent again
/// later.
pub(crate) fn sent_or_later(sent: io::Result<usize>) -> io::Result<usize> {
    match sent {
        Err(e) if would_retry(&e) => Ok(0),
        other => other,
    }
}

/// Sends queued datagrams until the socket would block (returns true then)
/// or the queue is empty. A datagram refused outright is dropped with a log
/// line, so one bad destination never blocks the rest.
fn send_queued<A: Debug>(
    txq: &mut VecDeque<(Vec<u8>, A)>,
    mut send: impl FnMut(&[u8], &A) -> io::Result<usize>,
) -> bool {
    while let Some((data, dst)) = txq.front() {
        match send(data, dst) {
            Ok(_) => {
                txq.pop_front();
            }
            Err(e) if would_retry(&e) => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                tracing::warn!(error = %e, dst = ?dst, "datagram dropped");
                txq.pop_front();
            }
        }
    }
    false
}

/// Reads datagrams into `rxq` until nothing waits (returns true then) or
/// `limit` are queued. A receive error ends this round without failing
/// the service (ICMP errors surface here on some systems).
fn receive_waiting<T>(
    rxq: &mut VecDeque<T>,
    limit: usize,
    mut receive: impl FnMut() -> Result<Option<T>>,
) -> bool {
    while rxq.len() < limit {
        match receive() {
            Ok(Some(gram)) => rxq.push_back(gram),
            Ok(None) => return true,
            Err(e) => {
                tracing::debug!(error = %e, "receive error");
                return false;
            }
        }
    }
    false
}

/// One service of a datagram peer: take the reactor's reports, send queued
/// datagrams until the socket would block, then read what waits.
pub(crate) fn service<S, A: Debug, R>(
    one: &mut OneSocket,
    socket: Option<&S>,
    txq: &mut VecDeque<(Vec<u8>, A)>,
    rxq: &mut VecDeque<R>,
    rx_limit: usize,
    send: impl Fn(&S, &[u8], &A) -> io::Result<usize>,
    mut recv: impl FnMut(&S) -> Result<Option<R>>,
) -> Result<()> {
    one.refresh()?;
    let Some(socket) = socket else {
        return Ok(());
    };
    if send_queued(txq, |data, dst| send(socket, data, dst)) {
        one.writable = false;
    }
    if one.readable {
        one.readable = !receive_waiting(rxq, rx_limit, || recv(socket));
    }
    Ok(())
}

/// A datagram peer a [`PeerDoer`] can run.
pub trait DatagramPeer: 'static {
    /// Moves the socket onto the readiness poll of the Doist `cx` is in.
    fn attach(&mut self, cx: &Cx<'_>) -> Result<()>;
    /// Whether the socket is open.
    fn is_open(&self) -> bool;
    /// Opens (binds) the socket.
    fn open(&mut self) -> Result<()>;
    /// Sends what is queued, receives what waits.
    fn service(&mut self) -> Result<()>;
    /// Closes at the end of a run (a temp UXD peer also clears its path).
    fn close_at_exit(&mut self) -> Result<()>;
}

/// Every datagram peer can run under a [`ServiceDoer`]: opened on enter
/// (unless open already), serviced every pass, closed on exit. Python
/// HIO's `PeerDoer` does nothing in recur; this one services the peer.
impl<P: DatagramPeer> Serviced for P {
    fn open(&mut self, cx: &Cx<'_>) -> Result<()> {
        self.attach(cx)?;
        if self.is_open() {
            Ok(())
        } else {
            DatagramPeer::open(self)
        }
    }
    fn receive(&mut self) -> Result<()> {
        DatagramPeer::service(self)
    }
    fn close(&mut self) -> Result<()> {
        self.close_at_exit()
    }
}

/// Runs a datagram peer (see [`Serviced`] and [`ServiceDoer`]).
pub type PeerDoer<P> = ServiceDoer<P>;

impl<P: DatagramPeer> ServiceDoer<P> {
    /// The peer.
    pub fn peer(&self) -> Rc<RefCell<P>> {
        self.inner()
    }
}

/// A [`Memoer`](crate::memo::Memoer) over a datagram peer runs under a
/// [`ServiceDoer`]: wound onto the Doist's clock (reassembly tymeouts) and
/// reactor and opened on enter, serviced every pass, closed on exit. HIO's
/// `PeerMemoerDoer`.
#[cfg(feature = "memo")]
impl<P: DatagramPeer + crate::memo::Transport> Serviced for crate::memo::Memoer<P> {
    fn open(&mut self, cx: &Cx<'_>) -> Result<()> {
        crate::memo::Memoer::wind(self, cx.tymth());
        let peer = self.transport_mut();
        peer.attach(cx)?;
        if peer.is_open() {
            Ok(())
        } else {
            DatagramPeer::open(peer)
        }
    }
    fn receive(&mut self) -> Result<()> {
        crate::memo::Memoer::service(self)
    }
    fn close(&mut self) -> Result<()> {
        self.transport_mut().close_at_exit()
    }
    fn wind(&mut self, tymth: &crate::tyming::Tymth) {
        crate::memo::Memoer::wind(self, tymth);
    }
}

/// Runs a Memoer over a datagram peer (see [`ServiceDoer`]).
#[cfg(feature = "memo")]
pub type MemoerDoer<P> = ServiceDoer<crate::memo::Memoer<P>>;

#[cfg(feature = "memo")]
impl<P: DatagramPeer + crate::memo::Transport> ServiceDoer<crate::memo::Memoer<P>> {
    /// The Memoer.
    pub fn memoer(&self) -> Rc<RefCell<crate::memo::Memoer<P>>> {
        self.inner()
    }
}
