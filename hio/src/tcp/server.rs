//! [`Server`]: a listening socket and one [`Remoter`] per accepted
//! connection.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr};

use mio::Interest;
use mio::net::{TcpListener, TcpStream};
use socket2::{Domain, Socket, Type};

use super::{BUF_SIZE, Link, Tap, tune};
use crate::error::{Error, Result};
use crate::rt::{Moving, Reactor, Registration};
use crate::tyming::{Deadline, Deadlines, Tymth, sweep};

/// Key of the listening socket in the reactor.
const LISTENER: u32 = u32::MAX;

/// Options of a [`Server`]. `Default` gives HIO's defaults, except where
/// noted.
#[derive(Clone, Debug)]
pub struct ServerOpts {
    /// Listen backlog; capped at the system's `somaxconn`. Default 1024
    /// (HIO: 128, and 5 in older releases; see ioflo/hio #30).
    pub backlog: u32,
    /// Read size per `recv`, and the minimum socket buffer size. Default 8096.
    pub buf_size: usize,
    /// Idle tymeout of each connection, in tyme seconds: a connection with
    /// no traffic for this long is closed and cut off. `0.0` disables it.
    /// Default 1.0 (HIO's server default, which Python HIO never passed on
    /// to its remoters).
    pub tymeout: f64,
    /// Set TCP_NODELAY on accepted sockets. Default true (HIO: false).
    pub nodelay: bool,
    /// Stop reading a connection once this many bytes wait unread in its
    /// `rxbs`; reading resumes when the application takes them. Default
    /// 16 MiB.
    pub rx_limit: usize,
    /// Stop reading a connection while more than this many bytes wait
    /// unsent in its `txbs` (a peer that sends but does not read, to an
    /// echo or any server that answers what it reads); reading resumes
    /// once the queue drains below half of it. `0`: no limit. Default
    /// 1 MiB.
    pub tx_high_water: usize,
}

impl Default for ServerOpts {
    fn default() -> Self {
        ServerOpts {
            backlog: 1024,
            buf_size: BUF_SIZE,
            tymeout: Server::TYMEOUT,
            nodelay: true,
            rx_limit: 16 << 20,
            tx_high_water: 1 << 20,
        }
    }
}

/// The identity of one accepted connection of a [`Server`]: its slot and
/// the slot's generation. Two connections never share one while the server
/// lives (short of 2^32 reuses of a slot), whereas a peer address is
/// reused by a new connection as soon as the old one is gone (or sooner,
/// behind NAT). Key per-connection state by this, never by address.
///
/// ```
/// use hio::tcp::{Client, Server};
///
/// let mut server = Server::new("127.0.0.1:0".parse().unwrap());
/// server.open()?;
/// let mut client = Client::new(server.local_addr().unwrap());
/// while server.is_empty() {
///     client.service()?;
///     server.service()?;
/// }
/// let id = server.remoters().next().unwrap().id();
/// assert_eq!(server.get(id).unwrap().id(), id);
/// server.remove_id(id);
/// assert!(server.get(id).is_none());
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId {
    slot: u32,
    generation: u32,
}

/// One accepted connection of a [`Server`]: HIO's `Remoter`.
#[derive(Debug)]
pub struct Remoter {
    stream: Option<TcpStream>,
    peer: SocketAddr,
    link: Link,
    tymeout: f64,
    /// Tyme of the last traffic (for the idle tymeout).
    stamp: f64,
    /// Tyme bytes last left (or the connection was accepted).
    sent_at: f64,
    slot: u32,
    generation: u32,
    queued_rx: bool,
    queued_tx: bool,
    received: bool,
    reaping: bool,
    /// The peer closed its side: the next read goes to the end.
    hup: bool,
    /// Reading is paused while too much waits unsent.
    parked: bool,
}

impl Remoter {
    /// This connection's identity.
    pub fn id(&self) -> ConnId {
        ConnId {
            slot: self.slot,
            generation: self.generation,
        }
    }

    /// Whether the connection is broken both ways (reset, failed send, or
    /// closed here), as opposed to a peer that only closed its sending
    /// side and may still read what it is sent.
    pub fn is_broken(&self) -> bool {
        self.link.broken || self.stream.is_none()
    }

    /// Whether the peer closed its sending side (EOF read).
    pub fn is_eof(&self) -> bool {
        self.link.eof
    }

    /// Tyme at which bytes last left on this connection (or it was
    /// accepted): how long a queued response has made no progress.
    pub fn sent_at(&self) -> f64 {
        self.sent_at
    }

    /// The peer's address (HIO's `ca`).
    #[doc(alias = "ca")]
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The local address of this connection (HIO's `ha`), asked of the
    /// socket each time (storing it would cost a `getsockname` per accept
    /// and memory per idle connection); `None` once closed.
    #[doc(alias = "ha")]
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.stream.as_ref().and_then(|s| s.local_addr().ok())
    }

    /// Bytes received and not yet taken.
    pub fn rxbs(&self) -> &[u8] {
        self.link.rx()
    }

    /// The receive buffer, to edit in place. To take bytes from the
    /// front, [`consume`](Self::consume) is cheaper.
    pub fn rxbs_mut(&mut self) -> &mut Vec<u8> {
        self.link.rx_vec()
    }

    /// Takes the first `n` received bytes (all, if fewer), in amortized
    /// constant time per byte: parse from [`rxbs`](Self::rxbs), then
    /// consume what was parsed.
    pub fn consume(&mut self, n: usize) {
        self.link.consume(n);
    }

    /// Takes everything received so far.
    pub fn take_rxbs(&mut self) -> Vec<u8> {
        self.link.take_rx()
    }

    /// Empties the receive buffer.
    pub fn clear_rxbs(&mut self) {
        self.link.clear_rx();
    }

    /// Bytes queued and not yet sent.
    pub fn txbs(&self) -> &[u8] {
        self.link.pending()
    }

    /// Queues bytes to send; they leave at the next service.
    pub fn tx(&mut self, data: &[u8]) {
        self.link.tx(data);
    }

    /// Whether the peer has gone (EOF, reset, broken pipe, idle tymeout).
    pub fn cutoff(&self) -> bool {
        self.link.cutoff
    }

    /// Whether the socket is still open.
    pub fn is_open(&self) -> bool {
        self.stream.is_some()
    }

    /// The idle tymeout (tyme seconds; 0 = none).
    pub fn tymeout(&self) -> f64 {
        self.tymeout
    }

    /// Shuts down the sending side (the peer reads EOF after the data).
    pub fn shutdown_send(&mut self) {
        if let Some(s) = &self.stream {
            let _ = s.shutdown(Shutdown::Write);
        }
    }

    /// Shuts down both directions.
    pub fn shutdown(&mut self) {
        if let Some(s) = &self.stream {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// A non-blocking TCP server: HIO's `Server` (`Acceptor` + `Remoter`s).
///
/// Open it, then call [`service`](Server::service) once per pass (or let a
/// [`ServerDoer`](super::ServerDoer) do it). Each service accepts waiting
/// connections, reads every connection that has data into its `rxbs`,
/// sends what is queued, and closes idle connections. Connections are
/// found by peer address, as in HIO.
///
/// ```
/// use hio::tcp::{Client, Server};
///
/// let mut server = Server::new("127.0.0.1:0".parse().unwrap());
/// server.open()?;
/// let mut client = Client::new(server.local_addr().unwrap());
/// client.tx(b"ping");
/// while server.len() == 0 || server.remoters().all(|r| r.rxbs().is_empty()) {
///     client.service()?;
///     server.service()?;
/// }
/// let peer = server.remoters().next().unwrap().peer();
/// assert_eq!(server.remoter(&peer).unwrap().rxbs(), b"ping");
/// # Ok::<(), hio::Error>(())
/// ```
pub struct Server {
    addr: SocketAddr,
    bound: Option<SocketAddr>,
    listener: Option<TcpListener>,
    opts: ServerOpts,
    slots: Vec<Option<Remoter>>,
    generations: Vec<u32>,
    free: Vec<u32>,
    /// The newest connection from each address, for HIO's lookups by
    /// address; an older one from the same address stays reachable by id.
    by_peer: HashMap<SocketAddr, u32>,
    count: usize,
    accepted: Vec<u32>,
    drained: Vec<u32>,
    parked: Vec<u32>,
    reg: Registration,
    scratch: Vec<u8>,
    acceptable: bool,
    accept_failing: bool,
    rx_ready: Vec<u32>,
    tx_ready: Vec<u32>,
    received: Vec<u32>,
    cutoffs: Vec<u32>,
    /// Idle-tymeout checks: (tyme, (slot, generation)).
    idle: Deadlines<(u32, u32)>,
    tymth: Tymth,
    tap: Option<Tap>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.close();
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addr", &self.addr)
            .field("bound", &self.bound)
            .field("connections", &self.count)
            .finish()
    }
}

impl Server {
    /// HIO's default server tymeout.
    pub const TYMEOUT: f64 = 1.0;

    /// A server that will listen on `addr` (port 0: any free port). Nothing
    /// is opened until [`open`](Server::open).
    pub fn new(addr: SocketAddr) -> Self {
        Server::with_opts(addr, ServerOpts::default())
    }

    /// A server with options.
    pub fn with_opts(addr: SocketAddr, opts: ServerOpts) -> Self {
        let scratch = vec![0; opts.buf_size.max(1)];
        Server {
            addr,
            bound: None,
            listener: None,
            opts,
            slots: Vec::new(),
            generations: Vec::new(),
            free: Vec::new(),
            by_peer: HashMap::new(),
            count: 0,
            accepted: Vec::new(),
            drained: Vec::new(),
            parked: Vec::new(),
            reg: Registration::new(),
            scratch,
            acceptable: false,
            accept_failing: false,
            rx_ready: Vec::new(),
            tx_ready: Vec::new(),
            received: Vec::new(),
            cutoffs: Vec::new(),
            idle: Deadlines::new(),
            tymth: Tymth::default(),
            tap: None,
        }
    }

    /// The options.
    pub fn opts(&self) -> &ServerOpts {
        &self.opts
    }

    /// The address asked for (HIO's `ha` before opening).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address actually bound, once open (HIO's `ha` after opening).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.bound
    }

    /// The external address: the bound address with an unspecified host
    /// replaced by loopback (HIO's `eha`).
    pub fn eha(&self) -> SocketAddr {
        let mut a = self.bound.unwrap_or(self.addr);
        if a.ip().is_unspecified() {
            a.set_ip(match a {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        a
    }

    /// Whether the listener is open.
    pub fn is_open(&self) -> bool {
        self.listener.is_some()
    }

    /// Records every connection's traffic in a [`WireLog`](crate::wiring::WireLog)
    /// (HIO's `wl`), or stops recording with `None`.
    pub fn set_wirelog(&mut self, tap: Option<Tap>) {
        self.tap = tap;
    }

    /// Winds the server (and its idle tymeouts) onto a clock.
    pub fn wind(&mut self, tymth: &Tymth) {
        self.tymth = tymth.clone();
    }

    /// Moves the server's sockets onto another reactor (a Doist's).
    pub(crate) fn set_reactor(&mut self, reactor: &Reactor) -> Result<()> {
        let mut sockets: Vec<Moving<'_>> = Vec::new();
        if let Some(l) = self.listener.as_mut() {
            sockets.push((l, LISTENER, Interest::READABLE));
        }
        let mut keys = Vec::new();
        for (key, r) in self.slots.iter_mut().enumerate() {
            if let Some(s) = r.as_mut().and_then(|r| r.stream.as_mut()) {
                sockets.push((s, key as u32, Interest::READABLE | Interest::WRITABLE));
                keys.push(key as u32);
            }
        }
        if self.reg.rehome(reactor, sockets)? {
            // Nothing may be missed in the move: look at everything once.
            self.acceptable = self.listener.is_some();
            for key in keys {
                self.mark_rx(key);
                self.mark_tx(key);
            }
        }
        Ok(())
    }

    /// Opens the listener (closing first if open). A bind or listen error
    /// is returned and leaves the server closed.
    pub fn open(&mut self) -> Result<()> {
        self.close();
        let domain = Domain::for_address(self.addr);
        let socket = Socket::new(domain, Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.set_nonblocking(true)?;
        // Accepted sockets inherit these on Linux.
        super::raise_buffers(&socket2::SockRef::from(&socket), self.opts.buf_size);
        if self.opts.nodelay {
            socket.set_tcp_nodelay(true)?;
        }
        socket.bind(&self.addr.into())?;
        socket.listen(backlog(self.opts.backlog))?;
        let mut listener = TcpListener::from_std(socket.into());
        self.reg
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        self.bound = Some(listener.local_addr()?);
        self.listener = Some(listener);
        self.acceptable = true;
        Ok(())
    }

    /// HIO's `reopen`: close, then open.
    pub fn reopen(&mut self) -> Result<()> {
        self.open()
    }

    /// Closes the listener and every connection (they stay listed, cut off,
    /// until removed; HIO keeps them too).
    pub fn close(&mut self) {
        if let Some(mut l) = self.listener.take() {
            self.reg.deregister(&mut l);
        }
        for key in 0..self.slots.len() {
            self.close_slot(key as u32);
        }
        self.acceptable = false;
    }

    /// Closes the listener only: no new connections, the open ones go on
    /// (a graceful shutdown).
    pub fn close_listener(&mut self) {
        if let Some(mut l) = self.listener.take() {
            self.reg.deregister(&mut l);
        }
        self.acceptable = false;
    }

    fn close_slot(&mut self, key: u32) {
        if let Some(r) = self.slots[key as usize].as_mut()
            && let Some(s) = r.stream.take()
        {
            // Closing the descriptor also takes it off the poll: no
            // deregister or shutdown calls needed on this hot path.
            drop(s);
            r.link.cutoff = true;
            if !r.reaping {
                r.reaping = true;
                self.cutoffs.push(key);
            }
        }
    }

    /// Number of connections held.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether no connection is held.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The connection `id`, if it is still held.
    pub fn get(&self, id: ConnId) -> Option<&Remoter> {
        match self.slots.get(id.slot as usize) {
            Some(Some(r)) if r.generation == id.generation => Some(r),
            _ => None,
        }
    }

    /// The connection `id`, to read from or queue data on. It is serviced
    /// for sending at the next service.
    pub fn get_mut(&mut self, id: ConnId) -> Option<&mut Remoter> {
        self.get(id)?;
        self.mark_tx(id.slot);
        self.slots[id.slot as usize].as_mut()
    }

    /// The connections that received data in the last
    /// [`service_receives`](Server::service_receives), to read from and
    /// reply on: what is queued on them leaves at the next
    /// [`service_sends`](Server::service_sends), in the same pass when
    /// called from a [`ServiceDoer::on_service`](crate::ServiceDoer::on_service)
    /// hook. No lookup by address, nothing collected.
    ///
    /// ```
    /// use hio::tcp::{Client, Server};
    /// let mut server = Server::new("127.0.0.1:0".parse().unwrap());
    /// server.open()?;
    /// let mut client = Client::new(server.local_addr().unwrap());
    /// client.tx(b"ping");
    /// while server.remoters().all(|r| r.rxbs().is_empty()) {
    ///     client.service()?;
    ///     server.service()?;
    /// }
    /// for r in server.received_mut() {
    ///     let got = r.take_rxbs();
    ///     r.tx(&got.to_ascii_uppercase());
    /// }
    /// server.service_sends()?;
    /// while client.rxbs() != b"PING" {
    ///     client.service()?;
    /// }
    /// # Ok::<(), hio::Error>(())
    /// ```
    pub fn received_mut(&mut self) -> ReceivedMut<'_> {
        // In slot order, so that each can be split off the slot list.
        self.received.sort_unstable();
        for i in 0..self.received.len() {
            self.mark_tx(self.received[i]);
        }
        ReceivedMut {
            rest: &mut self.slots[..],
            base: 0,
            keys: self.received.iter(),
        }
    }

    /// Connections accepted by the last
    /// [`service_connects`](Server::service_connects).
    pub fn accepted_ids(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.ids_of(&self.accepted)
    }

    /// Connections that received data in the last
    /// [`service_receives`](Server::service_receives).
    pub fn received_ids(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.ids_of(&self.received)
    }

    /// Connections whose send queue the last
    /// [`service_sends`](Server::service_sends) emptied.
    pub fn drained_ids(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.ids_of(&self.drained)
    }

    /// Connections that are cut off and not yet removed: an owner that
    /// keeps state per connection looks at these to release it, since a
    /// close brings no data.
    pub fn cutoff_ids(&self) -> impl Iterator<Item = ConnId> + '_ {
        self.ids_of(&self.cutoffs)
    }

    fn ids_of<'a>(&'a self, keys: &'a [u32]) -> impl Iterator<Item = ConnId> + 'a {
        keys.iter()
            .filter_map(|&k| self.slots.get(k as usize)?.as_ref().map(Remoter::id))
    }

    /// Every connection, in no particular order.
    pub fn remoters(&self) -> impl Iterator<Item = &Remoter> {
        self.slots.iter().flatten()
    }

    /// The connection from `peer`.
    pub fn remoter(&self, peer: &SocketAddr) -> Option<&Remoter> {
        let key = *self.by_peer.get(peer)?;
        self.slots[key as usize].as_ref()
    }

    /// The connection from `peer`, to read from or queue data on. It is
    /// serviced for sending at the next service.
    pub fn remoter_mut(&mut self, peer: &SocketAddr) -> Option<&mut Remoter> {
        let key = *self.by_peer.get(peer)?;
        self.mark_tx(key);
        self.slots[key as usize].as_mut()
    }

    /// Queues bytes to `peer` (HIO's `transmitIx`).
    #[doc(alias = "transmitIx")]
    pub fn tx(&mut self, peer: &SocketAddr, data: &[u8]) -> Result<()> {
        let r = self
            .remoter_mut(peer)
            .ok_or_else(|| Error::Invalid(format!("no connection from {peer}")))?;
        r.tx(data);
        Ok(())
    }

    /// Peers whose connection received data in the last
    /// [`service_receives`](Server::service_receives).
    pub fn received(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.received
            .iter()
            .filter_map(|&k| self.slots[k as usize].as_ref().map(|r| r.peer))
    }

    /// Closes and forgets the connection from `peer` (HIO's `removeIx`).
    #[doc(alias = "removeIx")]
    pub fn remove(&mut self, peer: &SocketAddr) -> Option<Remoter> {
        let key = *self.by_peer.get(peer)?;
        self.remove_slot(key)
    }

    /// Closes and forgets the connection `id`.
    pub fn remove_id(&mut self, id: ConnId) -> Option<Remoter> {
        self.get(id)?;
        self.remove_slot(id.slot)
    }

    fn remove_slot(&mut self, key: u32) -> Option<Remoter> {
        self.close_slot(key);
        let r = self.slots[key as usize].take()?;
        if self.by_peer.get(&r.peer) == Some(&key) {
            self.by_peer.remove(&r.peer);
        }
        self.count -= 1;
        self.generations[key as usize] = self.generations[key as usize].wrapping_add(1);
        self.free.push(key);
        // Deadlines of removed connections linger in the heap until due.
        let slots = &self.slots;
        sweep(
            &mut self.idle,
            self.count,
            |(k, g)| matches!(slots.get(*k as usize), Some(Some(r)) if r.generation == *g),
        );
        Some(r)
    }

    /// Removes connections that are cut off, have nothing left to read and
    /// nothing left to send. Returns how many. Python HIO's TCP server never
    /// removes them; HIO leaves it to the owner.
    pub fn reap(&mut self) -> usize {
        self.reap_peers().len()
    }

    /// [`reap`](Server::reap), returning the peers removed.
    pub fn reap_peers(&mut self) -> Vec<SocketAddr> {
        self.reap_with(|r| r.peer)
    }

    /// [`reap`](Server::reap), returning the connections removed.
    pub fn reap_ids(&mut self) -> Vec<ConnId> {
        self.reap_with(Remoter::id)
    }

    fn reap_with<T>(&mut self, what: impl Fn(&Remoter) -> T) -> Vec<T> {
        let mut removed = Vec::new();
        if self.cutoffs.is_empty() {
            return removed;
        }
        let mut keep = Vec::new();
        for key in std::mem::take(&mut self.cutoffs) {
            let Some(r) = self.slots[key as usize].as_mut() else {
                continue;
            };
            if r.link.rx().is_empty() && r.link.pending().is_empty() {
                removed.push(what(r));
                self.remove_slot(key);
            } else {
                keep.push(key);
            }
        }
        self.cutoffs = keep;
        removed
    }

    /// One full service: accept, receive, send, and idle tymeouts.
    pub fn service(&mut self) -> Result<()> {
        self.service_connects()?;
        self.service_receives()?;
        self.service_sends()?;
        self.service_tymeouts();
        Ok(())
    }

    /// Takes the reactor's reports for this server.
    fn refresh(&mut self) -> Result<()> {
        let Server {
            reg,
            slots,
            rx_ready,
            tx_ready,
            acceptable,
            ..
        } = self;
        for ev in reg.refresh()? {
            if ev.key == LISTENER {
                *acceptable = true;
                continue;
            }
            if ev.hup
                && let Some(Some(r)) = slots.get_mut(ev.key as usize)
            {
                r.hup = true;
            }
            if ev.readable {
                mark(slots, rx_ready, ev.key, true);
            }
            if ev.writable {
                mark(slots, tx_ready, ev.key, false);
            }
        }
        Ok(())
    }

    fn mark_rx(&mut self, key: u32) {
        mark(&mut self.slots, &mut self.rx_ready, key, true);
    }

    fn mark_tx(&mut self, key: u32) {
        mark(&mut self.slots, &mut self.tx_ready, key, false);
    }

    /// Accepts every waiting connection (HIO's `serviceConnects`).
    #[doc(alias = "serviceConnects")]
    pub fn service_connects(&mut self) -> Result<()> {
        self.refresh()?;
        self.accepted.clear();
        if !self.acceptable {
            return Ok(());
        }
        loop {
            let Some(listener) = self.listener.as_ref() else {
                self.acceptable = false;
                return Ok(());
            };
            match listener.accept() {
                Ok((stream, peer)) => {
                    self.accept_failing = false;
                    self.admit(stream, peer)
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.acceptable = false;
                    return Ok(());
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(e) => {
                    // Out of descriptors or memory: the connection stays in
                    // the queue; try again at the next service. Said once
                    // per run of failures, not once per pass.
                    if !self.accept_failing {
                        self.accept_failing = true;
                        tracing::warn!(
                            error = %e,
                            held = self.count,
                            "accept failed (descriptors exhausted?); retrying each service"
                        );
                    }
                    return Ok(());
                }
            }
        }
    }

    fn admit(&mut self, mut stream: TcpStream, peer: SocketAddr) {
        // Linux hands the listener's TCP_NODELAY and buffer sizes down to
        // accepted sockets (set in `open`); elsewhere, set them here.
        if !cfg!(target_os = "linux") {
            tune(&stream, self.opts.buf_size, self.opts.nodelay);
        }
        // An older connection from the same address (its reset not yet
        // read, or NAT) keeps its slot and state: it is found by its id,
        // and goes when it is reaped, never handed to the newcomer.
        let key = match self.free.pop() {
            Some(k) => k,
            None => {
                self.slots.push(None);
                self.generations.push(0);
                (self.slots.len() - 1) as u32
            }
        };
        if let Err(e) = self
            .reg
            .register(&mut stream, key, Interest::READABLE | Interest::WRITABLE)
        {
            tracing::warn!(error = %e, %peer, "cannot watch accepted socket; dropping it");
            self.free.push(key);
            return;
        }
        let stamp = self.tymth.tyme();
        let generation = self.generations[key as usize];
        self.slots[key as usize] = Some(Remoter {
            stream: Some(stream),
            peer,
            link: Link::default(),
            tymeout: self.opts.tymeout,
            stamp,
            sent_at: stamp,
            slot: key,
            generation,
            queued_rx: true,
            queued_tx: false,
            received: false,
            reaping: false,
            hup: false,
            parked: false,
        });
        // Data may already be waiting: read it at once.
        self.rx_ready.push(key);
        self.by_peer.insert(peer, key);
        self.accepted.push(key);
        self.count += 1;
        if self.opts.tymeout > 0.0 {
            self.idle.push(Reverse(Deadline(
                stamp + self.opts.tymeout,
                (key, generation),
            )));
        }
    }

    /// Reads every connection with data waiting (HIO's greedy
    /// `serviceReceivesAllIx`, but only for ready sockets).
    #[doc(alias = "serviceReceivesAllIx")]
    pub fn service_receives(&mut self) -> Result<()> {
        self.refresh()?;
        for &k in &self.received {
            if let Some(Some(r)) = self.slots.get_mut(k as usize) {
                r.received = false;
            }
        }
        self.received.clear();
        let tyme = self.tymth.tyme();
        let ready = std::mem::take(&mut self.rx_ready);
        let mut again = Vec::new();
        for &key in &ready {
            let Some(Some(r)) = self.slots.get_mut(key as usize) else {
                continue;
            };
            r.queued_rx = false;
            let Some(stream) = r.stream.as_mut() else {
                continue;
            };
            let high = self.opts.tx_high_water;
            if high > 0 && r.link.pending().len() > high && !r.link.eof {
                // Back-pressure: what it sends waits in the kernel (and
                // then in the peer) until it reads what it was sent.
                if !r.parked {
                    r.parked = true;
                    self.parked.push(key);
                }
                continue;
            }
            // Read no more than the send queue has room for, so that what
            // is relayed back stays near the mark.
            let limit = if high > 0 {
                let room = high.saturating_sub(r.link.pending().len());
                self.opts.rx_limit.min(room.max(self.scratch.len()))
            } else {
                self.opts.rx_limit
            };
            let tap = self.tap.as_ref().map(|t| (t, r.peer));
            let got = r
                .link
                .receive_all(stream, &mut self.scratch, limit, tap, r.hup);
            if got.bytes > 0 {
                r.stamp = tyme;
                if !r.received {
                    r.received = true;
                    self.received.push(key);
                }
            }
            if got.more {
                r.queued_rx = true;
                again.push(key);
            }
            if r.link.cutoff && !r.reaping {
                r.reaping = true;
                self.cutoffs.push(key);
            }
        }
        self.rx_ready = ready;
        self.rx_ready.clear();
        if !again.is_empty() {
            // Reads cut short at a limit raise no new readiness.
            self.reg.reactor().more_work();
        }
        self.rx_ready.extend(again);
        Ok(())
    }

    /// Tells the Doist that work is left for the next pass that no
    /// readiness will announce (requests already read, not yet answered),
    /// so it must not wait between passes.
    #[cfg(feature = "http")]
    pub(crate) fn more_work(&self) {
        self.reg.reactor().more_work();
    }

    /// Sends what is queued on every connection that has something to send
    /// and can take it (HIO's `serviceSendsAllIx`, but until the socket
    /// would block rather than one `send` per pass).
    #[doc(alias = "serviceSendsAllIx")]
    pub fn service_sends(&mut self) -> Result<()> {
        self.refresh()?;
        let tyme = self.tymth.tyme();
        self.drained.clear();
        let ready = std::mem::take(&mut self.tx_ready);
        for &key in &ready {
            let Some(Some(r)) = self.slots.get_mut(key as usize) else {
                continue;
            };
            r.queued_tx = false;
            let Some(stream) = r.stream.as_mut() else {
                continue;
            };
            if r.link.pending().is_empty() {
                continue;
            }
            let tap = self.tap.as_ref().map(|t| (t, r.peer));
            if r.link.send_all(stream, tap) > 0 {
                r.stamp = tyme;
                r.sent_at = tyme;
                if r.link.pending().is_empty() {
                    self.drained.push(key);
                }
            }
            if r.link.cutoff && !r.reaping {
                r.reaping = true;
                self.cutoffs.push(key);
            }
        }
        self.tx_ready = ready;
        self.tx_ready.clear();
        self.unpark();
        Ok(())
    }

    /// Resumes reading the parked connections whose send queue has drained
    /// below half the high-water mark (or that are gone).
    fn unpark(&mut self) {
        if self.parked.is_empty() {
            return;
        }
        let low = self.opts.tx_high_water / 2;
        let mut i = 0;
        while i < self.parked.len() {
            let key = self.parked[i];
            let resume = match self.slots.get_mut(key as usize) {
                Some(Some(r)) if r.parked => {
                    if r.link.pending().len() <= low || r.stream.is_none() {
                        r.parked = false;
                        true
                    } else {
                        false
                    }
                }
                _ => {
                    self.parked.swap_remove(i);
                    continue;
                }
            };
            if resume {
                self.parked.swap_remove(i);
                self.mark_rx(key);
            } else {
                i += 1;
            }
        }
    }

    /// Closes connections idle for longer than their tymeout. Costs nothing
    /// for connections that are not due.
    pub fn service_tymeouts(&mut self) {
        let tyme = self.tymth.tyme();
        while let Some(&Reverse(Deadline(due, (key, generation)))) = self.idle.peek() {
            if due > tyme {
                break;
            }
            self.idle.pop();
            let Some(Some(r)) = self.slots.get(key as usize) else {
                continue;
            };
            if r.generation != generation || r.stream.is_none() {
                continue;
            }
            let next = r.stamp + r.tymeout;
            if next > tyme {
                self.idle.push(Reverse(Deadline(next, (key, generation))));
                continue;
            }
            tracing::debug!(peer = %r.peer, "idle tymeout");
            self.close_slot(key);
        }
    }

    /// Moves each connection's received bytes to its transmit queue: the
    /// echo of [`ServerDoer::echo`](super::ServerDoer::echo), in the same pass.
    pub(crate) fn echo_received(&mut self) {
        for i in 0..self.received.len() {
            let key = self.received[i];
            if let Some(Some(r)) = self.slots.get_mut(key as usize) {
                if r.link.rx().is_empty() {
                    continue;
                }
                r.link.echo();
                if !r.queued_tx {
                    r.queued_tx = true;
                    self.tx_ready.push(key);
                }
            }
        }
    }
}

/// The iterator of [`Server::received_mut`].
#[derive(Debug)]
pub struct ReceivedMut<'a> {
    /// The slots after the last one handed out.
    rest: &'a mut [Option<Remoter>],
    /// The slot number of `rest[0]`.
    base: usize,
    /// Slot numbers, ascending.
    keys: std::slice::Iter<'a, u32>,
}

impl<'a> Iterator for ReceivedMut<'a> {
    type Item = &'a mut Remoter;

    fn next(&mut self) -> Option<&'a mut Remoter> {
        loop {
            let key = *self.keys.next()? as usize;
            let Some(at) = key.checked_sub(self.base) else {
                continue;
            };
            let rest = std::mem::take(&mut self.rest);
            let (slot, tail) = rest.get_mut(at..)?.split_first_mut()?;
            self.rest = tail;
            self.base = key + 1;
            if let Some(r) = slot.as_mut() {
                return Some(r);
            }
        }
    }
}

/// Queues a connection for receiving (`rx`) or sending, once.
fn mark(slots: &mut [Option<Remoter>], list: &mut Vec<u32>, key: u32, rx: bool) {
    if let Some(Some(r)) = slots.get_mut(key as usize) {
        let queued = if rx {
            &mut r.queued_rx
        } else {
            &mut r.queued_tx
        };
        if !*queued {
            *queued = true;
            list.push(key);
        }
    }
}

/// The backlog, capped at the kernel's `somaxconn`.
fn backlog(wanted: u32) -> i32 {
    let max = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(4096);
    wanted.clamp(1, max).min(i32::MAX as u32) as i32
}
