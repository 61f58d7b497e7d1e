//! What a [`Client`](super::Client) is asked and answers: HIO's request dict
//! ([`Request`]), its response tuple ([`Response`]), and the bytes a
//! request goes out as.

use bytes::Bytes;
use http::header::{
    ACCEPT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HOST, IntoHeaderName, TRANSFER_ENCODING,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version};

use super::url::{
    Origin, host_value, parse_authority, quote_path, quote_plus, split_target, unquote_plus,
};
use super::{ClientError, ClientOpts};
use crate::http::title_case;

/// A request to queue on a [`Client`](super::Client): HIO's request dict.
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
/// body. Each request ends with one `Result<Response>`; see
/// [`Client`](super::Client) for a round trip.
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

/// The request bytes (HIO's `Requester.build`).
pub(super) fn build_request(
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
