//! The HTTP/1.1 [`Server`] and its [`ServerDoer`].

use std::cell::RefCell;
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
use crate::tcp::{self, ServerOpts};
use crate::tyming::Tymth;

/// Handles one request: HIO's WSGI app, as a Rust function or object.
///
/// Any `FnMut(Request<Bytes>) -> Response<Body>` is a handler; implement
/// the trait for a handler with state of its own. The peer's address is in
/// the request's extensions as [`Peer`].
pub trait Handler: 'static {
    /// Answers a request.
    fn handle(&mut self, req: Request<Bytes>) -> Response<Body>;
}

impl<F: FnMut(Request<Bytes>) -> Response<Body> + 'static> Handler for F {
    fn handle(&mut self, req: Request<Bytes>) -> Response<Body> {
        self(req)
    }
}

/// The client's address, in every request's extensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

/// HTTP options of a [`Server`].
#[derive(Clone, Debug)]
pub struct HttpOpts {
    /// Size limits on requests (431/413 beyond them).
    pub limits: Limits,
    /// Render error responses as JSON instead of text.
    pub json_errors: bool,
    /// The `Server` header sent when a response has none.
    pub server_name: String,
    /// Tyme allowed for a request head to arrive in full once it has
    /// started; beyond it the connection gets 408 and is closed (slow
    /// clients holding connections). `0.0`: no limit. Default 10.0.
    pub head_tymeout: f64,
    /// A streaming body is not pulled while this many bytes wait unsent on
    /// its connection. Default 1 MiB.
    pub high_water: usize,
}

impl Default for HttpOpts {
    fn default() -> Self {
        HttpOpts {
            limits: Limits::default(),
            json_errors: false,
            server_name: concat!("hio/", env!("CARGO_PKG_VERSION")).to_string(),
            head_tymeout: 10.0,
            high_water: 1 << 20,
        }
    }
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
                    Piece::Data(d) if d.is_empty() => return Step::Pending,
                    Piece::Data(d) => {
                        if let Some((status, headers)) = stream.head() {
                            if let Some(s) = status {
                                self.status = s;
                            }
                            self.headers.extend(headers);
                        }
                        self.write_head(out, opts, None);
                        self.write_piece(out, &d);
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
            Piece::Data(d) if d.is_empty() => Step::Pending,
            Piece::Data(d) => {
                self.write_piece(out, &d);
                if let Mode::Fixed(0) = self.mode {
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
    Body(Box<RequestHead>),
    /// Writing a response.
    Respond(Box<Writer>),
    /// Done: close once everything queued is sent.
    Close,
}

struct Conn {
    phase: Phase,
    body: BytesMut,
    chunked: Option<ChunkedDecoder>,
    /// Tyme the current request head started arriving.
    head_started: Option<f64>,
}

impl Conn {
    fn new() -> Self {
        Conn {
            phase: Phase::Head,
            body: BytesMut::new(),
            chunked: None,
            head_started: None,
        }
    }
}

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
/// ```
/// use std::io::{Read, Write};
/// use hio::http::{Body, Server};
///
/// let mut server = Server::new("127.0.0.1:0".parse().unwrap(), |req: http::Request<bytes::Bytes>| {
///     http::Response::new(Body::from(format!("you asked for {}", req.uri().path())))
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
/// # Ok::<(), hio::Error>(())
/// ```
pub struct Server {
    tcp: tcp::Server,
    handler: Box<dyn Handler>,
    opts: HttpOpts,
    conns: HashMap<SocketAddr, Conn>,
    active: Vec<SocketAddr>,
    drive: Vec<SocketAddr>,
    /// Connections to close as soon as their last bytes are sent.
    closing: Vec<SocketAddr>,
    tymth: Tymth,
}

impl Server {
    /// HIO's HTTP idle tymeout.
    pub const TYMEOUT: f64 = 5.0;

    /// A server on `addr` answering with `handler`.
    pub fn new(addr: SocketAddr, handler: impl Handler) -> Self {
        let tcp_opts = ServerOpts {
            tymeout: Self::TYMEOUT,
            ..ServerOpts::default()
        };
        Server::with_opts(addr, handler, tcp_opts, HttpOpts::default())
    }

    /// A server with TCP and HTTP options.
    pub fn with_opts(
        addr: SocketAddr,
        handler: impl Handler,
        tcp_opts: ServerOpts,
        opts: HttpOpts,
    ) -> Self {
        Server {
            tcp: tcp::Server::with_opts(addr, tcp_opts),
            handler: Box::new(handler),
            opts,
            conns: HashMap::new(),
            active: Vec::new(),
            drive: Vec::new(),
            closing: Vec::new(),
            tymth: Tymth::default(),
        }
    }

    /// Opens the listener.
    pub fn open(&mut self) -> Result<()> {
        self.tcp.open()
    }

    /// Closes the listener and every connection.
    pub fn close(&mut self) {
        self.tcp.close();
        for peer in self.tcp.reap_peers() {
            self.conns.remove(&peer);
        }
        self.conns.clear();
        self.active.clear();
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

    /// Winds the server (idle and head tymeouts) onto a clock.
    pub fn wind(&mut self, tymth: &Tymth) {
        self.tymth = tymth.clone();
        self.tcp.wind(tymth);
    }

    /// Moves the sockets onto a reactor (a Doist's).
    pub fn set_reactor(&mut self, reactor: &crate::rt::Reactor) -> Result<()> {
        self.tcp.set_reactor(reactor)
    }

    /// Whether no request is being read or answered.
    pub fn idle(&self) -> bool {
        self.conns
            .values()
            .all(|c| matches!(c.phase, Phase::Head) && c.head_started.is_none())
    }

    /// One service: accept, read, answer, send.
    pub fn service(&mut self) -> Result<()> {
        self.tcp.service_connects()?;
        self.tcp.service_receives()?;
        let mut drive = std::mem::take(&mut self.drive);
        drive.clear();
        drive.extend(self.tcp.received());
        drive.append(&mut self.active);
        drive.sort_unstable();
        drive.dedup();
        for &peer in &drive {
            self.drive(peer);
        }
        self.drive = drive;
        self.tcp.service_sends()?;
        // Close what the sends just finished, in this pass.
        for peer in std::mem::take(&mut self.closing) {
            match self.tcp.remoter(&peer) {
                Some(r) if !r.txbs().is_empty() && r.is_open() => self.active.push(peer),
                _ => {
                    self.tcp.remove(&peer);
                    self.conns.remove(&peer);
                }
            }
        }
        self.tcp.service_tymeouts();
        self.expire_heads();
        for peer in self.tcp.reap_peers() {
            self.conns.remove(&peer);
        }
        Ok(())
    }

    /// Gives 408 to connections whose request head is taking too long.
    fn expire_heads(&mut self) {
        if self.opts.head_tymeout <= 0.0 {
            return;
        }
        let tyme = self.tymth.tyme();
        let late: Vec<SocketAddr> = self
            .conns
            .iter()
            .filter(|(_, c)| {
                matches!(c.phase, Phase::Head)
                    && c.head_started
                        .is_some_and(|t| tyme - t >= self.opts.head_tymeout)
            })
            .map(|(p, _)| *p)
            .collect();
        for peer in late {
            if let Some(r) = self.tcp.remoter_mut(&peer) {
                let e = HttpError::new(408);
                let mut w = Writer::error(&e, self.opts.json_errors, Version::HTTP_11);
                w.step(r, &self.opts);
                r.clear_rxbs();
            }
            if let Some(c) = self.conns.get_mut(&peer) {
                c.phase = Phase::Close;
                c.head_started = None;
            }
            self.active.push(peer);
        }
    }

    /// Advances one connection as far as it can go now, and closes it when
    /// it is finished.
    fn drive(&mut self, peer: SocketAddr) {
        if self.advance(peer) {
            self.tcp.remove(&peer);
            self.conns.remove(&peer);
        }
    }

    /// Advances one connection; true when it should be closed now.
    fn advance(&mut self, peer: SocketAddr) -> bool {
        let Some(r) = self.tcp.remoter_mut(&peer) else {
            self.conns.remove(&peer);
            return false;
        };
        let conn = self.conns.entry(peer).or_insert_with(Conn::new);
        let opts = &self.opts;
        let tyme = self.tymth.tyme();
        loop {
            match &mut conn.phase {
                Phase::Head => {
                    if r.rxbs().is_empty() {
                        conn.head_started = None;
                        if r.cutoff() {
                            conn.phase = Phase::Close;
                            continue;
                        }
                        return false;
                    }
                    conn.head_started.get_or_insert(tyme);
                    match parse_request_head(r.rxbs(), &opts.limits) {
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
                            r.rxbs_mut().drain(..n);
                            conn.head_started = None;
                            if head.expect_continue && head.framing != Framing::None {
                                r.tx(b"HTTP/1.1 100 Continue\r\n\r\n");
                            }
                            conn.body.clear();
                            conn.chunked = None;
                            conn.phase = Phase::Body(Box::new(head));
                        }
                        Err(e) => {
                            conn.phase = Phase::Respond(Box::new(reject(&e, opts)));
                            r.clear_rxbs();
                        }
                    }
                }
                Phase::Body(head) => {
                    match read_body(
                        head.framing,
                        r.rxbs_mut(),
                        &mut conn.body,
                        &mut conn.chunked,
                        &opts.limits,
                    ) {
                        Ok(false) => {
                            if r.cutoff() {
                                r.clear_rxbs();
                                conn.phase = Phase::Close;
                                continue;
                            }
                            return false;
                        }
                        Ok(true) => {
                            let Phase::Body(head) =
                                std::mem::replace(&mut conn.phase, Phase::Close)
                            else {
                                unreachable!("matched above")
                            };
                            let body = conn.body.split().freeze();
                            let writer = respond(self.handler.as_mut(), *head, body, peer, opts);
                            conn.phase = Phase::Respond(Box::new(writer));
                        }
                        Err(e) => {
                            conn.phase = Phase::Respond(Box::new(reject(&e, opts)));
                            r.clear_rxbs();
                        }
                    }
                }
                Phase::Respond(writer) => {
                    if r.cutoff() && writer.head_sent {
                        // The client went away mid-response (an SSE client
                        // disconnecting): stop producing for it.
                        return true;
                    }
                    match writer.step(r, opts) {
                        Step::Pending => {
                            self.active.push(peer);
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
                    // Let the queued bytes go, then close.
                    if r.txbs().is_empty() || !r.is_open() {
                        return true;
                    }
                    self.closing.push(peer);
                    return false;
                }
            }
        }
    }
}

/// The response to a request that could not be parsed.
fn reject(e: &ParseError, opts: &HttpOpts) -> Writer {
    let err = HttpError::new(e.status.as_u16()).detail(e.reason.clone());
    Writer::error(&err, opts.json_errors, Version::HTTP_11)
}

/// Builds the request, calls the handler (a panic in it becomes a 500),
/// and sets up the response.
fn respond(
    handler: &mut dyn Handler,
    head: RequestHead,
    body: Bytes,
    peer: SocketAddr,
    opts: &HttpOpts,
) -> Writer {
    let RequestHead {
        method,
        uri,
        version,
        headers,
        keep_alive,
        ..
    } = head;
    let head_request = method == Method::HEAD;
    let mut req = Request::new(body);
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    *req.version_mut() = version;
    *req.headers_mut() = headers;
    req.extensions_mut().insert(Peer(peer));
    let res = match catch_unwind(AssertUnwindSafe(|| handler.handle(req))) {
        Ok(res) => res,
        Err(_) => {
            tracing::error!(%peer, "request handler panicked");
            HttpError::new(500).response(opts.json_errors)
        }
    };
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
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.wind(cx.tymth());
        self.set_reactor(cx.reactor())?;
        if self.is_open() { Ok(()) } else { self.open() }
    }
    fn service(&mut self) -> Result<()> {
        Server::service(self)
    }
    fn exit(&mut self) -> Result<()> {
        self.close();
        Ok(())
    }
}
