//! The HTTP/1.1 [`Client`]: HIO's request/respond queues over one
//! non-blocking [`tcp::Client`], with keep-alive, redirects, tymeouts and
//! Server-Sent Events; and its [`ClientDoer`].
//!
//! Its [`Request`] and [`Response`] are HIO's request dict and response
//! tuple, not the [`http`] crate's types of the same names (which
//! [`hio::http`](super) re-exports for handlers).

mod flight;
mod request;
mod url;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::rc::Rc;

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::parse::{Limits, ParseError};
use super::sse::Event;
use crate::doing::{Cx, ServiceDoer, Serviced};
use crate::error::{Error, Result};
use crate::rt::Reactor;
use crate::tcp;
use crate::tyming::{Tymer, Tymth};
use flight::{Flight, Phase, Step};
use request::build_request;
pub use request::{Redirect, Request, Response};
use url::{Origin, host_value, lookup, parse_authority};

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
    pub(crate) fn set_reactor(&mut self, reactor: &Reactor) -> Result<()> {
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

    /// Ends the request in flight with an error, and drops the connection
    /// (its state is unknown).
    fn fail(&mut self, err: ClientError) {
        tracing::debug!(error = %err, "http request failed");
        self.flight = None;
        self.drop_conn();
        self.responses.push_back(Err(err.into()));
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
    fn open(&mut self, cx: &Cx<'_>) -> Result<()> {
        self.wind(cx.tymth());
        self.set_reactor(&crate::rt::of(cx))?;
        self.reopen()
    }
    fn receive(&mut self) -> Result<()> {
        Client::service(self)
    }
    fn close(&mut self) -> Result<()> {
        Client::close(self);
        Ok(())
    }
    fn wind(&mut self, tymth: &Tymth) {
        Client::wind(self, tymth);
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
