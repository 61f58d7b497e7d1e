//! HTTP/1.1 on the non-blocking TCP layer: a [`Server`] that hands
//! [`Request`]s to a [`Handler`] and writes [`Response`]s back, bodies that
//! stream one piece per pass ([`Body`], [`BodyStream`]), Server-Sent Events
//! ([`sse`]), and a [`Client`] ([`client`]).
//!
//! Parsing uses [`httparse`]; applications see the [`http`] crate's types,
//! as with hyper. They are re-exported here, with [`Bytes`], so a handler
//! needs no dependency but hio:
//!
//! ```
//! use hio::http::{Body, Bytes, HeaderValue, Method, Request, Response, Server, StatusCode, header};
//!
//! fn hello(req: Request<Bytes>) -> Response<Body> {
//!     let mut res = Response::new(Body::from("hello"));
//!     if req.method() != Method::GET {
//!         *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
//!     }
//!     let text = HeaderValue::from_static("text/plain");
//!     res.headers_mut().insert(header::CONTENT_TYPE, text);
//!     res
//! }
//! let _server = Server::new("127.0.0.1:0".parse().unwrap(), hello);
//! ```
//!
//! There is no `tower::Service` adapter: a `tower` service
//! is driven by futures and wakers, while a HIO server is serviced once per
//! pass and a body is pulled one piece per pass; an adapter would need an
//! executor inside the pass and would hide that model. A [`Handler`] is the
//! plain equivalent (`FnMut(Request<Bytes>) -> Response<Body>`), and a
//! streaming [`Body`] covers what async handlers are used for.

pub mod client;
mod files;
pub mod parse;
mod server;
pub mod sse;

use std::fmt;

// The types a handler's signature names, so a handler needs no crate but
// hio (hyper re-exports them the same way).
#[doc(no_inline)]
pub use bytes::Bytes;
#[doc(no_inline)]
pub use http::{
    HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri, Version, header,
};

// The client's own `Request`/`Response` stay in `client`: here those names
// are the `http` crate's.
#[doc(no_inline)]
pub use client::{Client, ClientDoer, ClientError, ClientOpts};
pub use files::StaticFiles;
pub use parse::{ChunkedDecoder, Framing, Limits, ParseError};
pub use server::{Handler, HttpOpts, RemoteAddr, Server, ServerDoer, Upload};

/// A complete response body, or a stream of pieces pulled one per pass.
pub enum Body {
    /// No body.
    Empty,
    /// A body known in full (sent with `Content-Length`).
    Full(Bytes),
    /// A body produced piece by piece (chunked on HTTP/1.1, close-delimited
    /// on HTTP/1.0, unless the response sets `Content-Length`).
    Stream(Box<dyn BodyStream>),
}

impl Body {
    /// A streaming body.
    pub fn stream(stream: impl BodyStream) -> Body {
        Body::Stream(Box::new(stream))
    }

    /// A body of `bytes`.
    pub fn full(bytes: impl Into<Bytes>) -> Body {
        Body::Full(bytes.into())
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => write!(f, "Body::Empty"),
            Body::Full(b) => write!(f, "Body::Full({} bytes)", b.len()),
            Body::Stream(_) => write!(f, "Body::Stream(..)"),
        }
    }
}

impl From<Bytes> for Body {
    fn from(b: Bytes) -> Self {
        Body::Full(b)
    }
}

impl From<Vec<u8>> for Body {
    fn from(b: Vec<u8>) -> Self {
        Body::Full(b.into())
    }
}

impl From<String> for Body {
    fn from(s: String) -> Self {
        Body::Full(s.into())
    }
}

impl From<&'static str> for Body {
    fn from(s: &'static str) -> Self {
        Body::Full(Bytes::from_static(s.as_bytes()))
    }
}

impl From<()> for Body {
    fn from(_: ()) -> Self {
        Body::Empty
    }
}

/// One piece of a streaming body.
#[derive(Debug)]
pub enum Piece {
    /// Bytes to send. Empty means "nothing yet": ask again next pass (HIO's
    /// `yield b''`).
    Data(Bytes),
    /// The body is complete.
    End,
    /// The body failed. Before the head is sent this becomes the error's
    /// response; afterwards the response is cut short.
    Fail(HttpError),
}

/// A body produced one piece per pass, e.g. from state that other doers
/// update. The head is written when the first non-empty piece is ready, so
/// [`head`](BodyStream::head) may still change the status and headers.
///
/// ```
/// use hio::http::{Body, Bytes, Piece};
/// let mut parts = vec!["world", "", "hello "];
/// let body = Body::stream(move || match parts.pop() {
///     Some(p) => Piece::Data(Bytes::from_static(p.as_bytes())),
///     None => Piece::End,
/// });
/// assert!(matches!(body, Body::Stream(_)));
/// ```
pub trait BodyStream: 'static {
    /// The next piece.
    fn next_piece(&mut self) -> Piece;
    /// A late override of the status and headers, asked once, right before
    /// the head is written (HIO's `_status`/`_headers`).
    fn head(&mut self) -> Option<(Option<StatusCode>, HeaderMap)> {
        None
    }
    /// Whether the stream has no natural end (an event feed): a graceful
    /// [`shutdown`](Server::shutdown) ends it at once with its last chunk
    /// rather than waiting for it, as it waits for a download.
    fn endless(&self) -> bool {
        false
    }
}

impl<F: FnMut() -> Piece + 'static> BodyStream for F {
    fn next_piece(&mut self) -> Piece {
        self()
    }
}

/// An error that becomes an HTTP error response: HIO's `HTTPError`.
///
/// ```
/// use hio::http::HttpError;
/// let e = HttpError::new(404).title("Missing").detail("no such thing");
/// assert_eq!(e.render_text(), "404 Not Found\nMissing\nno such thing\n");
/// assert!(e.render_json().contains("\"status\": 404"));
/// ```
#[derive(Clone, Debug)]
pub struct HttpError {
    /// The status.
    pub status: StatusCode,
    /// The reason phrase.
    pub reason: String,
    /// A short title.
    pub title: String,
    /// Details.
    pub detail: String,
    /// Who is at fault, if anyone says (any JSON value, as in HIO).
    pub fault: Option<serde_json::Value>,
    /// Extra headers for the response.
    pub headers: HeaderMap,
}

impl HttpError {
    /// An error with `status` (a status outside 100–999 becomes 500) and
    /// its standard reason.
    pub fn new(status: u16) -> Self {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpError {
            status,
            reason: status.canonical_reason().unwrap_or("Unknown").to_string(),
            title: String::new(),
            detail: String::new(),
            fault: None,
            headers: HeaderMap::new(),
        }
    }

    /// Sets the title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Sets the detail.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// Adds a header to the response.
    ///
    /// ```
    /// use hio::http::{HttpError, header};
    /// let e = HttpError::new(503).header(header::RETRY_AFTER, "1");
    /// assert_eq!(e.response(false).headers()["retry-after"], "1");
    /// ```
    pub fn header(mut self, name: http::HeaderName, value: &'static str) -> Self {
        self.headers
            .append(name, http::HeaderValue::from_static(value));
        self
    }

    /// Sets the fault.
    pub fn fault(mut self, fault: impl Into<serde_json::Value>) -> Self {
        self.fault = Some(fault.into());
        self
    }

    /// HIO's text rendering: `"{status} {reason}\n{title}\n{detail}\n{fault}"`
    /// (a string fault without its quotes).
    pub fn render_text(&self) -> String {
        let fault = match &self.fault {
            None => String::new(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
        };
        format!(
            "{} {}\n{}\n{}\n{}",
            self.status.as_u16(),
            self.reason,
            self.title,
            self.detail,
            fault
        )
    }

    /// HIO's JSON rendering: keys in HIO's order, indented by 2.
    pub fn render_json(&self) -> String {
        let s = |v: &str| serde_json::Value::from(v).to_string();
        let fault = self
            .fault
            .as_ref()
            .map_or("null".to_string(), |v| v.to_string());
        format!(
            "{{\n  \"status\": {},\n  \"reason\": {},\n  \"title\": {},\n  \"detail\": {},\n  \"fault\": {}\n}}",
            self.status.as_u16(),
            s(&self.reason),
            s(&self.title),
            s(&self.detail),
            fault
        )
    }

    /// The error as a response: text, or JSON when `json`.
    pub fn response(&self, json: bool) -> http::Response<Body> {
        let (body, ctype) = if json {
            (self.render_json(), "application/json")
        } else {
            (self.render_text(), "text/plain")
        };
        let mut res = http::Response::new(Body::Full(body.into()));
        *res.status_mut() = self.status;
        *res.headers_mut() = self.headers.clone();
        res.headers_mut()
            .entry(http::header::CONTENT_TYPE)
            .or_insert(http::HeaderValue::from_static(ctype));
        res
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.reason)?;
        if !self.title.is_empty() {
            write!(f, ": {}", self.title)?;
        }
        Ok(())
    }
}

impl std::error::Error for HttpError {}

impl From<HttpError> for http::Response<Body> {
    fn from(e: HttpError) -> Self {
        e.response(false)
    }
}

/// A header name in HIO's Title-Case: `content-TYPE` → `Content-Type`,
/// `x-api-key` → `X-Api-Key`, `ETag` → `Etag`.
///
/// ```
/// assert_eq!(hio::http::title_case("content-TYPE"), "Content-Type");
/// assert_eq!(hio::http::title_case("ETag"), "Etag");
/// ```
pub fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        upper = c == '-';
    }
    out
}

/// The current time as an HTTP date (RFC 9110 IMF-fixdate, HIO's
/// `httpDate1123`): `Wed, 30 Sep 2015 14:29:18 GMT`.
pub fn http_date_now() -> String {
    http_date(chrono::Utc::now())
}

thread_local! {
    /// The formatted date of the current second, so a busy server formats
    /// it once a second rather than once a response.
    static DATE: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
}

/// Appends the current HTTP date to `out`.
pub(crate) fn push_http_date(out: &mut Vec<u8>) {
    let now = chrono::Utc::now();
    DATE.with_borrow_mut(|(secs, text)| {
        if *secs != now.timestamp() {
            *secs = now.timestamp();
            *text = http_date(now);
        }
        out.extend_from_slice(text.as_bytes());
    });
}

/// Formats a time as an HTTP date.
///
/// ```
/// use chrono::TimeZone;
/// let t = chrono::Utc.with_ymd_and_hms(2015, 9, 30, 14, 29, 18).unwrap();
/// assert_eq!(hio::http::http_date(t), "Wed, 30 Sep 2015 14:29:18 GMT");
/// ```
pub fn http_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Parses an HTTP date in any of the three forms RFC 9110 §5.6.7 requires
/// recipients to accept: IMF-fixdate, RFC 850 and asctime. `None` when it
/// is none of them (or names an impossible date).
///
/// An RFC 850 two-digit year that would be more than 50 years in the future
/// is taken as the most recent past year with those digits.
///
/// ```
/// use chrono::TimeZone;
/// use hio::http::parse_http_date;
/// let t = chrono::Utc.with_ymd_and_hms(1994, 11, 6, 8, 49, 37).unwrap();
/// assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(t));
/// assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(t));
/// assert_eq!(parse_http_date("yesterday"), None);
/// ```
pub fn parse_http_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::format::{Parsed, StrftimeItems, parse};
    let s = s.trim();
    let fixed = |fmt| {
        chrono::NaiveDateTime::parse_from_str(s, fmt)
            .ok()
            .map(|t| t.and_utc())
    };
    // IMF-fixdate, then asctime (`%e`: space-padded day).
    if let Some(t) = fixed("%a, %d %b %Y %H:%M:%S GMT").or_else(|| fixed("%a %b %e %H:%M:%S %Y")) {
        return Some(t);
    }
    // RFC 850: chrono would put `%y` in 1970..=2069; RFC 9110 wants a
    // window relative to now, so the century is set here before the
    // date (and its weekday) is checked.
    let mut p = Parsed::new();
    parse(&mut p, s, StrftimeItems::new("%A, %d-%b-%y %H:%M:%S GMT")).ok()?;
    let yy = p.year_mod_100()?;
    let this_year = chrono::Datelike::year(&chrono::Utc::now());
    let mut year = this_year - this_year.rem_euclid(100) + yy;
    if year > this_year + 50 {
        year -= 100;
    }
    p.set_year_div_100(i64::from(year.div_euclid(100))).ok()?;
    p.to_naive_datetime_with_offset(0).ok().map(|t| t.and_utc())
}
