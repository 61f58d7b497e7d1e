//! What the datagram peers ([UDP](crate::udp::Peer), [UXD](crate::uxd::Peer))
//! share: draining their queues, and the doer that services them.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt::Debug;
use std::io;
use std::rc::Rc;

use crate::doing::{Cx, Doer};
use crate::error::Result;
use crate::rt::{OneSocket, Reactor};

/// Errors that mean "try the same datagram again later".
pub(crate) fn would_retry(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::WouldBlock
        || matches!(e.raw_os_error(), Some(libc::ENOBUFS) | Some(libc::ENOMEM))
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
    /// Moves the socket onto a reactor (the Doist's).
    fn set_reactor(&mut self, reactor: &Reactor) -> Result<()>;
    /// Whether the socket is open.
    fn is_open(&self) -> bool;
    /// Opens (binds) the socket.
    fn open(&mut self) -> Result<()>;
    /// Sends what is queued, receives what waits.
    fn service(&mut self) -> Result<()>;
    /// Closes at the end of a run (a temp UXD peer also clears its path).
    fn close_at_exit(&mut self) -> Result<()>;
}

/// Runs a datagram peer: opens it on enter (unless it is open already),
/// services it every pass, closes it on exit. Python HIO's `PeerDoer` does
/// nothing in recur; this one services the peer.
pub struct PeerDoer<P> {
    peer: Rc<RefCell<P>>,
}

impl<P: DatagramPeer> PeerDoer<P> {
    /// A doer for `peer`.
    pub fn new(peer: P) -> Self {
        PeerDoer::shared(Rc::new(RefCell::new(peer)))
    }

    /// A doer for a peer other doers share.
    pub fn shared(peer: Rc<RefCell<P>>) -> Self {
        PeerDoer { peer }
    }

    /// The peer.
    pub fn peer(&self) -> Rc<RefCell<P>> {
        self.peer.clone()
    }
}

impl<P: DatagramPeer> Doer for PeerDoer<P> {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let mut peer = self.peer.borrow_mut();
        peer.set_reactor(cx.reactor())?;
        if peer.is_open() { Ok(()) } else { peer.open() }
    }
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        self.peer.borrow_mut().service()?;
        Ok(false)
    }
    fn exit(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.peer.borrow_mut().close_at_exit()
    }
}

/// Runs a [`Memoer`](crate::memo::Memoer) over a datagram peer: winds it
/// onto the Doist's clock (reassembly tymeouts) and reactor and opens the
/// peer on enter, services it every pass, closes it on exit. HIO's
/// `PeerMemoerDoer`.
#[cfg(feature = "memo")]
pub struct MemoerDoer<P: crate::memo::Transport> {
    memoer: Rc<RefCell<crate::memo::Memoer<P>>>,
}

#[cfg(feature = "memo")]
impl<P: DatagramPeer + crate::memo::Transport> MemoerDoer<P> {
    /// A doer for `memoer`.
    pub fn new(memoer: crate::memo::Memoer<P>) -> Self {
        MemoerDoer::shared(Rc::new(RefCell::new(memoer)))
    }

    /// A doer for a Memoer other doers share.
    pub fn shared(memoer: Rc<RefCell<crate::memo::Memoer<P>>>) -> Self {
        MemoerDoer { memoer }
    }

    /// The Memoer.
    pub fn memoer(&self) -> Rc<RefCell<crate::memo::Memoer<P>>> {
        self.memoer.clone()
    }
}

#[cfg(feature = "memo")]
impl<P: DatagramPeer + crate::memo::Transport> Doer for MemoerDoer<P> {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let mut memoer = self.memoer.borrow_mut();
        memoer.wind(cx.tymth());
        let peer = memoer.transport_mut();
        peer.set_reactor(cx.reactor())?;
        if peer.is_open() { Ok(()) } else { peer.open() }
    }
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        self.memoer.borrow_mut().service()?;
        Ok(false)
    }
    fn exit(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.memoer.borrow_mut().transport_mut().close_at_exit()
    }
}
