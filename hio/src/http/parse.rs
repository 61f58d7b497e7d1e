//! Incremental HTTP/1 parsing over [`httparse`]: request and response
//! heads, body framing, and the chunked decoder.
//!
//! Everything here works on a growing receive buffer and never needs the
//! whole message: incomplete input is `Ok(None)` (HIO yields `None`), and
//! a parser consumes only what it used.

use bytes::BytesMut;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, Version};

/// Limits that protect a server or client from hostile peers.
///
/// ```
/// let limits = hio::http::Limits::default();
/// assert_eq!(limits.max_head, 64 * 1024);
/// assert_eq!(limits.max_headers, 100);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest request or response head (start line and headers), in bytes.
    /// Beyond it: 431 (server) or an error (client). Default 64 KiB.
    pub max_head: usize,
    /// Most header fields. Beyond it: 431. Default 100 (HIO's).
    pub max_headers: usize,
    /// Largest body, in bytes. Beyond it: 413. Default 16 MiB.
    pub max_body: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 64 * 1024,
            max_headers: 100,
            max_body: 16 << 20,
        }
    }
}

/// Why a message could not be parsed, with the status a server answers.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {reason}")]
pub struct ParseError {
    /// The status to answer with (400, 413, 431, 501, 505).
    pub status: StatusCode,
    /// What was wrong.
    pub reason: String,
}

impl ParseError {
    pub(crate) fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        ParseError {
            status,
            reason: reason.into(),
        }
    }

    fn bad(reason: impl Into<String>) -> Self {
        ParseError::new(StatusCode::BAD_REQUEST, reason)
    }
}

impl From<httparse::Error> for ParseError {
    fn from(e: httparse::Error) -> Self {
        match e {
            httparse::Error::TooManyHeaders => ParseError::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "too many header fields",
            ),
            httparse::Error::Version => ParseError::new(
                StatusCode::HTTP_VERSION_NOT_SUPPORTED,
                "unsupported HTTP version",
            ),
            other => ParseError::bad(other.to_string()),
        }
    }
}

/// How a message body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Until the connection closes (responses only).
    Close,
}

/// A parsed request head.
#[derive(Debug)]
pub struct RequestHead {
    /// The method.
    pub method: Method,
    /// The request target.
    pub uri: Uri,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The header fields (repeated fields are all kept, in order).
    pub headers: HeaderMap,
    /// How the body is delimited.
    pub framing: Framing,
    /// Whether the connection stays open after this exchange.
    pub keep_alive: bool,
    /// The client asked for `100 Continue` before sending its body.
    pub expect_continue: bool,
}

/// A parsed response head.
#[derive(Debug)]
pub struct ResponseHead {
    /// The status.
    pub status: StatusCode,
    /// The reason phrase as sent.
    pub reason: String,
    /// HTTP/1.0 or HTTP/1.1.
    pub version: Version,
    /// The header fields.
    pub headers: HeaderMap,
}

fn version_of(minor: Option<u8>) -> Version {
    if minor == Some(0) {
        Version::HTTP_10
    } else {
        Version::HTTP_11
    }
}

/// Copies httparse's headers into a `HeaderMap`, keeping repeats.
fn header_map(raw: &[httparse::Header<'_>]) -> Result<HeaderMap, ParseError> {
    let mut map = HeaderMap::with_capacity(raw.len());
    for h in raw {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| ParseError::bad(format!("bad header name {:?}", h.name)))?;
        let value = HeaderValue::from_bytes(h.value)
            .map_err(|_| ParseError::bad(format!("bad value for header {name}")))?;
        map.append(name, value);
    }
    Ok(map)
}

/// Whether a header's comma-separated tokens include `token`
/// (case-insensitively).
pub(crate) fn has_token(headers: &HeaderMap, name: &HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.to_str()
            .map(|s| s.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
            .unwrap_or(false)
    })
}

/// Body framing from the headers (RFC 9112 §6.3), for a request or, with
/// `response`, a response whose length may run to the close.
fn framing(headers: &HeaderMap, response: bool) -> Result<Framing, ParseError> {
    let te = headers.get_all(http::header::TRANSFER_ENCODING);
    if te.iter().next().is_some() {
        // The last coding must be chunked; anything else has no knowable end.
        let codings = || {
            te.iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|t| !t.is_empty())
        };
        let last = codings().next_back().unwrap_or("");
        let chunked = codings()
            .filter(|t| t.eq_ignore_ascii_case("chunked"))
            .count();
        if !response && chunked > 1 {
            // RFC 9112 §6.1: chunked at most once; a proxy may read the
            // framing otherwise (request smuggling).
            return Err(ParseError::bad("chunked applied more than once"));
        }
        if last.eq_ignore_ascii_case("chunked") {
            return Ok(Framing::Chunked);
        }
        if response {
            return Ok(Framing::Close);
        }
        return Err(ParseError::new(
            StatusCode::NOT_IMPLEMENTED,
            format!("unsupported transfer coding {last:?}"),
        ));
    }
    let mut lengths = headers.get_all(http::header::CONTENT_LENGTH).iter();
    match lengths.next() {
        None => Ok(if response {
            Framing::Close
        } else {
            Framing::None
        }),
        Some(first) => {
            let n = parse_length(first)?;
            // Repeats must agree (RFC 9112 §6.3 item 5).
            for other in lengths {
                if parse_length(other)? != n {
                    return Err(ParseError::bad("conflicting Content-Length values"));
                }
            }
            Ok(if n == 0 && !response {
                Framing::None
            } else {
                Framing::Length(n)
            })
        }
    }
}

fn parse_length(v: &HeaderValue) -> Result<u64, ParseError> {
    let s = v
        .to_str()
        .map_err(|_| ParseError::bad("invalid Content-Length"))?
        .trim();
    // Also accept "5, 5" (a folded repeat), as long as the values agree.
    let mut parts = s.split(',').map(str::trim);
    let first = parts.next().unwrap_or("");
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::bad(format!("invalid Content-Length {s:?}")));
    }
    let n: u64 = first
        .parse()
        .map_err(|_| ParseError::bad(format!("invalid Content-Length {s:?}")))?;
    if parts.any(|p| p != first) {
        return Err(ParseError::bad("conflicting Content-Length values"));
    }
    Ok(n)
}

/// Most CR and LF bytes tolerated before a request line (four empty lines).
const MAX_LEADING_EMPTY: usize = 8;

/// RFC 9112 §3.2: an HTTP/1.1 request has exactly one `Host`, and no
/// request has two; the value is a host and optional port (or empty).
fn check_host(headers: &HeaderMap, version: Version) -> Result<(), ParseError> {
    let mut hosts = headers.get_all(http::header::HOST).iter();
    let Some(host) = hosts.next() else {
        return if version == Version::HTTP_10 {
            Ok(())
        } else {
            Err(ParseError::bad("missing Host header"))
        };
    };
    if hosts.next().is_some() {
        return Err(ParseError::bad("more than one Host header"));
    }
    if valid_host(host.as_bytes()) {
        Ok(())
    } else {
        Err(ParseError::bad("invalid Host header"))
    }
}

/// `uri-host [ ":" port ]` (RFC 3986 §3.2.2), or empty: a reg-name of
/// unreserved, sub-delims and %-escapes, or an IP literal in brackets; no
/// userinfo. Checked in place (this runs once per request).
fn valid_host(v: &[u8]) -> bool {
    let (host, port) = match v.iter().rposition(|&b| b == b':') {
        Some(i) if !v[i..].contains(&b']') => (&v[..i], Some(&v[i + 1..])),
        _ => (v, None),
    };
    let port_ok = port.is_none_or(|p| p.len() <= 5 && p.iter().all(u8::is_ascii_digit));
    let host_ok = match host {
        [] => port.is_none(),
        [b'[', inner @ .., b']'] => {
            !inner.is_empty()
                && inner
                    .iter()
                    .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }
        _ => host
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%".contains(&b)),
    };
    port_ok && host_ok
}

/// Parses a request head from the front of `buf`. `Ok(None)`: more bytes
/// needed. `Ok(Some((head, n)))`: the head used the first `n` bytes.
pub fn parse_request_head(
    buf: &[u8],
    limits: &Limits,
) -> Result<Option<(RequestHead, usize)>, ParseError> {
    // Tolerate a few empty lines before a request (RFC 9112 §2.2), not an
    // endless stream of them.
    let skip = buf
        .iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count();
    if skip > MAX_LEADING_EMPTY {
        return Err(ParseError::bad("too many empty lines before the request"));
    }
    let buf = &buf[skip..];
    // Room for the allowed headers; on the stack for the usual limits.
    let mut stack = [httparse::EMPTY_HEADER; 128];
    let mut heap = Vec::new();
    let raw: &mut [httparse::Header<'_>] = if limits.max_headers <= stack.len() {
        &mut stack[..limits.max_headers]
    } else {
        heap.resize(limits.max_headers, httparse::EMPTY_HEADER);
        &mut heap
    };
    let mut req = httparse::Request::new(raw);
    let n = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            if buf.len() > limits.max_head {
                return Err(ParseError::new(
                    StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                    "request head too large",
                ));
            }
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    if n > limits.max_head {
        return Err(ParseError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "request head too large",
        ));
    }
    let method = Method::from_bytes(req.method.unwrap_or("").as_bytes())
        .map_err(|_| ParseError::bad("bad method"))?;
    // A fragment has no place in a request target; drop it as HIO does.
    let target = req.path.unwrap_or("");
    let target = target.split_once('#').map_or(target, |(t, _)| t);
    let uri: Uri = target
        .parse()
        .map_err(|_| ParseError::bad("bad request target"))?;
    let version = version_of(req.version);
    let headers = header_map(req.headers)?;
    check_host(&headers, version)?;
    let has_te = headers.contains_key(http::header::TRANSFER_ENCODING);
    if has_te && version == Version::HTTP_10 {
        // RFC 9112 §6.1: faulty framing; the connection closes after the 400.
        return Err(ParseError::bad("Transfer-Encoding in an HTTP/1.0 request"));
    }
    let framing = framing(&headers, false)?;
    if let Framing::Length(len) = framing
        && len > limits.max_body as u64
    {
        return Err(ParseError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body too large",
        ));
    }
    // Both framings: chunked wins, and the connection closes after the
    // response (RFC 9112 §6.1), since a proxy may have read the other.
    let ambiguous = has_te && headers.contains_key(http::header::CONTENT_LENGTH);
    let close = ambiguous || has_token(&headers, &http::header::CONNECTION, "close");
    let keep_alive = match version {
        Version::HTTP_10 => has_token(&headers, &http::header::CONNECTION, "keep-alive") && !close,
        _ => !close,
    };
    let expect_continue = version == Version::HTTP_11
        && headers
            .get(http::header::EXPECT)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    Ok(Some((
        RequestHead {
            method,
            uri,
            version,
            headers,
            framing,
            keep_alive,
            expect_continue,
        },
        skip + n,
    )))
}

/// Parses a response head from the front of `buf`, as [`parse_request_head`].
/// Returns the head, its length, and the response's body framing (which
/// also depends on the request method: pass `head_request` for HEAD).
pub fn parse_response_head(
    buf: &[u8],
    limits: &Limits,
    head_request: bool,
) -> Result<Option<(ResponseHead, usize, Framing)>, ParseError> {
    let mut raw = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut res = httparse::Response::new(&mut raw);
    let n = match res.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            if buf.len() > limits.max_head {
                return Err(ParseError::bad("response head too large"));
            }
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    if n > limits.max_head {
        // As for a partial head: the result must not depend on how the
        // bytes arrived.
        return Err(ParseError::bad("response head too large"));
    }
    let status = StatusCode::from_u16(res.code.unwrap_or(0))
        .map_err(|_| ParseError::bad("bad status code"))?;
    let headers = header_map(res.headers)?;
    let framing = if head_request
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        Framing::None
    } else {
        framing(&headers, true)?
    };
    Ok(Some((
        ResponseHead {
            status,
            reason: res.reason.unwrap_or("").to_string(),
            version: version_of(res.version),
            headers,
        },
        n,
        framing,
    )))
}

/// Longest chunk-size line (size and extensions), in bytes.
const MAX_CHUNK_LINE: usize = 1024;

/// Where the chunked decoder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Chunk {
    /// At a chunk-size line.
    Size,
    /// Inside a chunk's data, this many bytes left.
    Data(u64),
    /// After a chunk's data: its CRLF.
    DataEnd,
    /// In the trailer section, after the last chunk.
    Trailer,
    /// Done.
    Done,
}

/// A chunk-size line (size and extensions), strictly: it ends at the
/// first LF, which must follow a CR, with no other CR or LF in it (httparse
/// alone lets an LF through inside an extension).
fn chunk_size(rest: &[u8]) -> Result<httparse::Status<(usize, u64)>, httparse::InvalidChunkSize> {
    let Some(lf) = rest.iter().position(|&b| b == b'\n') else {
        return match rest.iter().position(|&b| b == b'\r') {
            Some(cr) if cr + 1 < rest.len() => Err(httparse::InvalidChunkSize),
            _ => httparse::parse_chunk_size(rest).map(|_| httparse::Status::Partial),
        };
    };
    let line = &rest[..=lf];
    if lf == 0 || line[..lf - 1].contains(&b'\r') || line[lf - 1] != b'\r' {
        return Err(httparse::InvalidChunkSize);
    }
    match httparse::parse_chunk_size(line)? {
        httparse::Status::Complete((n, size)) if n == line.len() => {
            Ok(httparse::Status::Complete((n, size)))
        }
        _ => Err(httparse::InvalidChunkSize),
    }
}

/// Incremental decoder of a chunked body (RFC 9112 §7.1). Chunk extensions
/// are accepted and ignored (Python HIO crashes on them); trailer fields
/// are collected.
///
/// ```
/// use hio::http::{ChunkedDecoder, Limits};
/// let mut dec = ChunkedDecoder::new(Limits::default());
/// let mut body = Vec::new();
/// let mut input = b"5;ext=1\r\nHello\r\n0\r\nX-Sum: 5\r\n\r\n".to_vec();
/// let used = dec.decode(&input, &mut body)?;
/// assert_eq!(used, input.len());
/// assert!(dec.is_done());
/// assert_eq!(body, b"Hello");
/// assert_eq!(dec.trailers()["x-sum"], "5");
/// # Ok::<(), hio::http::ParseError>(())
/// ```
#[derive(Debug)]
pub struct ChunkedDecoder {
    state: Chunk,
    limits: Limits,
    total: u64,
    trailers: HeaderMap,
    trailer_bytes: usize,
}

impl ChunkedDecoder {
    /// A decoder bounded by `limits` (body size, trailer size).
    pub fn new(limits: Limits) -> Self {
        ChunkedDecoder {
            state: Chunk::Size,
            limits,
            total: 0,
            trailers: HeaderMap::new(),
            trailer_bytes: 0,
        }
    }

    /// Whether the terminating chunk and trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == Chunk::Done
    }

    /// Trailer fields, once done.
    pub fn trailers(&self) -> &HeaderMap {
        &self.trailers
    }

    /// Decodes as much of `input` as possible, appending body bytes to
    /// `out`. Returns how many input bytes were used; call again with the
    /// rest plus new input.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, ParseError> {
        let mut used = 0;
        loop {
            let rest = &input[used..];
            match self.state {
                Chunk::Done => return Ok(used),
                Chunk::Size => match chunk_size(rest) {
                    Ok(httparse::Status::Complete((n, size))) => {
                        if n > MAX_CHUNK_LINE {
                            // Refused when partial too: the result must not
                            // depend on how the bytes arrived.
                            return Err(ParseError::bad("chunk size line too long"));
                        }
                        used += n;
                        if size == 0 {
                            self.state = Chunk::Trailer;
                        } else {
                            self.total = self.total.saturating_add(size);
                            if self.total > self.limits.max_body as u64 {
                                return Err(ParseError::new(
                                    StatusCode::PAYLOAD_TOO_LARGE,
                                    "chunked body too large",
                                ));
                            }
                            self.state = Chunk::Data(size);
                        }
                    }
                    Ok(httparse::Status::Partial) => {
                        if rest.len() > MAX_CHUNK_LINE {
                            return Err(ParseError::bad("chunk size line too long"));
                        }
                        return Ok(used);
                    }
                    Err(_) => return Err(ParseError::bad("invalid chunk size")),
                },
                Chunk::Data(left) => {
                    if rest.is_empty() {
                        return Ok(used);
                    }
                    let take = (left.min(rest.len() as u64)) as usize;
                    out.extend_from_slice(&rest[..take]);
                    used += take;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        Chunk::DataEnd
                    } else {
                        Chunk::Data(left)
                    };
                }
                Chunk::DataEnd => {
                    // CRLF only: a bare LF is read differently by
                    // different parsers (request smuggling).
                    if rest.starts_with(b"\r\n") {
                        used += 2;
                    } else if rest.is_empty() || rest == b"\r" {
                        return Ok(used);
                    } else {
                        return Err(ParseError::bad("chunk data not followed by CRLF"));
                    }
                    self.state = Chunk::Size;
                }
                Chunk::Trailer => {
                    let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                        if self.trailer_bytes + rest.len() > self.limits.max_head {
                            return Err(ParseError::new(
                                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                                "trailer section too large",
                            ));
                        }
                        return Ok(used);
                    };
                    let Some(line) = rest[..end].strip_suffix(b"\r") else {
                        return Err(ParseError::bad("trailer line not ended by CRLF"));
                    };
                    used += end + 1;
                    self.trailer_bytes += end + 1;
                    if self.trailer_bytes > self.limits.max_head {
                        return Err(ParseError::new(
                            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                            "trailer section too large",
                        ));
                    }
                    if line.is_empty() {
                        self.state = Chunk::Done;
                        continue;
                    }
                    self.trailer(line)?;
                }
            }
        }
    }

    fn trailer(&mut self, line: &[u8]) -> Result<(), ParseError> {
        let colon = line
            .iter()
            .position(|&b| b == b':')
            .ok_or_else(|| ParseError::bad("trailer field without a colon"))?;
        if self.trailers.len() >= self.limits.max_headers {
            return Err(ParseError::new(
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "too many trailer fields",
            ));
        }
        let name = HeaderName::from_bytes(line[..colon].trim_ascii())
            .map_err(|_| ParseError::bad("bad trailer name"))?;
        let value = HeaderValue::from_bytes(line[colon + 1..].trim_ascii())
            .map_err(|_| ParseError::bad("bad trailer value"))?;
        self.trailers.append(name, value);
        Ok(())
    }
}

/// Reads a body framed by `framing` from the front of `input` into `body`.
/// Returns how many input bytes it used (the caller consumes them) and
/// whether the body is complete. Taking an offset instead of draining a
/// `Vec` keeps pipelined input linear.
pub(crate) fn read_body(
    framing: Framing,
    input: &[u8],
    body: &mut BytesMut,
    chunked: &mut Option<ChunkedDecoder>,
    limits: &Limits,
) -> Result<(usize, bool), ParseError> {
    match framing {
        Framing::None => Ok((0, true)),
        Framing::Length(len) => {
            let want = (len as usize).saturating_sub(body.len());
            let take = want.min(input.len());
            body.extend_from_slice(&input[..take]);
            Ok((take, body.len() as u64 >= len))
        }
        Framing::Chunked => {
            let dec = chunked.get_or_insert_with(|| ChunkedDecoder::new(*limits));
            let mut out = Vec::new();
            let used = dec.decode(input, &mut out)?;
            body.extend_from_slice(&out);
            Ok((used, dec.is_done()))
        }
        Framing::Close => {
            if body.len() + input.len() > limits.max_body {
                return Err(ParseError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body too large",
                ));
            }
            body.extend_from_slice(input);
            Ok((input.len(), false))
        }
    }
}
