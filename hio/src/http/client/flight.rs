//! The request in flight: its phases (head, body, event stream, the wait
//! to resume a stream), the parse of the bytes received, and what a
//! complete response, a redirect, an early close or a stream's end lead
//! to.

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use http::header::{
    AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST, LOCATION,
    PROXY_AUTHORIZATION, TRANSFER_ENCODING,
};
use http::{HeaderMap, Method, StatusCode, Version};

use super::request::{Redirect, Request, Response};
use super::url::{Origin, lookup, parse_authority, remove_dots, split_target};
use super::{Client, ClientError, ClientOpts};
use crate::error::Result;
use crate::http::parse::{
    ChunkedDecoder, Framing, Limits, ParseError, ResponseHead, has_token, parse_response_head,
    read_body,
};
use crate::http::sse::Parser;
use crate::tyming::Tymer;

/// Reading a response body.
pub(super) struct Reading {
    head: ResponseHead,
    framing: Framing,
    persistent: bool,
    body: BytesMut,
    chunked: Option<ChunkedDecoder>,
}

/// Reading an event stream: its bytes go straight to the parser, so
/// none of the stream is kept.
pub(super) struct Streaming {
    head: ResponseHead,
    framing: Framing,
    /// Stream bytes still to come (`Framing::Length`).
    left: u64,
    chunked: Option<ChunkedDecoder>,
    /// Decoded chunk data, reused from read to read.
    decoded: Vec<u8>,
    parser: Parser,
}

pub(super) enum Phase {
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
pub(super) struct Flight {
    pub(super) request: Request,
    pub(super) redirects: Vec<Redirect>,
    pub(super) phase: Phase,
    /// Sent on a connection that had served an earlier request.
    pub(super) reused: bool,
    /// Already resent once after a reused connection closed on it.
    pub(super) retried: bool,
    /// Response bytes have arrived for this attempt.
    pub(super) heard: bool,
    /// The response was an event stream.
    pub(super) streaming: bool,
    pub(super) last_id: Option<String>,
    pub(super) retry_ms: Option<u64>,
    /// Interim responses before the current attempt's final one.
    pub(super) interim: usize,
    /// Received bytes already searched for the end of a head, so a head
    /// arriving in pieces is scanned once, not once per piece.
    pub(super) scanned: usize,
    /// Runs from the first send until the final response (for a stream,
    /// its head); `None` when no deadline runs.
    pub(super) deadline: Option<Tymer>,
}

impl Flight {
    pub(super) fn new(request: Request) -> Self {
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
pub(super) enum Step {
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

impl Client {
    /// Advances the response parse by one state.
    pub(super) fn step(&mut self) -> Step {
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

    /// A response is complete: queue it, or follow its redirect.
    pub(super) fn complete(&mut self) -> Result<()> {
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
    pub(super) fn closed_early(&mut self) -> Result<()> {
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
    pub(super) fn stream_end(&mut self) {
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
