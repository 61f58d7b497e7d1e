//! The HTTP/1.1 [`Client`]: HIO's request/respond queues over one
//! non-blocking [`tcp::Client`], with keep-alive, redirects, tymeouts and
//! Server-Sent Events; and its [`ClientDoer`].
//!
//! Its [`Request`] and [`Response`] are HIO's request dict and response
//! tuple, not the [`http`] crate's types of the same names (which
//! [`hio::http`](super) re-exports for handlers).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::Rc;

use bytes::{Bytes, BytesMut};
use http::header::{
    ACCEPT_ENCODING, AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST,
    IntoHeaderName, LOCATION, PROXY_AUTHORIZATION, TRANSFER_ENCODING,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};

use super::parse::{
    ChunkedDecoder, Framing, Limits, ParseError, ResponseHead, has_token, parse_response_head,
    read_body,
};
use super::sse::{Event, Parser};
use super::title_case;
use crate::doing::{Cx, ServiceDoer, Serviced};
use crate::error::{Error, Result};
use crate::rt::Reactor;
use crate::tcp;
use crate::tyming::{Tymer, Tymth};

/// Options of a [`Client`]. `Default` gives HIO's behaviour except where
/// noted.
///
/// ```
/// use hio::http::client::ClientOpts;
/// let opts = ClientOpts { tymeout: 2.0, ..ClientOpts::default() };
/// assert!(opts.redirectable);
/// assert_eq!(opts.max_redirects, 10);
/// assert_eq!(opts.retry, 0.1);
/// ```
#[derive(Clone, Debug)]
pub struct ClientOpts {
    /// Options of the TCP connection. Its `reconnectable` and `tymeout` are
    /// not used: the HTTP client decides when to connect anew (after a
    /// close, for the next request, or to resume an event stream).
    pub tcp: tcp::ClientOpts,
    /// Limits on a response's head and body (and on an event-stream line,
    /// which may not exceed `max_head`). An event stream is exempt from
    /// `max_body`: it may run for ever, and is not kept in memory.
    pub limits: Limits,
    /// Most bytes an event stream's undispatched event may hold (its
    /// `data` and `event` so far plus the line being read) before the
    /// request fails with [`ClientError::Event`] (HIO has no limit).
    /// Default 1 MiB.
    pub max_event: usize,
    /// Interim (`1xx`) responses accepted before each final response;
    /// one more fails the request with [`ClientError::Interim`] (HIO has
    /// no limit). Default 16.
    pub max_interim: usize,
    /// Tyme in seconds that a request may wait for the next bytes of its
    /// response (the connect included) before it fails with
    /// [`ClientError::Tymeout`]; an event stream connects anew instead.
    /// `0.0`: wait for ever (HIO has no such limit). Default 0.0.
    pub tymeout: f64,
    /// Tyme in seconds from a request's first send until its whole final
    /// response (redirects and resends included) before it fails with
    /// [`ClientError::Deadline`], however steadily bytes arrive. For an
    /// event stream it bounds each connect until the stream's head (the
    /// stream itself runs for ever); an expired one connects anew. `0.0`:
    /// no deadline (HIO has none). Default 300.0.
    pub deadline: f64,
    /// Follow redirects (301, 302, 303, 307, 308). Default true.
    pub redirectable: bool,
    /// Redirects followed for one request before it fails with
    /// [`ClientError::Redirects`] (HIO has no limit). Default 10.
    pub max_redirects: usize,
    /// Leave the port out of `Host` when it is 80 (HIO's `portOptional`).
    /// Default false: the port is always sent, as in HIO.
    pub port_optional: bool,
    /// Decode every body as JSON into [`Response::data`], not only bodies
    /// whose content type says JSON (HIO's `dictable`). Default false.
    pub dictable: bool,
    /// Tyme in seconds to wait before resuming an event stream when the
    /// server has not sent `retry:` (HIO's 100 ms). Default 0.1.
    pub retry: f64,
    /// Resume an event stream of a GET after it ends, sending
    /// `Last-Event-ID`. When false (and always for other methods), the
    /// stream's end completes the request with a [`Response`] whose body is
    /// empty. Default true.
    pub reconnect_events: bool,
    /// Header fields sent with every request that does not set the same
    /// field itself (HIO's client-level `headers`). Default none.
    pub headers: HeaderMap,
}

impl Default for ClientOpts {
    fn default() -> Self {
        ClientOpts {
            tcp: tcp::ClientOpts::default(),
            limits: Limits::default(),
            max_event: 1 << 20,
            max_interim: 16,
            tymeout: 0.0,
            deadline: 300.0,
            redirectable: true,
            max_redirects: 10,
            port_optional: false,
            dictable: false,
            retry: 0.1,
            reconnect_events: true,
            headers: HeaderMap::new(),
        }
    }
}

/// Why a request ended without a response.
///
/// ```
/// use hio::http::client::ClientError;
/// let err = hio::Error::from(ClientError::Tymeout { tymeout: 2.0 });
/// assert_eq!(err.to_string(), "http client: no response within 2 s of tyme");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server sent nothing more for [`ClientOpts::tymeout`].
    #[error("no response within {tymeout} s of tyme")]
    Tymeout {
        /// The tymeout that expired.
        tymeout: f64,
    },
    /// The whole request took longer than [`ClientOpts::deadline`].
    #[error("no complete response within the {deadline} s deadline of tyme")]
    Deadline {
        /// The deadline that expired.
        deadline: f64,
    },
    /// More interim (`1xx`) responses than [`ClientOpts::max_interim`].
    #[error("more than {limit} interim (1xx) responses")]
    Interim {
        /// The limit.
        limit: usize,
    },
    /// An event-stream event grew past [`ClientOpts::max_event`] bytes
    /// without being dispatched.
    #[error("event-stream event larger than {limit} bytes")]
    Event {
        /// The limit.
        limit: usize,
    },
    /// The response could not be parsed or broke a [`Limits`] bound.
    #[error("malformed response: {0}")]
    Malformed(#[from] ParseError),
    /// The connection closed before the response ended (HIO's
    /// `PrematureClosure`).
    #[error(
        "connection closed before the response ended (status {status:?}, {received} body bytes)"
    )]
    Closed {
        /// The status, if the head had arrived.
        status: Option<StatusCode>,
        /// Body bytes received before the close.
        received: usize,
    },
    /// More redirects than [`ClientOpts::max_redirects`].
    #[error("more than {limit} redirects")]
    Redirects {
        /// The limit.
        limit: usize,
    },
    /// A redirect that cannot be followed.
    #[error("cannot follow redirect to {location:?}: {why}")]
    Redirect {
        /// The `Location` value.
        location: String,
        /// Why not.
        why: String,
    },
    /// The request itself is invalid (e.g. its path names another server).
    #[error("invalid request: {0}")]
    Request(String),
    /// The client was closed while the request was in flight.
    #[error("client closed with the request in flight")]
    Cancelled,
}

/// A request to queue on a [`Client`]: HIO's request dict.
///
/// The path may carry a query (merged after [`qargs`](Request::qargs)) and
/// a fragment (never sent), or be a whole `http://` URL naming the client's
/// own server. The body is [`data`](Request::data) as JSON if set, else
/// [`fargs`](Request::fargs) as a form if any, else
/// [`body`](Request::body).
///
/// ```
/// use hio::http::client::{Client, Request};
/// use hio::http::{HeaderValue, header::ACCEPT};
/// let client = Client::new("127.0.0.1:6101".parse().unwrap());
/// let req = Request::get("/echo?name=fame").header(ACCEPT, HeaderValue::from_static("application/json"));
/// assert_eq!(
///     client.build(&req)?,
///     b"GET /echo?name=fame HTTP/1.1\r\nHost: 127.0.0.1:6101\r\n\
///       Accept-Encoding: identity\r\nAccept: application/json\r\n\r\n"
/// );
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The path, with an optional `?query` and `#fragment`.
    pub path: String,
    /// Query arguments, sent before the path's own query.
    pub qargs: Vec<(String, String)>,
    /// Header fields, sent Title-Cased after `Host`, `Accept-Encoding`
    /// and `Content-Length`.
    pub headers: HeaderMap,
    /// A raw body.
    pub body: Bytes,
    /// A JSON body (sent compact, with `Content-Type: application/json;
    /// charset=utf-8` unless the headers set one).
    pub data: Option<serde_json::Value>,
    /// Form fields (sent `application/x-www-form-urlencoded`).
    pub fargs: Vec<(String, String)>,
}

impl Request {
    /// A request for `method` and `path`.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Request {
            method,
            path: path.into(),
            qargs: Vec::new(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            data: None,
            fargs: Vec::new(),
        }
    }

    /// A GET.
    pub fn get(path: impl Into<String>) -> Self {
        Request::new(Method::GET, path)
    }

    /// A HEAD.
    pub fn head(path: impl Into<String>) -> Self {
        Request::new(Method::HEAD, path)
    }

    /// A POST.
    pub fn post(path: impl Into<String>) -> Self {
        Request::new(Method::POST, path)
    }

    /// A PUT.
    pub fn put(path: impl Into<String>) -> Self {
        Request::new(Method::PUT, path)
    }

    /// A DELETE.
    pub fn delete(path: impl Into<String>) -> Self {
        Request::new(Method::DELETE, path)
    }

    /// Adds a query argument.
    pub fn query(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.qargs.push((key.into(), value.into()));
        self
    }

    /// Adds a header field (repeats are kept). As with
    /// [`HeaderMap::append`], a `&'static str` name is lower-cased, and
    /// panics if it is not a valid name.
    pub fn header<K: IntoHeaderName>(mut self, name: K, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Sets a raw body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sets a JSON body.
    pub fn json(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Adds a form field.
    pub fn form(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.fargs.push((key.into(), value.into()));
        self
    }
}

/// One redirect a request followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// The redirect's status.
    pub status: StatusCode,
    /// Its `Location`, as sent.
    pub location: String,
}

/// A complete response: HIO's `Response` tuple, with its own copy of the
/// body. Each request ends with one `Result<Response>`; see [`Client`]
/// for a round trip.
///
/// ```
/// use hio::http::client::{Client, ClientError, ClientOpts, Request};
/// use hio::{Error, Tymist};
/// // Nothing listens on port 1: with a tymeout, the request fails on tyme.
/// let opts = ClientOpts { tymeout: 1.0, ..ClientOpts::default() };
/// let mut client = Client::with_opts("127.0.0.1:1".parse().unwrap(), opts);
/// let mut tymist = Tymist::new(0.0, 0.25);
/// client.wind(&tymist.tymen());
/// client.request(Request::get("/"));
/// loop {
///     client.service()?;
///     if !client.responses.is_empty() {
///         break;
///     }
///     tymist.tick();
/// }
/// match client.respond().unwrap() {
///     Ok(res) => println!("{} {:?} {:?}", res.status, res.body, res.data),
///     Err(Error::Http(ClientError::Tymeout { tymeout })) => assert_eq!(tymeout, 1.0),
///     Err(e) => panic!("{e}"),
/// }
/// assert_eq!(tymist.tyme(), 1.0);
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Response {
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The status.
    pub status: StatusCode,
    /// The reason phrase as sent.
    pub reason: String,
    /// The header fields.
    pub headers: HeaderMap,
    /// The body (decoded from chunks if chunked).
    pub body: Bytes,
    /// The body as JSON, when its content type says JSON (or
    /// [`ClientOpts::dictable`]) and it parses.
    pub data: Option<serde_json::Value>,
    /// The request as finally sent (after redirects).
    pub request: Request,
    /// The redirects followed on the way, oldest first.
    pub redirects: Vec<Redirect>,
}

/// Where requests go.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    /// Host name or address, without brackets.
    host: String,
    port: u16,
    addr: SocketAddr,
}

/// Reading a response body.
struct Reading {
    head: ResponseHead,
    framing: Framing,
    persistent: bool,
    body: BytesMut,
    chunked: Option<ChunkedDecoder>,
}

/// Reading an event stream: its bytes go straight to the parser, so
/// none of the stream is kept.
struct Streaming {
    head: ResponseHead,
    framing: Framing,
    /// Stream bytes still to come (`Framing::Length`).
    left: u64,
    chunked: Option<ChunkedDecoder>,
    /// Decoded chunk data, reused from read to read.
    decoded: Vec<u8>,
    parser: Parser,
}

enum Phase {
    /// Waiting for a response head.
    Head,
    /// Reading a body.
    Body(Box<Reading>),
    /// Reading events.
    Events(Box<Streaming>),
    /// An event stream ended: waiting out the retry delay to resume it.
    Wait,
}

/// The request in flight.
struct Flight {
    request: Request,
    redirects: Vec<Redirect>,
    phase: Phase,
    /// Sent on a connection that had served an earlier request.
    reused: bool,
    /// Already resent once after a reused connection closed on it.
    retried: bool,
    /// Response bytes have arrived for this attempt.
    heard: bool,
    /// The response was an event stream.
    streaming: bool,
    last_id: Option<String>,
    retry_ms: Option<u64>,
    /// Interim responses before the current attempt's final one.
    interim: usize,
    /// Received bytes already searched for the end of a head, so a head
    /// arriving in pieces is scanned once, not once per piece.
    scanned: usize,
    /// Runs from the first send until the final response (for a stream,
    /// its head); `None` when no deadline runs.
    deadline: Option<Tymer>,
}

impl Flight {
    fn new(request: Request) -> Self {
        Flight {
            request,
            redirects: Vec::new(),
            phase: Phase::Head,
            reused: false,
            retried: false,
            heard: false,
            streaming: false,
            last_id: None,
            retry_ms: None,
            interim: 0,
            scanned: 0,
            deadline: None,
        }
    }
}

/// What parsing the received bytes led to.
enum Step {
    /// Nothing more to do until more bytes arrive.
    Wait,
    /// The state changed: look again.
    Again,
    /// The response is complete.
    Done,
    /// The request failed.
    Fail(ClientError),
    /// The connection closed before any of the response arrived.
    ClosedEarly,
    /// An event stream ended.
    StreamEnd,
}

/// A non-blocking HTTP/1.1 client: HIO's `http.Client`.
///
/// Queue [`Request`]s on [`requests`](Client::requests) (or with
/// [`request`](Client::request)), call [`service`](Client::service) once per
/// pass, and pop results from [`responses`](Client::responses) (or with
/// [`respond`](Client::respond)): exactly one per request, in request
/// order, either a [`Response`] or an [`Error::Http`]. One request is in
/// flight at a time; the connection is kept for the next one whenever the
/// response allows (HTTP/1.1 keep-alive, HTTP/1.0 `Connection:
/// keep-alive`), and opened anew otherwise.
///
/// A `200` response of type `text/event-stream` is read as Server-Sent
/// Events: each event is pushed to [`events`](Client::events) as it
/// arrives, and when the stream ends the client waits `retry` (the
/// server's or [`ClientOpts::retry`]) and sends the request again with
/// `Last-Event-ID`. The stream's request stays in flight until the server
/// answers something else (e.g. `204`), or the client is closed.
///
/// ```
/// use hio::http::client::{Client, Request};
/// use hio::http::{Body, Bytes, Response, Server};
///
/// let mut server = Server::new("127.0.0.1:0".parse().unwrap(), |req: hio::http::Request<Bytes>| {
///     Response::new(Body::from(format!("{{\"path\":\"{}\"}}", req.uri().path())))
/// });
/// server.open()?;
/// let mut client = Client::new(server.local_addr().unwrap());
/// client.request(Request::get("/a"));
/// client.request(Request::get("/b"));
/// let mut got = Vec::new();
/// for _ in 0..5000 {
///     server.service()?;
///     client.service()?;
///     if let Some(res) = client.respond() {
///         got.push(res?);
///         if got.len() == 2 { break; }
///     }
///     std::thread::sleep(std::time::Duration::from_micros(200));
/// }
/// assert_eq!(got[0].status, 200);
/// assert_eq!(&got[0].body[..], b"{\"path\":\"/a\"}");
/// assert_eq!(got[1].data, None); // no JSON content type, and not dictable
/// assert_eq!(server.tcp().len(), 1); // both over one connection
/// # Ok::<(), hio::Error>(())
/// ```
pub struct Client {
    opts: ClientOpts,
    /// The server the client was made for.
    home: Origin,
    /// The server requests go to now (differs from `home` while a request
    /// follows a redirect elsewhere).
    cur: Origin,
    tcp: tcp::Client,
    /// The connection is closed or unusable: open a new one before the
    /// next request, and do not service this one.
    stale: bool,
    /// Requests sent on the current connection.
    uses: usize,
    tymth: Tymth,
    reactor: Option<Reactor>,
    tymer: Tymer,
    flight: Option<Flight>,
    /// Requests waiting to be sent, oldest first.
    pub requests: VecDeque<Request>,
    /// Results, oldest first: one per request.
    pub responses: VecDeque<Result<Response>>,
    /// Server-Sent Events received, oldest first.
    pub events: VecDeque<Event>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("host", &self.cur.host)
            .field("port", &self.cur.port)
            .field("addr", &self.cur.addr)
            .field("connected", &self.connected())
            .field("requests", &self.requests.len())
            .field("responses", &self.responses.len())
            .field("events", &self.events.len())
            .finish()
    }
}

impl Client {
    /// A client for the server at `addr` (sending `Host: addr`).
    pub fn new(addr: SocketAddr) -> Self {
        Client::with_opts(addr, ClientOpts::default())
    }

    /// A client for `addr` with options.
    pub fn with_opts(addr: SocketAddr, opts: ClientOpts) -> Self {
        let origin = Origin {
            host: addr.ip().to_string(),
            port: addr.port(),
            addr,
        };
        Client::at(origin, opts)
    }

    /// A client for `host` (a name, an IPv4 address, or an IPv6 address
    /// with or without brackets; a `:port` suffix wins over `port`),
    /// resolved now, IPv4 first. `Host` carries the name as given.
    ///
    /// ```
    /// use hio::http::client::{Client, ClientOpts, Request};
    /// let client = Client::resolve("::1", 8080, ClientOpts::default())?;
    /// let bytes = client.build(&Request::get("/"))?;
    /// assert!(bytes.starts_with(b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n"));
    /// let client = Client::resolve("127.0.0.1:9000", 80, ClientOpts::default())?;
    /// assert_eq!(client.addr().port(), 9000);
    /// # Ok::<(), hio::Error>(())
    /// ```
    pub fn resolve(host: &str, port: u16, opts: ClientOpts) -> Result<Self> {
        let (host, given) = parse_authority(host).map_err(Error::Invalid)?;
        let origin = lookup(&host, given.unwrap_or(port)).map_err(Error::Invalid)?;
        Ok(Client::at(origin, opts))
    }

    fn at(origin: Origin, opts: ClientOpts) -> Self {
        let tymth = Tymth::default();
        let tcp = tcp::Client::with_opts(origin.addr, tcp_opts(&opts));
        Client {
            tymer: Tymer::new(&tymth, opts.tymeout),
            opts,
            home: origin.clone(),
            cur: origin,
            tcp,
            stale: true,
            uses: 0,
            tymth,
            reactor: None,
            flight: None,
            requests: VecDeque::new(),
            responses: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The options.
    pub fn opts(&self) -> &ClientOpts {
        &self.opts
    }

    /// The server's address (HIO's `ha`).
    #[doc(alias = "ha")]
    pub fn addr(&self) -> SocketAddr {
        self.home.addr
    }

    /// The value sent as `Host`.
    pub fn host(&self) -> String {
        host_value(&self.cur, self.opts.port_optional)
    }

    /// Queues a request (HIO's `request`).
    pub fn request(&mut self, request: Request) {
        self.requests.push_back(request);
    }

    /// Pops the oldest result (HIO's `respond`).
    pub fn respond(&mut self) -> Option<Result<Response>> {
        self.responses.pop_front()
    }

    /// Pops the oldest Server-Sent Event.
    pub fn event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Whether a request is in flight (HIO's `waited`).
    #[doc(alias = "waited")]
    pub fn waiting(&self) -> bool {
        self.flight.is_some()
    }

    /// The id of the last event of the stream in flight (what goes out as
    /// `Last-Event-ID` when it resumes).
    pub fn last_event_id(&self) -> Option<&str> {
        self.flight.as_ref().and_then(|f| f.last_id.as_deref())
    }

    /// Whether the connection is established and not cut off.
    pub fn connected(&self) -> bool {
        !self.stale && self.tcp.connected() && !self.tcp.cutoff()
    }

    /// The TCP connection underneath.
    pub fn tcp(&self) -> &tcp::Client {
        &self.tcp
    }

    /// Winds the client (tymeouts, retry delays) onto a clock.
    pub fn wind(&mut self, tymth: &Tymth) {
        self.tymth = tymth.clone();
        self.tymer.wind(tymth);
        self.tcp.wind(tymth);
        if let Some(deadline) = self.flight.as_mut().and_then(|f| f.deadline.as_mut()) {
            deadline.wind(tymth);
        }
    }

    /// Moves the connection onto a reactor (a Doist's); later connections
    /// use it too.
    pub fn set_reactor(&mut self, reactor: &Reactor) -> Result<()> {
        self.reactor = Some(reactor.clone());
        self.tcp.set_reactor(reactor)
    }

    /// Starts a new connection (closing the current one). A request in
    /// flight is sent again on it.
    pub fn open(&mut self) -> Result<()> {
        self.connect()?;
        if self
            .flight
            .as_ref()
            .is_some_and(|f| !matches!(f.phase, Phase::Wait))
        {
            self.send()?;
        }
        Ok(())
    }

    /// HIO's `reopen`: the same as [`open`](Client::open).
    pub fn reopen(&mut self) -> Result<()> {
        self.open()
    }

    /// Closes the connection. A request in flight ends with
    /// [`ClientError::Cancelled`]; queued requests stay queued, and the
    /// next [`service`](Client::service) connects anew for them.
    pub fn close(&mut self) {
        if self.flight.is_some() {
            self.fail(ClientError::Cancelled);
        }
        self.drop_conn();
    }

    /// The bytes of `request` as this client would send them (HIO's
    /// `Requester.build`).
    ///
    /// ```
    /// use hio::http::HeaderValue;
    /// use hio::http::client::{Client, ClientOpts, Request};
    /// let client = Client::resolve("localhost", 8080, ClientOpts::default())?;
    /// let req = Request::post("/a b/c?x=1&y=hello world")
    ///     .query("z", "1 2")
    ///     .header("accept", HeaderValue::from_static("application/json"))
    ///     .header("x-custom-hdr", HeaderValue::from_static("v"))
    ///     .json(serde_json::json!({"a": 1, "b": [1, 2]}));
    /// assert_eq!(
    ///     String::from_utf8(client.build(&req)?).unwrap(),
    ///     "POST /a%20b/c?z=1+2&x=1&y=hello+world HTTP/1.1\r\nHost: localhost:8080\r\n\
    ///      Accept-Encoding: identity\r\nContent-Length: 17\r\nAccept: application/json\r\n\
    ///      X-Custom-Hdr: v\r\nContent-Type: application/json; charset=utf-8\r\n\r\n\
    ///      {\"a\":1,\"b\":[1,2]}"
    /// );
    /// # Ok::<(), hio::Error>(())
    /// ```
    pub fn build(&self, request: &Request) -> Result<Vec<u8>> {
        Ok(build_request(request, &self.cur, &self.opts)?)
    }

    /// One service (HIO's `service`): send the next request if none is in
    /// flight, connect, send, receive, parse, and finish what is complete.
    pub fn service(&mut self) -> Result<()> {
        if self.stale
            && self
                .flight
                .as_ref()
                .is_some_and(|f| matches!(f.phase, Phase::Head))
        {
            // A connect that failed with an OS error: try again.
            self.send()?;
        }
        self.service_requests()?;
        if !self.stale {
            let before = self.tcp.rxbs().len();
            self.tcp.service()?;
            if self.tcp.rxbs().len() > before {
                // Progress: the tymeout counts from the latest bytes.
                self.tymer.start(None, None);
            }
            self.service_response()?;
            self.service_idle();
        }
        self.service_tymers()?;
        if self.flight.is_none() && !self.requests.is_empty() {
            self.service_requests()?;
            if !self.stale {
                self.tcp.service_sends()?;
            }
        }
        Ok(())
    }

    /// Sends the next queued request if none is in flight.
    #[doc(alias = "serviceRequests")]
    pub fn service_requests(&mut self) -> Result<()> {
        if self.flight.is_some() {
            return Ok(());
        }
        let Some(request) = self.requests.pop_front() else {
            return Ok(());
        };
        if self.cur != self.home {
            // The last request was redirected elsewhere; this one goes home.
            self.cur = self.home.clone();
            self.drop_conn();
        }
        self.flight = Some(Flight::new(request));
        self.send()
    }

    /// Parses what has arrived and finishes what is complete.
    #[doc(alias = "serviceResponse")]
    pub fn service_response(&mut self) -> Result<()> {
        loop {
            match self.step() {
                Step::Wait => return Ok(()),
                Step::Again => {}
                Step::Done => self.complete()?,
                Step::Fail(e) => self.fail(e),
                Step::ClosedEarly => self.closed_early()?,
                Step::StreamEnd => self.stream_end(),
            }
        }
    }

    /// A fresh connection to the current origin.
    fn connect(&mut self) -> Result<()> {
        let mut tcp = tcp::Client::with_opts(self.cur.addr, tcp_opts(&self.opts));
        tcp.wind(&self.tymth);
        if let Some(reactor) = &self.reactor {
            tcp.set_reactor(reactor)?;
        }
        tcp.open()?;
        self.tcp = tcp;
        self.stale = false;
        self.uses = 0;
        Ok(())
    }

    /// Closes the connection and marks it unusable.
    fn drop_conn(&mut self) {
        self.tcp.close();
        self.stale = true;
    }

    /// Sends the request in flight, on the current connection if it can
    /// take it, else on a new one.
    fn send(&mut self) -> Result<()> {
        let Some(flight) = self.flight.as_ref() else {
            return Ok(());
        };
        let bytes = match build_request(&flight.request, &self.cur, &self.opts) {
            Ok(b) => b,
            Err(e) => {
                self.fail(e);
                return Ok(());
            }
        };
        if self.stale
            || self.tcp.cutoff()
            || !self.tcp.rxbs().is_empty()
            || !self.tcp.txbs().is_empty()
        {
            self.connect()?;
        }
        self.uses += 1;
        let reused = self.uses > 1;
        if let Some(flight) = self.flight.as_mut() {
            flight.reused = reused;
            flight.heard = false;
            flight.phase = Phase::Head;
            flight.interim = 0;
            flight.scanned = 0;
            if flight.deadline.is_none() && self.opts.deadline > 0.0 {
                flight.deadline = Some(Tymer::new(&self.tymth, self.opts.deadline));
            }
        }
        self.tcp.tx(&bytes);
        self.tymer.start(Some(self.opts.tymeout), None);
        Ok(())
    }

    /// Advances the response parse by one state.
    fn step(&mut self) -> Step {
        let Some(flight) = self.flight.as_mut() else {
            return Step::Wait;
        };
        if self.stale {
            return Step::Wait;
        }
        let cutoff = self.tcp.cutoff();
        let limits = self.opts.limits;
        let rxbs = self.tcp.rxbs();
        if !rxbs.is_empty() {
            flight.heard = true;
        }
        match &mut flight.phase {
            Phase::Wait => Step::Wait,
            Phase::Head => {
                if rxbs.is_empty() {
                    return if cutoff {
                        Step::ClosedEarly
                    } else {
                        Step::Wait
                    };
                }
                if !cutoff && !head_may_end(rxbs, &mut flight.scanned, limits.max_head) {
                    return Step::Wait;
                }
                let head_request = flight.request.method == Method::HEAD;
                let (head, n, framing) = match parse_response_head(rxbs, &limits, head_request) {
                    Ok(Some(parsed)) => parsed,
                    Ok(None) if cutoff => {
                        return Step::Fail(ClientError::Closed {
                            status: None,
                            received: 0,
                        });
                    }
                    Ok(None) => return Step::Wait,
                    Err(e) => return Step::Fail(e.into()),
                };
                self.tcp.consume(n);
                flight.scanned = 0;
                if head.status.is_informational() && head.status != StatusCode::SWITCHING_PROTOCOLS
                {
                    // An interim response (100 Continue, 103 Early Hints):
                    // the real one follows, unless the server never stops.
                    flight.interim += 1;
                    if flight.interim > self.opts.max_interim {
                        return Step::Fail(ClientError::Interim {
                            limit: self.opts.max_interim,
                        });
                    }
                    return Step::Again;
                }
                if head.status == StatusCode::OK && !head_request && is_event_stream(&head.headers)
                {
                    flight.streaming = true;
                    // The stream runs for ever from here.
                    flight.deadline = None;
                    // Nothing of a stream is kept: only its events and lines
                    // are bounded, not its length.
                    let unbounded = Limits {
                        max_body: usize::MAX,
                        ..limits
                    };
                    flight.phase = Phase::Events(Box::new(Streaming {
                        head,
                        framing,
                        left: match framing {
                            Framing::Length(len) => len,
                            _ => 0,
                        },
                        chunked: (framing == Framing::Chunked)
                            .then(|| ChunkedDecoder::new(unbounded)),
                        decoded: Vec::new(),
                        parser: Parser::with_max_event(self.opts.max_event),
                    }));
                } else if let Framing::Length(len) = framing
                    && len > limits.max_body as u64
                {
                    return Step::Fail(
                        ParseError::new(StatusCode::PAYLOAD_TOO_LARGE, "response body too large")
                            .into(),
                    );
                } else {
                    let persistent = persistent(&head, framing);
                    flight.phase = Phase::Body(Box::new(Reading {
                        head,
                        framing,
                        persistent,
                        body: BytesMut::new(),
                        chunked: None,
                    }));
                }
                Step::Again
            }
            Phase::Body(r) => {
                let read = read_body(r.framing, rxbs, &mut r.body, &mut r.chunked, &limits);
                if let Ok((used, _)) = read {
                    self.tcp.consume(used);
                }
                match read.map(|(_, done)| done) {
                    Ok(true) => Step::Done,
                    Ok(false) if cutoff => {
                        if r.framing == Framing::Close {
                            Step::Done
                        } else {
                            Step::Fail(ClientError::Closed {
                                status: Some(r.head.status),
                                received: r.body.len(),
                            })
                        }
                    }
                    Ok(false) => Step::Wait,
                    Err(e) => Step::Fail(e.into()),
                }
            }
            Phase::Events(s) => {
                // Each received byte is fed once and consumed at once.
                let (used, events, read) = match s.framing {
                    Framing::None => (0, Vec::new(), Ok(true)),
                    Framing::Length(_) => {
                        let take = rxbs
                            .len()
                            .min(usize::try_from(s.left).unwrap_or(usize::MAX));
                        s.left -= take as u64;
                        (take, s.parser.feed(&rxbs[..take]), Ok(s.left == 0))
                    }
                    Framing::Close => (rxbs.len(), s.parser.feed(rxbs), Ok(false)),
                    Framing::Chunked => {
                        let dec = s.chunked.get_or_insert_with(|| {
                            ChunkedDecoder::new(Limits {
                                max_body: usize::MAX,
                                ..limits
                            })
                        });
                        s.decoded.clear();
                        match dec.decode(rxbs, &mut s.decoded) {
                            Ok(used) => (used, s.parser.feed(&s.decoded), Ok(dec.is_done())),
                            Err(e) => (0, Vec::new(), Err(e)),
                        }
                    }
                };
                self.tcp.consume(used);
                self.events.extend(events);
                if let Some(id) = s.parser.last_id() {
                    flight.last_id = Some(id.to_string());
                }
                if let Some(ms) = s.parser.retry() {
                    flight.retry_ms = Some(ms);
                }
                if s.parser.overflowed() {
                    return Step::Fail(ClientError::Event {
                        limit: self.opts.max_event,
                    });
                }
                if s.parser.pending() > limits.max_head {
                    return Step::Fail(
                        ParseError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "event-stream line too long",
                        )
                        .into(),
                    );
                }
                match read {
                    Ok(true) => Step::StreamEnd,
                    Ok(false) if cutoff => Step::StreamEnd,
                    Ok(false) => Step::Wait,
                    Err(e) => Step::Fail(e.into()),
                }
            }
        }
    }

    /// Ends the request in flight with an error, and drops the connection
    /// (its state is unknown).
    fn fail(&mut self, err: ClientError) {
        tracing::debug!(error = %err, "http request failed");
        self.flight = None;
        self.drop_conn();
        self.responses.push_back(Err(err.into()));
    }

    /// A response is complete: queue it, or follow its redirect.
    fn complete(&mut self) -> Result<()> {
        let Some(mut flight) = self.flight.take() else {
            return Ok(());
        };
        let Phase::Body(reading) = std::mem::replace(&mut flight.phase, Phase::Head) else {
            return Ok(());
        };
        let Reading {
            head,
            persistent,
            body,
            ..
        } = *reading;
        if !persistent || head.status == StatusCode::SWITCHING_PROTOCOLS {
            self.drop_conn();
        }
        let location = head.headers.get(LOCATION).map(|v| v.as_bytes().to_vec());
        if let (true, true, Some(location)) =
            (self.opts.redirectable, is_redirect(head.status), location)
        {
            let location = String::from_utf8_lossy(&location).into_owned();
            self.flight = Some(flight);
            if self.flight.as_ref().map_or(0, |f| f.redirects.len()) >= self.opts.max_redirects {
                self.fail(ClientError::Redirects {
                    limit: self.opts.max_redirects,
                });
                return Ok(());
            }
            return self.redirect(head.status, location);
        }
        let data = if self.opts.dictable || is_json(&head.headers) {
            serde_json::from_slice(&body).ok()
        } else {
            None
        };
        self.responses.push_back(Ok(Response {
            version: head.version,
            status: head.status,
            reason: head.reason,
            headers: head.headers,
            body: body.freeze(),
            data,
            request: flight.request,
            redirects: flight.redirects,
        }));
        Ok(())
    }

    /// Follows a redirect for the request in flight.
    fn redirect(&mut self, status: StatusCode, location: String) -> Result<()> {
        let Some(flight) = self.flight.as_mut() else {
            return Ok(());
        };
        let (request, origin) = match follow(&flight.request, &self.cur, status, &location) {
            Ok(next) => next,
            Err(why) => {
                self.fail(ClientError::Redirect { location, why });
                return Ok(());
            }
        };
        tracing::debug!(%status, %location, "following redirect");
        flight.redirects.push(Redirect { status, location });
        flight.request = request;
        flight.retried = false;
        if origin != self.cur {
            self.cur = origin;
            self.drop_conn();
        }
        self.send()
    }

    /// The connection closed before any response bytes: resend once when
    /// a reused connection was closed under an idempotent request (the
    /// server's idle close raced it), resume a stream, or fail.
    fn closed_early(&mut self) -> Result<()> {
        let Some(flight) = self.flight.as_mut() else {
            return Ok(());
        };
        if flight.streaming && resumes(&self.opts, &flight.request) {
            self.stream_end();
            return Ok(());
        }
        if flight.reused && !flight.retried && idempotent(&flight.request.method) {
            tracing::debug!("kept-alive connection closed under a request; resending");
            flight.retried = true;
            self.drop_conn();
            return self.send();
        }
        self.fail(ClientError::Closed {
            status: None,
            received: 0,
        });
        Ok(())
    }

    /// An event stream ended: wait to resume it, or complete the request.
    fn stream_end(&mut self) {
        self.drop_conn();
        let Some(flight) = self.flight.as_mut() else {
            return;
        };
        if resumes(&self.opts, &flight.request) {
            let delay = flight
                .retry_ms
                .map_or(self.opts.retry, |ms| ms as f64 / 1000.0);
            flight.phase = Phase::Wait;
            self.tymer.start(Some(delay), None);
            return;
        }
        let Some(flight) = self.flight.take() else {
            return;
        };
        match flight.phase {
            Phase::Events(s) => self.responses.push_back(Ok(Response {
                version: s.head.version,
                status: s.head.status,
                reason: s.head.reason,
                headers: s.head.headers,
                body: Bytes::new(),
                data: None,
                request: flight.request,
                redirects: flight.redirects,
            })),
            _ => self.responses.push_back(Err(ClientError::Closed {
                status: None,
                received: 0,
            }
            .into())),
        }
    }

    /// With nothing in flight, a connection that closes or sends
    /// unrequested bytes is dropped.
    fn service_idle(&mut self) {
        if self.flight.is_some() || self.stale {
            return;
        }
        if !self.tcp.rxbs().is_empty() {
            tracing::debug!(
                bytes = self.tcp.rxbs().len(),
                "unrequested bytes from the server; dropping the connection"
            );
            self.drop_conn();
        } else if self.tcp.cutoff() {
            self.drop_conn();
        }
    }

    /// Tymeouts and stream retry delays.
    fn service_tymers(&mut self) -> Result<()> {
        let Some(flight) = self.flight.as_mut() else {
            return Ok(());
        };
        if matches!(flight.phase, Phase::Wait) {
            if self.tymer.expired() {
                if let Some(id) = &flight.last_id
                    && let Ok(value) = HeaderValue::from_str(id)
                {
                    flight
                        .request
                        .headers
                        .insert(HeaderName::from_static("last-event-id"), value);
                }
                flight.retried = false;
                // A new deadline for the new connect.
                flight.deadline = None;
                return self.send();
            }
            return Ok(());
        }
        let late = flight.deadline.as_ref().is_some_and(Tymer::expired);
        if (self.opts.tymeout > 0.0 && self.tymer.expired()) || late {
            if flight.streaming {
                self.stream_end();
            } else if late {
                self.fail(ClientError::Deadline {
                    deadline: self.opts.deadline,
                });
            } else {
                self.fail(ClientError::Tymeout {
                    tymeout: self.opts.tymeout,
                });
            }
        }
        Ok(())
    }
}

/// Runs an HTTP [`Client`]: winds it onto the Doist's clock and reactor
/// and opens it on enter, services it every pass, closes it on exit.
/// HIO's `http.ClientDoer`.
///
/// ```
/// use hio::Doist;
/// use hio::http::client::{Client, ClientDoer, Request};
/// use hio::http::{Body, Bytes, Response, Server, ServerDoer};
///
/// let mut server = Server::new("127.0.0.1:0".parse().unwrap(), |_: hio::http::Request<Bytes>| {
///     Response::new(Body::from("hi"))
/// });
/// server.open()?;
/// let doer = ClientDoer::new(Client::new(server.local_addr().unwrap()));
/// let client = doer.client();
/// client.borrow_mut().request(Request::get("/"));
/// let mut doist = Doist::new(0.03125).with_limit(10.0);
/// doist.add(ServerDoer::new(server));
/// doist.add(doer);
/// doist.run()?;
/// let res = client.borrow_mut().respond().expect("answered within the limit")?;
/// assert_eq!(res.body, "hi");
/// assert!(!client.borrow().connected()); // closed on exit
/// # Ok::<(), hio::Error>(())
/// ```
pub type ClientDoer = ServiceDoer<Client>;

impl ServiceDoer<Client> {
    /// The client.
    pub fn client(&self) -> Rc<RefCell<Client>> {
        self.inner()
    }
}

impl Serviced for Client {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.wind(cx.tymth());
        self.set_reactor(cx.reactor())?;
        self.reopen()
    }
    fn service(&mut self) -> Result<()> {
        Client::service(self)
    }
    fn exit(&mut self) -> Result<()> {
        self.close();
        Ok(())
    }
}

/// TCP options for the client's connections: never reconnecting by
/// themselves.
fn tcp_opts(opts: &ClientOpts) -> tcp::ClientOpts {
    tcp::ClientOpts {
        reconnectable: false,
        ..opts.tcp.clone()
    }
}

/// Resolves `host:port`, IPv4 first.
fn lookup(host: &str, port: u16) -> Result<Origin, String> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host:?}: {e}"))?
        .collect();
    let addr = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("{host:?} resolves to no address"))?;
    Ok(Origin {
        host: host.to_string(),
        port,
        addr,
    })
}

/// The `Host` value: IPv6 addresses in brackets; the port left out only
/// for 80 when `port_optional`.
fn host_value(origin: &Origin, port_optional: bool) -> String {
    let host = if origin.host.contains(':') {
        format!("[{}]", origin.host)
    } else {
        origin.host.clone()
    };
    if port_optional && origin.port == 80 {
        host
    } else {
        format!("{host}:{}", origin.port)
    }
}

/// A URL or request target split into its parts (the fragment dropped).
#[derive(Debug, Default, PartialEq, Eq)]
struct Target<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
}

fn split_target(s: &str) -> Target<'_> {
    let s = s.split('#').next().unwrap_or("");
    let mut t = Target::default();
    let mut rest = s;
    if let Some(i) = s.find(':')
        && i > 0
        && s.as_bytes()[0].is_ascii_alphabetic()
        && s[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        t.scheme = Some(&s[..i]);
        rest = &s[i + 1..];
    }
    if let Some(r) = rest.strip_prefix("//") {
        let end = r.find(['/', '?']).unwrap_or(r.len());
        t.authority = Some(&r[..end]);
        rest = &r[end..];
    }
    match rest.find('?') {
        Some(i) => {
            t.path = &rest[..i];
            t.query = Some(&rest[i + 1..]);
        }
        None => t.path = rest,
    }
    t
}

/// Splits `host[:port]` (userinfo dropped; IPv6 in brackets, or bare
/// with no port).
fn parse_authority(a: &str) -> Result<(String, Option<u16>), String> {
    let a = a.rsplit('@').next().unwrap_or(a);
    let (host, port) = if let Some(rest) = a.strip_prefix('[') {
        let end = rest
            .find(']')
            .ok_or_else(|| format!("unclosed '[' in {a:?}"))?;
        let after = &rest[end + 1..];
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p),
            None if after.is_empty() => None,
            None => return Err(format!("junk after ']' in {a:?}")),
        };
        (&rest[..end], port)
    } else if a.matches(':').count() > 1 {
        // A bare IPv6 address: it has no port (HIO splits it at the last
        // colon).
        (a, None)
    } else {
        match a.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (a, None),
        }
    };
    if host.is_empty() {
        return Err(format!("no host in {a:?}"));
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse::<u16>().map_err(|_| format!("bad port {p:?}"))?),
    };
    Ok((host.to_string(), port))
}

/// Whether `b` may appear unescaped in a path.
fn path_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b)
}

fn push_escaped(out: &mut String, b: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(b >> 4)] as char);
    out.push(HEX[usize::from(b & 15)] as char);
}

/// Percent-quotes a path, keeping `/`, the characters a path may hold,
/// and escapes already made.
fn quote_path(p: &str) -> String {
    let bytes = p.as_bytes();
    let mut out = String::with_capacity(p.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if path_safe(b) {
            out.push(b as char);
        } else if b == b'%'
            && bytes.len() > i + 2
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.push_str(&p[i..i + 3]);
            i += 2;
        } else {
            push_escaped(&mut out, b);
        }
        i += 1;
    }
    out
}

/// Python's `quote_plus`: spaces become `+`, everything but letters,
/// digits and `-._~` is escaped.
fn quote_plus(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            push_escaped(&mut out, b);
        }
    }
    out
}

/// Python's `unquote_plus` (bad escapes are kept as they are).
fn unquote_plus(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                });
                match hex {
                    Some(v) => {
                        out.push(v);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The request bytes (HIO's `Requester.build`).
fn build_request(
    req: &Request,
    origin: &Origin,
    opts: &ClientOpts,
) -> Result<Vec<u8>, ClientError> {
    let target = split_target(&req.path);
    if let Some(scheme) = target.scheme
        && !scheme.eq_ignore_ascii_case("http")
    {
        return Err(ClientError::Request(format!(
            "scheme {scheme:?} is not supported"
        )));
    }
    if let Some(authority) = target.authority {
        let (host, port) = parse_authority(authority).map_err(ClientError::Request)?;
        if !host.eq_ignore_ascii_case(&origin.host) || port.unwrap_or(80) != origin.port {
            return Err(ClientError::Request(format!(
                "{:?} names another server than {}",
                req.path,
                host_value(origin, false)
            )));
        }
    }
    let mut line = String::with_capacity(64 + req.path.len());
    line.push_str(req.method.as_str());
    line.push(' ');
    if target.path.is_empty() {
        line.push('/');
    } else {
        if !target.path.starts_with('/') {
            line.push('/');
        }
        line.push_str(&quote_path(target.path));
    }
    let mut sep = '?';
    for (k, v) in &req.qargs {
        line.push(sep);
        line.push_str(&quote_plus(k));
        line.push('=');
        line.push_str(&quote_plus(v));
        sep = '&';
    }
    for part in target
        .query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        line.push(sep);
        match part.split_once('=') {
            Some((k, v)) => {
                line.push_str(&quote_plus(&unquote_plus(k)));
                line.push('=');
                line.push_str(&quote_plus(&unquote_plus(v)));
            }
            None => line.push_str(&quote_plus(&unquote_plus(part))),
        }
        sep = '&';
    }
    line.push_str(" HTTP/1.1\r\n");

    let (body, ctype): (Bytes, Option<&str>) = if let Some(data) = &req.data {
        let json = serde_json::to_vec(data).map_err(|e| ClientError::Request(e.to_string()))?;
        (json.into(), Some("application/json; charset=utf-8"))
    } else if !req.fargs.is_empty() {
        let form = req
            .fargs
            .iter()
            .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
            .collect::<Vec<_>>()
            .join("&");
        (
            form.into(),
            Some("application/x-www-form-urlencoded; charset=utf-8"),
        )
    } else {
        (req.body.clone(), None)
    };

    let mut out = line.into_bytes();
    let mut field = |name: &str, value: &[u8]| {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    };
    let h = &req.headers;
    let has = |name: &HeaderName| h.contains_key(name) || opts.headers.contains_key(name);
    if !has(&HOST) {
        field("Host", host_value(origin, opts.port_optional).as_bytes());
    }
    if !has(&ACCEPT_ENCODING) {
        field("Accept-Encoding", b"identity");
    }
    if !body.is_empty() && !has(&CONTENT_LENGTH) && !has(&TRANSFER_ENCODING) {
        field("Content-Length", body.len().to_string().as_bytes());
    }
    for (name, value) in &opts.headers {
        if !h.contains_key(name) {
            field(&title_case(name.as_str()), value.as_bytes());
        }
    }
    for (name, value) in h {
        field(&title_case(name.as_str()), value.as_bytes());
    }
    if let Some(ctype) = ctype
        && !has(&CONTENT_TYPE)
    {
        field("Content-Type", ctype.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&body);
    Ok(out)
}

/// Whether parsing `rxbs` as a response head is worth while: on the first
/// look (to refuse a garbage status line at once), once it is too large,
/// or when the bytes after `scanned` bring the blank line that ends a
/// head. Re-parsing a partial head on every read would cost O(head) per
/// read, quadratic in all.
fn head_may_end(rxbs: &[u8], scanned: &mut usize, max_head: usize) -> bool {
    if *scanned == 0 || rxbs.len() > max_head {
        *scanned = rxbs.len();
        return true;
    }
    // Back up over a line end split between reads ("\n" | "\r\n" | "\n").
    let from = scanned.saturating_sub(2).min(rxbs.len());
    let tail = &rxbs[from..];
    let found = tail.iter().enumerate().any(|(i, &b)| {
        b == b'\n' && (tail[i + 1..].starts_with(b"\n") || tail[i + 1..].starts_with(b"\r\n"))
    });
    // Searched up to here; a terminator found still needs a parse.
    *scanned = rxbs.len();
    found
}

/// Whether the connection may carry another request after this response.
fn persistent(head: &ResponseHead, framing: Framing) -> bool {
    if framing == Framing::Close {
        return false;
    }
    let close = has_token(&head.headers, &CONNECTION, "close");
    if head.version == Version::HTTP_10 {
        !close && has_token(&head.headers, &CONNECTION, "keep-alive")
    } else {
        !close
    }
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn is_event_stream(headers: &HeaderMap) -> bool {
    content_type(headers).starts_with("text/event-stream")
}

fn is_json(headers: &HeaderMap) -> bool {
    let ctype = content_type(headers);
    let essence = ctype.split(';').next().unwrap_or("").trim();
    essence == "application/json" || essence.ends_with("+json")
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Whether an ended event stream of `request` is resumed: only a GET's
/// (resending another method could repeat its effect).
fn resumes(opts: &ClientOpts, request: &Request) -> bool {
    opts.reconnect_events && request.method == Method::GET
}

fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

/// Removes `.` and `..` segments (RFC 3986 §5.2.4).
fn remove_dots(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." => {
                if i == last {
                    out.push("");
                }
            }
            ".." => {
                if out.len() > 1 {
                    out.pop();
                }
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    }
}

/// The request to send for a redirect, and where to send it.
fn follow(
    req: &Request,
    cur: &Origin,
    status: StatusCode,
    location: &str,
) -> Result<(Request, Origin), String> {
    let loc = split_target(location.trim());
    if let Some(scheme) = loc.scheme
        && !scheme.eq_ignore_ascii_case("http")
    {
        return Err(format!("scheme {scheme:?} is not supported"));
    }
    let origin = match loc.authority {
        Some(authority) => {
            let (host, port) = parse_authority(authority)?;
            let port = port.unwrap_or(80);
            if host.eq_ignore_ascii_case(&cur.host) && port == cur.port {
                cur.clone()
            } else if let Ok(ip) = host.parse::<std::net::IpAddr>() {
                Origin {
                    host,
                    port,
                    addr: SocketAddr::new(ip, port),
                }
            } else {
                lookup(&host, port)?
            }
        }
        None => cur.clone(),
    };
    let base = split_target(&req.path).path;
    let path = if loc.authority.is_some() || loc.path.starts_with('/') {
        loc.path.to_string()
    } else if loc.path.is_empty() {
        base.to_string()
    } else {
        let dir = base.rfind('/').map_or("/", |i| &base[..=i]);
        format!("{dir}{}", loc.path)
    };
    let mut path = remove_dots(&path);
    if let Some(q) = loc.query {
        path.push('?');
        path.push_str(q);
    }
    let mut next = req.clone();
    next.path = path;
    next.qargs.clear();
    if status == StatusCode::SEE_OTHER && next.method != Method::HEAD {
        next.method = Method::GET;
        next.body = Bytes::new();
        next.data = None;
        next.fargs.clear();
        next.headers.remove(CONTENT_LENGTH);
        next.headers.remove(CONTENT_TYPE);
        next.headers.remove(TRANSFER_ENCODING);
    }
    if origin != *cur {
        // Credentials are for the server they were given to.
        for name in [HOST, AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE] {
            next.headers.remove(name);
        }
    }
    Ok((next, origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_forms() {
        assert_eq!(parse_authority("h:80"), Ok(("h".into(), Some(80))));
        assert_eq!(parse_authority("[::1]:5"), Ok(("::1".into(), Some(5))));
        assert_eq!(parse_authority("[::1]"), Ok(("::1".into(), None)));
        // HIO reads this as host ":" and port 1.
        assert_eq!(parse_authority("::1"), Ok(("::1".into(), None)));
        assert_eq!(parse_authority("u:p@h"), Ok(("h".into(), None)));
        assert!(parse_authority("h:99999").is_err());
        assert!(parse_authority("[::1").is_err());
        assert!(parse_authority(":80").is_err());
    }

    #[test]
    fn targets_split() {
        let t = split_target("http://h:1/a/b?x=1#f");
        assert_eq!(
            t,
            Target {
                scheme: Some("http"),
                authority: Some("h:1"),
                path: "/a/b",
                query: Some("x=1")
            }
        );
        let t = split_target("/a?b#c");
        assert_eq!((t.scheme, t.path, t.query), (None, "/a", Some("b")));
        let t = split_target("//h/x");
        assert_eq!((t.authority, t.path), (Some("h"), "/x"));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_path("/a b/c%2Fd"), "/a%20b/c%2Fd");
        assert_eq!(quote_path("/50%"), "/50%25");
        assert_eq!(quote_plus("1 2&=/"), "1+2%26%3D%2F");
        assert_eq!(unquote_plus("a+b%20c%zz%4"), "a b c%zz%4");
    }

    #[test]
    fn dot_segments() {
        assert_eq!(remove_dots("/a/b/../c/./d"), "/a/c/d");
        assert_eq!(remove_dots("/../.."), "/");
        assert_eq!(remove_dots("/a/."), "/a/");
    }
}
