//! The HTTP/1.1 [`Server`] and its [`ServerDoer`].

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use http::header::{CONNECTION, CONTENT_LENGTH, DATE, SERVER, TRANSFER_ENCODING};
use http::{HeaderMap, Method, Request, Response, StatusCode, Version};

use super::parse::{
    ChunkedDecoder, Framing, Limits, ParseError, RequestHead, parse_request_head, read_body,
};
use super::{Body, HttpError, Piece, push_http_date, title_case};
use crate::doing::{Cx, ServiceDoer, Serviced};
use crate::error::Result;
use crate::tcp::{self, ConnId, ServerOpts};
use crate::tyming::{Deadline, Deadlines, Tymth, sweep};

/// Handles one request: HIO's WSGI app, as a Rust function or object.
///
/// Any `FnMut(Request<Bytes>) -> Response<Body>` is a handler; implement
/// the trait for a handler with state of its own. The peer's address is in
/// the request's extensions as [`RemoteAddr`].
pub trait Handler: 'static {
    /// Answers a request.
    fn handle(&mut self, req: Request<Bytes>) -> Response<Body>;

    /// Asked once a request head with a body has arrived: return an
    /// [`Upload`] to take the body as it arrives (any size, never held in
    /// memory) instead of getting it in full, within
    /// [`Limits::max_body`], in [`handle`](Handler::handle). By default,
    /// bodies are buffered.
    fn upload(&mut self, req: &Request<()>) -> Option<Box<dyn Upload>> {
        let _ = req;
        None
    }
}

/// A request body taken as it arrives (see [`Handler::upload`]).
///
/// ```
/// use hio::http::{Body, HttpError, Request, Response, Upload};
///
/// /// Counts the bytes of an upload.
/// struct Count(usize);
///
/// impl Upload for Count {
///     fn data(&mut self, chunk: &[u8]) -> Result<(), HttpError> {
///         self.0 += chunk.len();
///         Ok(())
///     }
///     fn finish(self: Box<Self>, _req: Request<()>) -> Response<Body> {
///         Response::new(Body::from(format!("{} bytes", self.0)))
///     }
/// }
///
/// let mut up: Box<dyn Upload> = Box::new(Count(0));
/// up.data(b"hello").unwrap();
/// let res = up.finish(Request::new(()));
/// assert!(matches!(res.body(), Body::Full(b) if b == "5 bytes"));
/// ```
pub trait Upload: 'static {
    /// The next part of the body. An error answers the request with it
    /// (413, say) and closes the connection.
    // The error is the response to send: boxing it would only add a step
    // on a path taken once per connection at most.
    #[allow(clippy::result_large_err)]
    fn data(&mut self, chunk: &[u8]) -> std::result::Result<(), HttpError>;

    /// The body is complete: the response.
    fn finish(self: Box<Self>, req: Request<()>) -> Response<Body>;
}

impl<F: FnMut(Request<Bytes>) -> Response<Body> + 'static> Handler for F {
    fn handle(&mut self, req: Request<Bytes>) -> Response<Body> {
        self(req)
    }
}

/// The client's address, in every request's extensions (CGI's and WSGI's
/// `REMOTE_ADDR` and `REMOTE_PORT`).
///
/// ```
/// use hio::http::{Body, Bytes, RemoteAddr, Request, Response};
/// fn whoami(req: Request<Bytes>) -> Response<Body> {
///     match req.extensions().get::<RemoteAddr>() {
///         Some(RemoteAddr(addr)) => Response::new(Body::from(addr.to_string())),
///         None => Response::new(Body::Empty),
///     }
/// }
/// let mut req = Request::new(Bytes::new());
/// req.extensions_mut().insert(RemoteAddr("127.0.0.1:5000".parse().unwrap()));
/// assert!(matches!(whoami(req).body(), Body::Full(b) if b == "127.0.0.1:5000"));
/// ```
#[doc(alias = "REMOTE_ADDR")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemoteAddr(pub SocketAddr);

/// HTTP options of a [`Server`].
#[derive(Clone, Debug)]
pub struct HttpOpts {
    /// Size limits on requests (431/413 beyond them).
    pub limits: Limits,
    /// Render error responses as JSON instead of text.
    pub json_errors: bool,
    /// The `Server` header sent when a response has none.
    pub server_name: String,
    /// Tyme a connection may wait for its next request (before the first,
    /// and between requests on a kept-alive connection) before it is
    /// closed. `0.0`: no limit. Default 5.0 ([`Server::TYMEOUT`]).
    pub idle_tymeout: f64,
    /// Tyme allowed for a request head to arrive in full once it has
    /// started; beyond it the connection gets 408 and is closed (slow
    /// clients holding connections). `0.0`: no limit. Default 10.0.
    pub head_tymeout: f64,
    /// Tyme allowed for a request body to arrive in full after its head;
    /// beyond it, 408 and close (a trickled upload holds memory).
    /// `0.0`: no limit. Default 30.0.
    pub body_tymeout: f64,
    /// Tyme a queued response may make no progress (a client that has
    /// stopped reading) before the connection is closed. A handler that
    /// is not ready yet is never timed. `0.0`: no limit. Default 60.0
    /// (nginx's `send_timeout`).
    pub send_tymeout: f64,
    /// Most connections held; one more is answered 503 with
    /// `Retry-After` and closed. Default: 90 % of the descriptor limit
    /// (`RLIMIT_NOFILE`) less 64 kept for everything else, at least 16.
    pub max_connections: usize,
    /// A streaming body is not pulled while this many bytes wait unsent on
    /// its connection. Default 1 MiB.
    pub high_water: usize,
    /// On exit of its [`ServerDoer`] (a signal, the end of a run), wall
    /// seconds to let responses in progress finish before closing (see
    /// [`Server::drain_for`]). `0.0`: close at once, as HIO does. Default 0.0.
    pub drain: f64,
}

impl Default for HttpOpts {
    fn default() -> Self {
        HttpOpts {
            // A server buffers request bodies: 1 MiB (nginx's default),
            // not the client's 16 MiB; larger ones go to an `Upload`.
            limits: Limits {
                max_body: 1 << 20,
                ..Limits::default()
            },
            json_errors: false,
            server_name: concat!("hio/", env!("CARGO_PKG_VERSION")).to_string(),
            idle_tymeout: Server::TYMEOUT,
            head_tymeout: 10.0,
            body_tymeout: 30.0,
            send_tymeout: 60.0,
            high_water: 1 << 20,
            max_connections: default_max_connections(),
            drain: 0.0,
        }
    }
}

/// 90 % of the soft descriptor limit, less 64 for listeners, files and
/// the rest, at least 16.
fn default_max_connections() -> usize {
    let soft = rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft);
    let soft = usize::try_from(soft).unwrap_or(usize::MAX).min(1 << 20);
    (soft.saturating_sub(64) / 10 * 9).max(16)
}

/// How a response body is delimited on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    NoBody,
    Fixed(u64),
    Chunked,
    Close,
}

/// One response being written.
struct Writer {
    version: Version,
    head_request: bool,
    keep_alive: bool,
    status: StatusCode,
    headers: HeaderMap,
    body: Body,
    head_sent: bool,
    mode: Mode,
    /// End the (endless) stream at its next step: shutting down.
    ending: bool,
}

/// What a writer did.
enum Step {
    /// Waiting for the body (or for the socket to drain).
    Pending,
    /// The response is written.
    Done,
}

impl Writer {
    fn new(res: Response<Body>, version: Version, head_request: bool, keep_alive: bool) -> Self {
        let (parts, body) = res.into_parts();
        Writer {
            version,
            head_request,
            keep_alive,
            status: parts.status,
            headers: parts.headers,
            body,
            head_sent: false,
            mode: Mode::NoBody,
            ending: false,
        }
    }

    /// An error response that closes the connection.
    fn error(e: &HttpError, json: bool, version: Version) -> Self {
        Writer::new(e.response(json), version, false, false)
    }

    /// Writes what it can into `out` (the connection's transmit queue).
    fn step(&mut self, out: &mut tcp::Remoter, opts: &HttpOpts) -> Step {
        if out.txbs().len() > opts.high_water {
            return Step::Pending;
        }
        if !self.head_sent {
            if let Body::Stream(stream) = &mut self.body {
                match stream.next_piece() {
                    Piece::Data(d) if d.is_empty() && !self.ending => return Step::Pending,
                    Piece::Data(d) if d.is_empty() => self.body = Body::Empty,
                    Piece::Data(d) => {
                        if let Some((status, headers)) = stream.head() {
                            if let Some(s) = status {
                                self.status = s;
                            }
                            self.headers.extend(headers);
                        }
                        self.write_head(out, opts, None);
                        self.write_piece(out, &d);
                        if self.ending {
                            return self.finish(out);
                        }
                        return Step::Pending;
                    }
                    Piece::End => {
                        self.body = Body::Empty;
                    }
                    Piece::Fail(e) => {
                        // Still before the head: the error is the response,
                        // and the connection stays as the request asked.
                        *self = Writer::new(
                            e.response(opts.json_errors),
                            self.version,
                            self.head_request,
                            self.keep_alive,
                        );
                    }
                }
            }
            let full = match std::mem::replace(&mut self.body, Body::Empty) {
                Body::Full(b) => b,
                _ => Bytes::new(),
            };
            self.write_head(out, opts, Some(full.len() as u64));
            if self.mode != Mode::NoBody {
                out.tx(&full);
            }
            return Step::Done;
        }
        let Body::Stream(stream) = &mut self.body else {
            return Step::Done;
        };
        match stream.next_piece() {
            Piece::Data(d) if d.is_empty() && !self.ending => Step::Pending,
            Piece::Data(d) => {
                // An empty piece written chunked would be the last chunk.
                if !d.is_empty() {
                    self.write_piece(out, &d);
                }
                if self.ending {
                    self.finish(out)
                } else if let Mode::Fixed(0) = self.mode {
                    Step::Done
                } else {
                    Step::Pending
                }
            }
            Piece::End => self.finish(out),
            Piece::Fail(e) => {
                tracing::warn!(error = %e, "response body failed after its head was sent");
                self.finish(out)
            }
        }
    }

    /// Ends a streamed body.
    fn finish(&mut self, out: &mut tcp::Remoter) -> Step {
        match self.mode {
            Mode::Chunked => out.tx(b"0\r\n\r\n"),
            // Short of its declared length: only closing can end it.
            Mode::Fixed(left) if left > 0 => self.keep_alive = false,
            _ => {}
        }
        Step::Done
    }

    fn write_piece(&mut self, out: &mut tcp::Remoter, data: &[u8]) {
        match self.mode {
            Mode::NoBody => {}
            Mode::Chunked => {
                out.tx(format!("{:x}\r\n", data.len()).as_bytes());
                out.tx(data);
                out.tx(b"\r\n");
            }
            Mode::Fixed(left) => {
                // Bytes past the declared length are dropped (as in HIO).
                let take = (left.min(data.len() as u64)) as usize;
                out.tx(&data[..take]);
                self.mode = Mode::Fixed(left - take as u64);
            }
            Mode::Close => out.tx(data),
        }
    }

    /// Writes the status line and headers, choosing the body's framing.
    /// `full` is the length of a body known in full.
    fn write_head(&mut self, out: &mut tcp::Remoter, opts: &HttpOpts, full: Option<u64>) {
        self.head_sent = true;
        let bodiless = self.status.is_informational()
            || self.status == StatusCode::NO_CONTENT
            || self.status == StatusCode::NOT_MODIFIED;
        let declared = self
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        self.headers.remove(TRANSFER_ENCODING);
        self.headers.remove(CONTENT_LENGTH);
        let mut length = None;
        self.mode = if bodiless {
            Mode::NoBody
        } else if let Some(n) = full {
            length = Some(n);
            Mode::Fixed(n)
        } else if let Some(n) = declared {
            length = Some(n);
            Mode::Fixed(n)
        } else if self.version == Version::HTTP_11 {
            Mode::Chunked
        } else {
            self.keep_alive = false;
            Mode::Close
        };
        let mut head = String::with_capacity(256);
        let version = if self.version == Version::HTTP_10 {
            "HTTP/1.0"
        } else {
            "HTTP/1.1"
        };
        head.push_str(version);
        head.push(' ');
        head.push_str(self.status.as_str());
        head.push(' ');
        head.push_str(self.status.canonical_reason().unwrap_or("Unknown"));
        head.push_str("\r\n");
        let mut raw: Vec<u8> = head.into_bytes();
        for (name, value) in &self.headers {
            if name == CONNECTION {
                continue;
            }
            raw.extend_from_slice(title_case(name.as_str()).as_bytes());
            raw.extend_from_slice(b": ");
            raw.extend_from_slice(value.as_bytes());
            raw.extend_from_slice(b"\r\n");
        }
        // HIO's order: the handler's headers, the length, Server, Date, then
        // the transfer coding.
        if let (Mode::Fixed(_), Some(n)) = (self.mode, length) {
            raw.extend_from_slice(format!("Content-Length: {n}\r\n").as_bytes());
        }
        if !self.headers.contains_key(SERVER) {
            raw.extend_from_slice(b"Server: ");
            raw.extend_from_slice(opts.server_name.as_bytes());
            raw.extend_from_slice(b"\r\n");
        }
        if !self.headers.contains_key(DATE) {
            raw.extend_from_slice(b"Date: ");
            push_http_date(&mut raw);
            raw.extend_from_slice(b"\r\n");
        }
        if self.mode == Mode::Chunked && !self.head_request {
            raw.extend_from_slice(b"Transfer-Encoding: chunked\r\n");
        }
        if !self.keep_alive {
            raw.extend_from_slice(b"Connection: close\r\n");
        } else if self.version == Version::HTTP_10 {
            raw.extend_from_slice(b"Connection: keep-alive\r\n");
        }
        raw.extend_from_slice(b"\r\n");
        out.tx(&raw);
        if self.head_request {
            // HEAD: the head says what a GET would get; no body follows.
            self.mode = Mode::NoBody;
            self.body = Body::Empty;
        }
    }
}

/// Where a connection is.
enum Phase {
    /// Waiting for (the rest of) a request head.
    Head,
    /// Reading the body of this request.
    Body(Box<Pending>),
    /// Writing a response.
    Respond(Box<Writer>),
    /// Done: close once everything queued is sent.
    Close,
}

/// A request whose body is arriving.
struct Pending {
    req: Request<()>,
    framing: Framing,
    keep_alive: bool,
    /// The handler takes the body as it arrives instead.
    upload: Option<Box<dyn Upload>>,
    /// Bytes handed to the upload so far.
    uploaded: u64,
}

/// What a connection is waiting for, and so which tymeout applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// The next request (keep-alive idle).
    Idle,
    /// The rest of a request head.
    Head,
    /// The rest of a request body.
    Body,
    /// The client to read what is queued for it.
    Send,
}

struct Conn {
    phase: Phase,
    body: BytesMut,
    chunked: Option<ChunkedDecoder>,
    /// Tyme the current request head started arriving.
    head_started: Option<f64>,
    /// The tymeout armed, when it was armed, and its sequence number (a
    /// heap entry with another number is stale).
    wait: Option<(Wait, f64)>,
    seq: u32,
}

impl Conn {
    fn new() -> Self {
        Conn {
            phase: Phase::Head,
            body: BytesMut::new(),
            chunked: None,
            head_started: None,
            wait: None,
            seq: 0,
        }
    }

    /// The tymeout that applies now.
    fn waiting(&self, r: &tcp::Remoter) -> Option<Wait> {
        if !r.txbs().is_empty() {
            // Whatever the phase: until the client takes what is queued
            // (a whole response may be, with the phase back at Head).
            return Some(Wait::Send);
        }
        match self.phase {
            Phase::Head if self.head_started.is_some() => Some(Wait::Head),
            Phase::Head => Some(Wait::Idle),
            Phase::Body(_) => Some(Wait::Body),
            // A handler that is not ready is no one's fault: only a client
            // that does not take what is queued for it is timed.
            Phase::Respond(_) => None,
            Phase::Close => Some(Wait::Send),
        }
    }
}

/// Most responses one connection gets per service, so that one client
/// pipelining thousands of requests cannot hold up the others (a few
/// hundred microseconds of work); large enough that ordinary pipelining
/// (browsers, load tests) costs no extra system calls.
const MAX_RESPONSES_PER_SERVICE: usize = 128;

/// An HTTP/1.1 server on a non-blocking [`tcp::Server`]: HIO's `http.Server`.
///
/// Each [`service`](Server::service) accepts connections, reads requests
/// (Content-Length or chunked bodies, keep-alive, pipelined requests
/// answered in order), calls the [`Handler`] once a request is complete,
/// and writes responses: fixed-length, chunked (HTTP/1.1) or
/// close-delimited (HTTP/1.0). A streaming body is pulled one piece per
/// service. Malformed requests get 400/413/431/501/505 and that connection
/// is closed; the server goes on serving everyone else.
///
/// Per-connection state is keyed by [`ConnId`](tcp::ConnId), never by the
/// peer's address: a new connection from the address of an old one starts
/// afresh. Tymeouts ([`HttpOpts`]) are per phase: idle between requests,
/// head, body, and send (a client that stops reading); a handler that is
/// not ready yet is never timed out.
///
/// ```
/// use std::io::{Read, Write};
/// use hio::http::{Body, Bytes, Request, Response, Server};
///
/// let mut server = Server::new("127.0.0.1:0".parse().unwrap(), |req: Request<Bytes>| {
///     Response::new(Body::from(format!("you asked for {}", req.uri().path())))
/// });
/// server.open()?;
/// let mut client = std::net::TcpStream::connect(server.local_addr().unwrap())?;
/// client.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
/// let mut reply = Vec::new();
/// client.set_nonblocking(true)?;
/// for _ in 0..2000 {
///     server.service()?;
///     let mut buf = [0u8; 1024];
///     match client.read(&mut buf) {
///         Ok(0) => break,
///         Ok(n) => reply.extend_from_slice(&buf[..n]),
///         Err(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
///     }
/// }
/// let reply = String::from_utf8(reply).unwrap();
/// assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"));
/// assert!(reply.ends_with("\r\n\r\nyou asked for /hello"));
/// assert!(format!("{server:?}").starts_with("Server { local_addr: Some(127.0.0.1:"));
/// # Ok::<(), hio::Error>(())
/// ```
pub struct Server {
    tcp: tcp::Server,
    handler: Box<dyn Handler>,
    opts: HttpOpts,
    conns: HashMap<ConnId, Conn>,
    active: Vec<ConnId>,
    drive: Vec<ConnId>,
    /// Connections to close as soon as their last bytes are sent.
    closing: Vec<ConnId>,
    /// Armed tymeouts: (due, (connection, sequence number)).
    due: Deadlines<(ConnId, u32)>,
    /// Scratch list of connections, kept to save an allocation per pass.
    ids: Vec<ConnId>,
    /// Draining for shutdown: no new requests are read.
    draining: bool,
    /// A connection stopped at its share of this service with requests
    /// left in its buffer.
    more: bool,
    tymth: Tymth,
}

// By hand: the handler is a `dyn Handler`, and counts say more than the
// connection tables would.
impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("local_addr", &self.local_addr())
            .field("conns", &self.conns.len())
            .field("closing", &self.closing.len())
            .field("draining", &self.draining)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// HIO's HTTP idle tymeout.
    pub const TYMEOUT: f64 = 5.0;

    /// A server on `addr` answering with `handler`.
    pub fn new(addr: SocketAddr, handler: impl Handler) -> Self {
        Server::with_opts(addr, handler, ServerOpts::default(), HttpOpts::default())
    }

    /// A server with TCP and HTTP options. The TCP idle tymeout is not
    /// used: HTTP's own tymeouts ([`HttpOpts`]) know which phase a
    /// connection is in (a connection waiting on its handler is not idle).
    pub fn with_opts(
        addr: SocketAddr,
        handler: impl Handler,
        tcp_opts: ServerOpts,
        opts: HttpOpts,
    ) -> Self {
        let tcp_opts = ServerOpts {
            tymeout: 0.0,
            ..tcp_opts
        };
        Server {
            tcp: tcp::Server::with_opts(addr, tcp_opts),
            handler: Box::new(handler),
            opts,
            conns: HashMap::new(),
            active: Vec::new(),
            drive: Vec::new(),
            closing: Vec::new(),
            due: Deadlines::new(),
            ids: Vec::new(),
            draining: false,
            more: false,
            tymth: Tymth::default(),
        }
    }

    /// Opens the listener.
    pub fn open(&mut self) -> Result<()> {
        self.draining = false;
        self.tcp.open()
    }

    /// Closes the listener and every connection.
    pub fn close(&mut self) {
        self.tcp.close();
        self.tcp.reap_ids();
        self.conns.clear();
        self.active.clear();
        self.closing.clear();
        self.due.clear();
    }

    /// Whether the listener is open.
    pub fn is_open(&self) -> bool {
        self.tcp.is_open()
    }

    /// The bound address, once open.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.tcp.local_addr()
    }

    /// The TCP server underneath.
    pub fn tcp(&self) -> &tcp::Server {
        &self.tcp
    }

    /// The HTTP options.
    pub fn opts(&self) -> &HttpOpts {
        &self.opts
    }

    /// Winds the server (its tymeouts) onto a clock.
    pub fn wind(&mut self, tymth: &Tymth) {
        self.tymth = tymth.clone();
        self.tcp.wind(tymth);
    }

    /// Moves the sockets onto a reactor (a Doist's).
    pub(crate) fn set_reactor(&mut self, reactor: &crate::rt::Reactor) -> Result<()> {
        self.tcp.set_reactor(reactor)
    }

    /// Whether no request is being read or answered.
    pub fn idle(&self) -> bool {
        self.conns
            .values()
            .all(|c| matches!(c.phase, Phase::Head) && c.head_started.is_none())
    }

    /// Starts a graceful shutdown: stops accepting, closes connections
    /// that are between requests, and lets the requests in progress finish
    /// (streams such as SSE are ended with their last chunk). Keep calling
    /// [`service`](Server::service) until [`drained`](Server::drained), or
    /// for as long as a drain deadline allows, then [`close`](Server::close).
    ///
    /// ```
    /// use hio::http::{Body, Bytes, Request, Response, Server};
    /// let mut server = Server::new("127.0.0.1:0".parse().unwrap(), |_req: Request<Bytes>| {
    ///     Response::new(Body::from("hi"))
    /// });
    /// server.open()?;
    /// server.shutdown();
    /// server.service()?;
    /// assert!(!server.is_open() && server.drained());
    /// # Ok::<(), hio::Error>(())
    /// ```
    pub fn shutdown(&mut self) {
        self.draining = true;
        self.tcp.close_listener();
        let ids: Vec<ConnId> = self.conns.keys().copied().collect();
        for id in ids {
            self.active.push(id);
            if let Some(Conn {
                phase: Phase::Respond(w),
                ..
            }) = self.conns.get_mut(&id)
            {
                w.keep_alive = false;
                if let Body::Stream(s) = &w.body {
                    // Ended after what is ready now is sent.
                    w.ending = s.endless();
                }
            }
        }
    }

    /// A graceful shutdown in wall time: [`shutdown`](Server::shutdown),
    /// then service until drained or `limit` has passed, then close.
    /// Returns whether everything finished in time.
    ///
    /// ```
    /// use hio::http::{Body, Bytes, Request, Response, Server};
    /// let mut server = Server::new("127.0.0.1:0".parse().unwrap(), |_req: Request<Bytes>| {
    ///     Response::new(Body::from("hi"))
    /// });
    /// server.open()?;
    /// assert!(server.drain_for(std::time::Duration::from_secs(1))?);
    /// # Ok::<(), hio::Error>(())
    /// ```
    pub fn drain_for(&mut self, limit: std::time::Duration) -> Result<bool> {
        self.shutdown();
        let end = std::time::Instant::now() + limit;
        while !self.drained() && std::time::Instant::now() < end {
            self.service()?;
            // Shutting down: a short nap per round costs nothing.
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let done = self.drained();
        if !done {
            tracing::warn!(left = self.tcp.len(), "drain deadline passed; closing");
        }
        self.close();
        Ok(done)
    }

    /// Whether a [`shutdown`](Server::shutdown) has finished: no
    /// connection is left.
    pub fn drained(&self) -> bool {
        self.draining && self.tcp.is_empty()
    }

    /// One service: accept, read, answer, send.
    pub fn service(&mut self) -> Result<()> {
        self.take_in()?;
        self.put_out()
    }

    /// The first half of a service: accept, read, answer.
    fn take_in(&mut self) -> Result<()> {
        self.tcp.service_connects()?;
        self.refuse_excess();
        self.tcp.service_receives()?;
        let mut drive = std::mem::take(&mut self.drive);
        drive.clear();
        drive.extend(self.tcp.accepted_ids());
        drive.extend(self.tcp.received_ids());
        // A close brings no data: look at every cut-off connection, or a
        // half-sent request followed by EOF would hold its descriptor.
        drive.extend(self.tcp.cutoff_ids());
        drive.append(&mut self.active);
        drive.sort_unstable();
        drive.dedup();
        for &id in &drive {
            self.drive(id);
        }
        self.drive = drive;
        Ok(())
    }

    /// The second half: send, close what is finished, expire tymeouts.
    fn put_out(&mut self) -> Result<()> {
        self.tcp.service_sends()?;
        // A client that took everything queued waits on something else now.
        let mut ids = std::mem::take(&mut self.ids);
        ids.clear();
        ids.extend(self.tcp.drained_ids());
        for &id in &ids {
            self.arm(id, None);
        }
        self.ids = ids;
        // Close what the sends just finished, in this pass.
        for id in std::mem::take(&mut self.closing) {
            match self.tcp.get(id) {
                Some(r) if !r.txbs().is_empty() && !r.is_broken() => self.active.push(id),
                _ => self.forget(id),
            }
        }
        self.expire();
        for id in self.tcp.reap_ids() {
            self.conns.remove(&id);
        }
        if std::mem::take(&mut self.more) {
            // Pipelined requests wait in buffers: no readiness will come
            // for them, so the Doist must not sleep before the next pass.
            self.tcp.more_work();
        }
        Ok(())
    }

    /// Closes a connection and drops its state.
    fn forget(&mut self, id: ConnId) {
        self.tcp.remove_id(id);
        self.conns.remove(&id);
    }

    /// Answers 503 and closes connections accepted beyond
    /// [`HttpOpts::max_connections`].
    fn refuse_excess(&mut self) {
        let over = self.tcp.len().saturating_sub(self.opts.max_connections);
        if over == 0 {
            return;
        }
        let newest: Vec<ConnId> = self.tcp.accepted_ids().collect();
        let refused = over.min(newest.len());
        if refused > 0 {
            // One line per service, not per connection: a flood must not
            // become a flood of log lines.
            tracing::warn!(
                refused,
                max = self.opts.max_connections,
                "connections refused with 503: at the connection limit"
            );
        }
        for id in newest.into_iter().rev().take(over) {
            let Some(r) = self.tcp.get_mut(id) else {
                continue;
            };
            let e = HttpError::new(503)
                .detail("too many connections")
                .header(http::header::RETRY_AFTER, "1");
            Writer::error(&e, self.opts.json_errors, Version::HTTP_11).step(r, &self.opts);
            let mut conn = Conn::new();
            conn.phase = Phase::Close;
            self.conns.insert(id, conn);
        }
    }

    /// Handles the tymeouts that are due.
    fn expire(&mut self) {
        let tyme = self.tymth.tyme();
        while let Some(&Reverse(Deadline(due, (id, seq)))) = self.due.peek() {
            if due > tyme {
                break;
            }
            self.due.pop();
            let (Some(conn), Some(r)) = (self.conns.get_mut(&id), self.tcp.get_mut(id)) else {
                continue;
            };
            let Some((wait, _)) = conn.wait.filter(|_| conn.seq == seq) else {
                continue;
            };
            match wait {
                Wait::Idle => {
                    tracing::debug!(peer = %r.peer(), "idle tymeout");
                    self.forget(id);
                }
                Wait::Head | Wait::Body => {
                    tracing::debug!(peer = %r.peer(), ?wait, "request tymeout: 408");
                    // A response under way would be cut by a 408: only a
                    // connection with nothing queued gets one.
                    if r.txbs().is_empty() {
                        let e = HttpError::new(408);
                        Writer::error(&e, self.opts.json_errors, Version::HTTP_11)
                            .step(r, &self.opts);
                    }
                    r.clear_rxbs();
                    conn.phase = Phase::Close;
                    conn.head_started = None;
                    conn.wait = None;
                    self.active.push(id);
                }
                Wait::Send => {
                    let stalled = tyme - r.sent_at().max(conn.wait.map_or(0.0, |(_, at)| at));
                    if r.txbs().is_empty() {
                        // Sent since: what it waits for next counts from then.
                        let sent = r.sent_at();
                        conn.wait = None;
                        self.arm(id, Some(sent));
                    } else if stalled < self.opts.send_tymeout {
                        let next = tyme + (self.opts.send_tymeout - stalled);
                        self.due.push(Reverse(Deadline(next, (id, seq))));
                    } else {
                        tracing::debug!(peer = %r.peer(), "send tymeout: client not reading");
                        self.forget(id);
                    }
                }
            }
        }
    }

    /// Arms the tymeout that applies to a connection now, unless it is
    /// armed already.
    fn arm(&mut self, id: ConnId, since: Option<f64>) {
        let (Some(conn), Some(r)) = (self.conns.get_mut(&id), self.tcp.get(id)) else {
            return;
        };
        let want = conn.waiting(r);
        if want == conn.wait.map(|(w, _)| w) {
            return;
        }
        let tyme = since.unwrap_or(self.tymth.tyme());
        conn.seq = conn.seq.wrapping_add(1);
        conn.wait = want.map(|w| (w, tyme));
        let Some(w) = want else { return };
        let (from, span) = match w {
            Wait::Idle => (tyme, self.opts.idle_tymeout),
            Wait::Head => (conn.head_started.unwrap_or(tyme), self.opts.head_tymeout),
            Wait::Body => (tyme, self.opts.body_tymeout),
            Wait::Send => (tyme, self.opts.send_tymeout),
        };
        if span > 0.0 {
            self.due
                .push(Reverse(Deadline(from + span, (id, conn.seq))));
        }
        // Entries superseded by a newer wait linger in the heap until due.
        let conns = &self.conns;
        sweep(&mut self.due, conns.len(), |(id, seq)| {
            conns
                .get(id)
                .is_some_and(|c| c.seq == *seq && c.wait.is_some())
        });
    }

    /// Advances one connection as far as it can go now, and closes it when
    /// it is finished.
    fn drive(&mut self, id: ConnId) {
        if self.advance(id) {
            self.forget(id);
        } else {
            self.arm(id, None);
        }
    }

    /// Advances one connection; true when it should be closed now.
    fn advance(&mut self, id: ConnId) -> bool {
        let Some(r) = self.tcp.get_mut(id) else {
            self.conns.remove(&id);
            return false;
        };
        if r.is_broken() {
            // Reset, failed send or closed here: nothing can reach the
            // client any more, so stop working for it.
            return true;
        }
        let conn = self.conns.entry(id).or_insert_with(Conn::new);
        let opts = &self.opts;
        let tyme = self.tymth.tyme();
        let mut answered = 0;
        loop {
            match &mut conn.phase {
                Phase::Head => {
                    if self.draining {
                        r.clear_rxbs();
                        conn.phase = Phase::Close;
                        continue;
                    }
                    if answered >= MAX_RESPONSES_PER_SERVICE {
                        self.active.push(id);
                        self.more = true;
                        return false;
                    }
                    if r.rxbs().is_empty() {
                        conn.head_started = None;
                        if r.cutoff() {
                            conn.phase = Phase::Close;
                            continue;
                        }
                        return false;
                    }
                    conn.head_started.get_or_insert(tyme);
                    // Bodies are checked against the limit below, once the
                    // handler has said whether it takes the body as a stream.
                    let unbounded = Limits {
                        max_body: usize::MAX,
                        ..opts.limits
                    };
                    match parse_request_head(r.rxbs(), &unbounded) {
                        Ok(None) => {
                            if r.cutoff() {
                                // Half a request and then EOF: nothing to answer.
                                r.clear_rxbs();
                                conn.phase = Phase::Close;
                                continue;
                            }
                            return false;
                        }
                        Ok(Some((head, n))) => {
                            r.consume(n);
                            conn.head_started = None;
                            let expect = head.expect_continue;
                            match begin(self.handler.as_mut(), head, r.peer(), opts) {
                                Ok(pending) => {
                                    if expect && pending.framing != Framing::None {
                                        r.tx(b"HTTP/1.1 100 Continue\r\n\r\n");
                                    }
                                    conn.body.clear();
                                    conn.chunked = None;
                                    conn.phase = Phase::Body(pending);
                                }
                                Err(e) => {
                                    conn.phase = Phase::Respond(Box::new(reject(&e, opts)));
                                    r.clear_rxbs();
                                }
                            }
                        }
                        Err(e) => {
                            conn.phase = Phase::Respond(Box::new(reject(&e, opts)));
                            r.clear_rxbs();
                        }
                    }
                }
                Phase::Body(pending) => {
                    let limits = if pending.upload.is_some() {
                        Limits {
                            max_body: usize::MAX,
                            ..opts.limits
                        }
                    } else {
                        opts.limits
                    };
                    if let (Framing::Length(len), None) = (pending.framing, &pending.upload)
                        && conn.body.capacity() == 0
                    {
                        // Exactly the promised size: a doubling buffer would
                        // hold up to twice it while the body trickles in.
                        conn.body.reserve(len as usize);
                    }
                    // An upload's body is handed on as it comes: what is
                    // left of a fixed length shrinks as it goes.
                    let framing = match pending.framing {
                        Framing::Length(len) if pending.upload.is_some() => {
                            Framing::Length(len - pending.uploaded)
                        }
                        f => f,
                    };
                    let read = read_body(
                        framing,
                        r.rxbs(),
                        &mut conn.body,
                        &mut conn.chunked,
                        &limits,
                    );
                    let read = match read {
                        Ok((used, done)) => {
                            r.consume(used);
                            match pending.upload.as_mut() {
                                Some(up) if !conn.body.is_empty() => {
                                    let chunk = conn.body.split();
                                    pending.uploaded += chunk.len() as u64;
                                    up.data(&chunk)
                                        .map(|()| done)
                                        .map_err(|e| ParseError::new(e.status, e.detail.clone()))
                                }
                                _ => Ok(done),
                            }
                        }
                        Err(e) => Err(e),
                    };
                    match read {
                        Ok(false) => {
                            if r.cutoff() {
                                r.clear_rxbs();
                                conn.phase = Phase::Close;
                                continue;
                            }
                            return false;
                        }
                        Ok(true) => {
                            let Phase::Body(pending) =
                                std::mem::replace(&mut conn.phase, Phase::Close)
                            else {
                                unreachable!("matched above")
                            };
                            let body = conn.body.split().freeze();
                            conn.body = BytesMut::new();
                            let writer = respond(self.handler.as_mut(), *pending, body, opts);
                            conn.phase = Phase::Respond(Box::new(writer));
                            answered += 1;
                        }
                        Err(e) => {
                            conn.phase = Phase::Respond(Box::new(reject(&e, opts)));
                            r.clear_rxbs();
                        }
                    }
                }
                Phase::Respond(writer) => {
                    if r.cutoff()
                        && writer.head_sent
                        && matches!(&writer.body, Body::Stream(s) if s.endless())
                    {
                        // An SSE client that closed: stop producing for it. A
                        // download goes on to a client that only shut down
                        // its sending side; a reset ends it above.
                        return true;
                    }
                    if self.draining {
                        writer.keep_alive = false;
                    }
                    match writer.step(r, opts) {
                        Step::Pending => {
                            self.active.push(id);
                            return false;
                        }
                        Step::Done => {
                            conn.phase = if writer.keep_alive {
                                Phase::Head
                            } else {
                                Phase::Close
                            };
                        }
                    }
                }
                Phase::Close => {
                    // Let the queued bytes go, then close; what arrives
                    // meanwhile is not kept.
                    r.clear_rxbs();
                    if r.txbs().is_empty() {
                        return true;
                    }
                    self.closing.push(id);
                    return false;
                }
            }
        }
    }
}

/// Turns a parsed head into a pending request: asks the handler whether it
/// takes the body as a stream, and checks the body limit if not.
fn begin(
    handler: &mut dyn Handler,
    head: RequestHead,
    peer: SocketAddr,
    opts: &HttpOpts,
) -> std::result::Result<Box<Pending>, ParseError> {
    let RequestHead {
        method,
        uri,
        version,
        headers,
        framing,
        keep_alive,
        ..
    } = head;
    let mut req = Request::new(());
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    *req.version_mut() = version;
    *req.headers_mut() = headers;
    req.extensions_mut().insert(RemoteAddr(peer));
    let upload = if framing == Framing::None {
        None
    } else {
        match catch_unwind(AssertUnwindSafe(|| handler.upload(&req))) {
            Ok(up) => up,
            Err(_) => {
                tracing::error!(%peer, "upload handler panicked");
                return Err(ParseError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "upload handler failed",
                ));
            }
        }
    };
    if upload.is_none()
        && let Framing::Length(len) = framing
        && len > opts.limits.max_body as u64
    {
        return Err(ParseError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        ));
    }
    Ok(Box::new(Pending {
        req,
        framing,
        keep_alive,
        upload,
        uploaded: 0,
    }))
}

/// The response to a request that could not be parsed.
fn reject(e: &ParseError, opts: &HttpOpts) -> Writer {
    let err = HttpError::new(e.status.as_u16()).detail(e.reason.clone());
    Writer::error(&err, opts.json_errors, Version::HTTP_11)
}

/// Calls the handler with the finished request (a panic in it becomes a
/// 500), or finishes an upload, and sets up the response.
fn respond(handler: &mut dyn Handler, pending: Pending, body: Bytes, opts: &HttpOpts) -> Writer {
    let Pending {
        req,
        keep_alive,
        upload,
        ..
    } = pending;
    let version = req.version();
    let head_request = req.method() == Method::HEAD;
    let peer = req.extensions().get::<RemoteAddr>().map(|p| p.0);
    let res = catch_unwind(AssertUnwindSafe(|| match upload {
        Some(up) => up.finish(req),
        None => handler.handle(req.map(|()| body)),
    }));
    let res = res.unwrap_or_else(|_| {
        tracing::error!(?peer, "request handler panicked");
        HttpError::new(500).response(opts.json_errors)
    });
    let mut w = Writer::new(res, version, head_request, keep_alive);
    if w.headers
        .get(CONNECTION)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"))
    {
        w.keep_alive = false;
    }
    w
}

/// Runs an HTTP [`Server`]: opens it on enter (if not open), services it
/// every pass, closes it on exit. HIO's `http.ServerDoer`. See
/// [`ServiceDoer`].
pub type ServerDoer = ServiceDoer<Server>;

impl ServiceDoer<Server> {
    /// The server.
    pub fn server(&self) -> Rc<RefCell<Server>> {
        self.inner()
    }
}

impl Serviced for Server {
    fn open(&mut self, cx: &Cx<'_>) -> Result<()> {
        self.wind(cx.tymth());
        self.set_reactor(&crate::rt::of(cx))?;
        if self.is_open() {
            Ok(())
        } else {
            Server::open(self)
        }
    }
    fn receive(&mut self) -> Result<()> {
        self.take_in()
    }
    fn send(&mut self) -> Result<()> {
        self.put_out()
    }
    fn close(&mut self) -> Result<()> {
        if self.opts.drain > 0.0 && self.is_open() {
            self.drain_for(std::time::Duration::from_secs_f64(self.opts.drain))?;
        }
        Server::close(self);
        Ok(())
    }
    fn wind(&mut self, tymth: &Tymth) {
        Server::wind(self, tymth);
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    /// Every request arms a tymeout; with tyme standing still (tock 0) the
    /// superseded ones never come due. They must not pile up.
    #[test]
    fn regression_tymeout_heap_stays_bounded_at_tock_0() {
        let mut server = Server::new("127.0.0.1:0".parse().unwrap(), |_req: Request<Bytes>| {
            Response::new(Body::from("ok"))
        });
        server.open().unwrap();
        let mut c = std::net::TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let one = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let n = 3000;
        c.write_all(&one.repeat(n)).unwrap();
        c.set_nonblocking(true).unwrap();
        let (mut answered, mut most) = (0, 0);
        let mut buf = vec![0u8; 1 << 16];
        let start = std::time::Instant::now();
        while answered < n {
            assert!(start.elapsed() < std::time::Duration::from_secs(10));
            server.service().unwrap();
            most = most.max(server.due.len());
            if let Ok(k) = c.read(&mut buf) {
                answered += buf[..k].windows(2).filter(|w| w == b"ok").count();
            }
        }
        assert!(most <= 2 * server.conns.len() + 65, "{most} tymeouts held");
    }
}
