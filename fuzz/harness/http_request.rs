// The server's request-parsing fuzz harness, shared by the `http_request`
// fuzz target and `hio/tests/http/request_corpus.rs` (which replays the
// corpus without cargo-fuzz): both `include!` this file.
//
// An input is a stream of pipelined requests, read as the server reads
// it: whole, and cut into pieces. Both readings must see the same
// requests (a framing decision that depends on how bytes arrive is a
// smuggling hole), and every request accepted must pass a strict
// reference reading of its head: one Host on HTTP/1.1, no
// Transfer-Encoding on HTTP/1.0, chunked at most once and last, and a
// message with both Content-Length and Transfer-Encoding is the last one
// read on its connection.

use hio::http::ChunkedDecoder;
use hio::http::parse::{Framing, Limits, parse_request_head};

include!("pieces.rs");

/// Small limits, so the fuzzer reaches them.
const REQUEST_LIMITS: Limits = Limits {
    max_head: 4096,
    max_headers: 32,
    max_body: 1 << 16,
};

/// What the server made of one request.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// A complete request.
    Request {
        method: String,
        target: String,
        body: Vec<u8>,
        keep_alive: bool,
    },
    /// Refused with this status; nothing after it is read.
    Refused(u16),
}

/// Reads pipelined requests from `chunks` arriving one after another, as
/// the server does: a head, its body by its framing, then the next,
/// until one is refused or does not keep the connection alive.
fn read_requests(chunks: &[&[u8]]) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut rx: Vec<u8> = Vec::new();
    let mut at = 0;
    let mut pending: Option<(String, String, Framing, bool, Vec<u8>, ChunkedDecoder)> = None;
    // The server checks the body limit itself, after parsing the head.
    let unbounded = Limits {
        max_body: usize::MAX,
        ..REQUEST_LIMITS
    };
    for chunk in chunks {
        rx.extend_from_slice(chunk);
        loop {
            if pending.is_none() {
                match parse_request_head(&rx[at..], &unbounded) {
                    Ok(None) => break,
                    Err(e) => {
                        seen.push(Seen::Refused(e.status.as_u16()));
                        return seen;
                    }
                    Ok(Some((head, n))) => {
                        assert!(n > 0 && n <= rx.len() - at);
                        strict_reference(&rx[at..at + n], &head);
                        at += n;
                        if let Framing::Length(len) = head.framing
                            && len > REQUEST_LIMITS.max_body as u64
                        {
                            seen.push(Seen::Refused(413));
                            return seen;
                        }
                        pending = Some((
                            head.method.to_string(),
                            head.uri.to_string(),
                            head.framing,
                            head.keep_alive,
                            Vec::new(),
                            ChunkedDecoder::new(REQUEST_LIMITS),
                        ));
                    }
                }
            }
            let Some((_, _, framing, _, body, dec)) = pending.as_mut() else {
                break;
            };
            let done = match *framing {
                Framing::None => true,
                Framing::Length(len) => {
                    let take = (len as usize - body.len()).min(rx.len() - at);
                    body.extend_from_slice(&rx[at..at + take]);
                    at += take;
                    body.len() as u64 == len
                }
                Framing::Chunked => match dec.decode(&rx[at..], body) {
                    Ok(used) => {
                        assert!(used <= rx.len() - at);
                        at += used;
                        dec.is_done()
                    }
                    Err(e) => {
                        seen.push(Seen::Refused(e.status.as_u16()));
                        return seen;
                    }
                },
                Framing::Close => unreachable!("a request is never close-delimited"),
            };
            if !done {
                break;
            }
            let (method, target, _, keep_alive, body, _) = pending.take().unwrap();
            assert!(body.len() <= REQUEST_LIMITS.max_body);
            seen.push(Seen::Request {
                method,
                target,
                body,
                keep_alive,
            });
            if !keep_alive {
                return seen;
            }
        }
    }
    seen
}

/// Checks an accepted head against an independent reading of its bytes.
fn strict_reference(raw: &[u8], head: &hio::http::parse::RequestHead) {
    let text = String::from_utf8_lossy(raw);
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .skip_while(|l| l.is_empty());
    let request_line = lines.next().unwrap_or("");
    let http10 = request_line.ends_with("HTTP/1.0");
    let fields: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let all = |name: &'static str| fields.iter().filter(move |(n, _)| n == name);
    let hosts = all("host").count();
    let has_te = all("transfer-encoding").next().is_some();
    let has_cl = all("content-length").next().is_some();
    assert_eq!(http10, format!("{:?}", head.version) == "HTTP/1.0");
    if http10 {
        assert!(hosts <= 1, "HTTP/1.0 with {hosts} Host fields accepted");
        assert!(!has_te, "HTTP/1.0 with Transfer-Encoding accepted");
    } else {
        assert_eq!(hosts, 1, "HTTP/1.1 with {hosts} Host fields accepted");
    }
    if has_te {
        let codings: Vec<String> = all("transfer-encoding")
            .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_ascii_lowercase()))
            .filter(|t| !t.is_empty())
            .collect();
        let chunked = codings.iter().filter(|t| *t == "chunked").count();
        assert!(chunked == 1 && codings.last().is_some_and(|t| t == "chunked"));
        assert_eq!(head.framing, Framing::Chunked);
        if has_cl {
            assert!(!head.keep_alive, "both framings, and the connection kept");
        }
    }
}

#[allow(dead_code)]
/// The `http_request` target.
pub fn http_request(data: &[u8]) {
    let whole = read_requests(&[data]);
    let split = read_requests(&pieces(data));
    // A request is framed the same however its bytes arrive.
    assert_eq!(whole, split, "pieces read differently");
}
