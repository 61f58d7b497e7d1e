//! [`Client`]: an outgoing TCP connection that never blocks.

use std::io;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};

use mio::net::TcpStream;
use socket2::{Domain, Socket, Type};

use super::{BUF_SIZE, Link, Tap, tune};
use crate::error::{Error, Result};
use crate::rt::{OneSocket, Reactor};
use crate::tyming::{Tymer, Tymth};

/// Options of a [`Client`]. `Default` gives HIO's defaults except where
/// noted.
#[derive(Clone, Debug)]
pub struct ClientOpts {
    /// Read size per `recv` and minimum socket buffer size. Default 8096.
    pub buf_size: usize,
    /// Reconnect automatically: after `tymeout` of tyme without completing
    /// a connect, and (unlike Python HIO) after the connection is cut off.
    /// Default false.
    pub reconnectable: bool,
    /// The reconnect retry period in tyme seconds (HIO's `tymeout`).
    /// Default 0.0.
    pub tymeout: f64,
    /// Set TCP_NODELAY. Default true (HIO: false).
    pub nodelay: bool,
    /// Stop reading once this many bytes wait unread. Default 16 MiB.
    pub rx_limit: usize,
}

impl Default for ClientOpts {
    fn default() -> Self {
        ClientOpts {
            buf_size: BUF_SIZE,
            reconnectable: false,
            tymeout: 0.0,
            nodelay: true,
            rx_limit: 16 << 20,
        }
    }
}

/// A non-blocking TCP client: HIO's `tcp.Client`.
///
/// [`service`](Client::service) connects (retrying after a refusal), sends
/// what [`tx`](Client::tx) queued, and reads what arrived into
/// [`rxbs`](Client::rxbs). A connection whose peer went away is marked
/// [`cutoff`](Client::cutoff); a reconnectable client then connects anew.
///
/// ```
/// use hio::tcp::Client;
/// let client = Client::new("127.0.0.1:56000".parse().unwrap());
/// assert!(!client.connected());
/// assert_eq!(client.addr().port(), 56000);
/// ```
pub struct Client {
    addr: SocketAddr,
    hostname: String,
    opts: ClientOpts,
    stream: Option<TcpStream>,
    local: Option<SocketAddr>,
    connected: bool,
    link: Link,
    tymer: Tymer,
    one: OneSocket,
    scratch: Vec<u8>,
    tap: Option<Tap>,
}

impl Drop for Client {
    fn drop(&mut self) {
        self.close();
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("addr", &self.addr)
            .field("local", &self.local)
            .field("connected", &self.connected)
            .field("cutoff", &self.link.cutoff)
            .finish()
    }
}

impl Client {
    /// A client for `addr`. Nothing is opened until the first service or
    /// [`open`](Client::open).
    pub fn new(addr: SocketAddr) -> Self {
        Client::with_opts(addr, ClientOpts::default())
    }

    /// A client with options.
    pub fn with_opts(addr: SocketAddr, opts: ClientOpts) -> Self {
        let scratch = vec![0; opts.buf_size.max(1)];
        let tymer = Tymer::new(&Tymth::default(), opts.tymeout);
        Client {
            addr,
            hostname: addr.ip().to_string(),
            opts,
            stream: None,
            local: None,
            connected: false,
            link: Link::default(),
            tymer,
            one: OneSocket::new(),
            scratch,
            tap: None,
        }
    }

    /// A client for `host:port`, resolving the host now (HIO resolves at
    /// construction too), IPv4 first.
    pub fn resolve(host: &str, port: u16, opts: ClientOpts) -> Result<Self> {
        let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
        let addr = addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or(addrs.first())
            .copied()
            .ok_or_else(|| Error::Invalid(format!("{host} resolves to no address")))?;
        let mut client = Client::with_opts(addr, opts);
        client.hostname = host.to_string();
        Ok(client)
    }

    /// The remote address (HIO's `ha`).
    #[doc(alias = "ha")]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The host name as given (for TLS server names).
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// The local address once connected (HIO's `ca`).
    #[doc(alias = "ca")]
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local
    }

    /// The options.
    pub fn opts(&self) -> &ClientOpts {
        &self.opts
    }

    /// Whether the connection is established.
    pub fn connected(&self) -> bool {
        self.connected
    }

    /// Whether the peer has gone.
    pub fn cutoff(&self) -> bool {
        self.link.cutoff
    }

    /// Whether a socket is open (connected or connecting).
    pub fn is_open(&self) -> bool {
        self.stream.is_some()
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

    /// Queues bytes to send.
    pub fn tx(&mut self, data: &[u8]) {
        self.link.tx(data);
        self.one.writable = true;
    }

    /// Records the connection's traffic in a [`WireLog`](crate::wiring::WireLog)
    /// (HIO's `wl`), or stops recording with `None`.
    pub fn set_wirelog(&mut self, tap: Option<Tap>) {
        self.tap = tap;
    }

    /// Winds the client (and its reconnect tymer) onto a clock.
    pub fn wind(&mut self, tymth: &Tymth) {
        self.tymer.wind(tymth);
    }

    /// Moves the client's socket onto another reactor (a Doist's).
    pub(crate) fn set_reactor(&mut self, reactor: &Reactor) -> Result<()> {
        let socket = self
            .stream
            .as_mut()
            .map(|s| s as &mut dyn mio::event::Source);
        self.one.rehome(reactor, socket)
    }

    /// Opens a socket and starts connecting (closing first if open).
    pub fn open(&mut self) -> Result<()> {
        self.close();
        self.link.cutoff = false;
        self.link.eof = false;
        self.link.broken = false;
        let socket = Socket::new(Domain::for_address(self.addr), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.set_nonblocking(true)?;
        super::raise_buffers(&socket2::SockRef::from(&socket), self.opts.buf_size);
        match socket.connect(&self.addr.into()) {
            Ok(()) => {}
            Err(e)
                if e.raw_os_error() == Some(libc::EINPROGRESS)
                    || e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => {
                tracing::debug!(error = %e, addr = %self.addr, "connect failed at once");
                return Ok(());
            }
        }
        let mut stream = TcpStream::from_std(socket.into());
        tune(&stream, self.opts.buf_size, self.opts.nodelay);
        self.one.register(&mut stream)?;
        self.stream = Some(stream);
        Ok(())
    }

    /// HIO's `reopen`: close, then open.
    pub fn reopen(&mut self) -> Result<()> {
        self.open()
    }

    /// Closes the socket. Buffers are kept; `cutoff` is kept until the next
    /// open, as in HIO.
    pub fn close(&mut self) {
        if let Some(mut s) = self.stream.take() {
            self.one.deregister(&mut s);
            let _ = s.shutdown(Shutdown::Both);
        }
        self.connected = false;
        self.local = None;
    }

    /// Shuts down the sending side; the peer reads EOF after the data.
    pub fn shutdown_send(&mut self) {
        if let Some(s) = &self.stream {
            let _ = s.shutdown(Shutdown::Write);
        }
    }

    fn refresh(&mut self) -> Result<()> {
        self.one.refresh()
    }

    /// One full service: connect, send, receive (HIO's order).
    pub fn service(&mut self) -> Result<()> {
        self.service_connect()?;
        self.service_sends()?;
        self.service_receives()
    }

    /// Connects if not connected; returns whether connected. A refused
    /// connect closes the socket, and the next call tries again, as HIO
    /// does. A reconnectable client also starts over when a connect has
    /// taken longer than its tymeout, or when the connection was cut off.
    #[doc(alias = "serviceConnect")]
    pub fn service_connect(&mut self) -> Result<bool> {
        self.refresh()?;
        if self.connected {
            if self.link.cutoff && self.opts.reconnectable && self.link.pending().is_empty() {
                self.reopen()?;
                self.tymer.start(Some(self.opts.tymeout), None);
            }
            return Ok(self.connected);
        }
        if self.stream.is_none() {
            self.open()?;
        }
        if let Some(stream) = self.stream.as_ref() {
            match stream.peer_addr() {
                Ok(peer) => {
                    self.addr = peer;
                    self.local = stream.local_addr().ok();
                    self.connected = true;
                    self.link.cutoff = false;
                    self.link.eof = false;
                    self.link.broken = false;
                    self.one.readable = true;
                    self.one.writable = true;
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    if let Ok(Some(err)) | Err(err) = stream.take_error() {
                        tracing::debug!(error = %err, addr = %self.addr, "connect failed");
                        self.close();
                    }
                }
                Err(e) => {
                    tracing::debug!(error = %e, addr = %self.addr, "connect failed");
                    self.close();
                }
            }
        }
        if !self.connected
            && self.opts.reconnectable
            && self.opts.tymeout > 0.0
            && self.tymer.expired()
        {
            self.reopen()?;
            self.tymer.restart(None);
        }
        Ok(self.connected)
    }

    /// Sends what is queued until the socket would block.
    #[doc(alias = "serviceSends")]
    pub fn service_sends(&mut self) -> Result<()> {
        self.refresh()?;
        if !self.connected || !self.one.writable || self.link.pending().is_empty() {
            return Ok(());
        }
        if let Some(stream) = self.stream.as_mut() {
            self.link
                .send_all(stream, self.tap.as_ref().map(|t| (t, self.addr)));
            // Data left queued means the socket would block: wait for the
            // reactor to say it is writable again.
            self.one.writable = self.link.pending().is_empty();
        }
        Ok(())
    }

    /// Reads everything waiting into `rxbs` (HIO's greedy
    /// `serviceReceives`).
    #[doc(alias = "serviceReceives")]
    pub fn service_receives(&mut self) -> Result<()> {
        self.refresh()?;
        if !self.connected || !self.one.readable {
            return Ok(());
        }
        if let Some(stream) = self.stream.as_mut() {
            let tap = self.tap.as_ref().map(|t| (t, self.addr));
            let got = self.link.receive_all(
                stream,
                &mut self.scratch,
                self.opts.rx_limit,
                tap,
                self.one.hup,
            );
            self.one.readable = got.more;
        }
        Ok(())
    }

    /// Reads once (HIO's `serviceReceiveOnce`); returns bytes read.
    #[doc(alias = "serviceReceiveOnce")]
    pub fn service_receive_once(&mut self) -> Result<usize> {
        self.refresh()?;
        if !self.connected {
            return Ok(0);
        }
        match self.stream.as_mut() {
            Some(stream) => {
                let tap = self.tap.as_ref().map(|t| (t, self.addr));
                Ok(self.link.receive_once(stream, &mut self.scratch, tap))
            }
            None => Ok(0),
        }
    }
}
