// The HTTP client's fuzz harness, shared by the `http_response` and `sse`
// fuzz targets and by `hio/tests/http/corpus.rs` (which replays the seed
// and found corpora without cargo-fuzz): both `include!` this file, so
// they run the same code and the same checks.
//
// Each input is fed twice: whole, and cut into pieces as a socket might
// deliver it (the cut points come from the input's first bytes). Parsing
// must agree between the two, consume no more than it was given, and
// never panic.

use hio::http::ChunkedDecoder;
use hio::http::parse::{Framing, Limits, parse_response_head};
use hio::http::sse::{Event, Parser};

/// Small limits, so the fuzzer reaches them.
const LIMITS: Limits = Limits {
    max_head: 2048,
    max_headers: 16,
    max_body: 4096,
};

include!("pieces.rs");

/// What parsing a response made of: the final status, framing, body, and
/// whether the body was complete; `Err` when it was malformed.
#[derive(Debug, PartialEq, Eq)]
struct Parsed {
    status: u16,
    framing: Framing,
    body: Vec<u8>,
    complete: bool,
}

/// Parses a response as the client does (interim 1xx heads skipped, then
/// the body by its framing), from `chunks` arriving one after another.
/// `None` when the head never completed.
fn parse_response(chunks: &[&[u8]], head_request: bool) -> Result<Option<Parsed>, String> {
    let mut rxbs: Vec<u8> = Vec::new();
    let mut fed = 0usize;
    let mut head = None;
    let mut body = Vec::new();
    let mut dec = ChunkedDecoder::new(LIMITS);
    let mut complete = false;
    for chunk in chunks {
        rxbs.extend_from_slice(chunk);
        fed += chunk.len();
        loop {
            if head.is_none() {
                match parse_response_head(&rxbs, &LIMITS, head_request)
                    .map_err(|e| e.to_string())?
                {
                    None => {
                        assert!(
                            rxbs.len() <= LIMITS.max_head,
                            "a partial head beyond the limit"
                        );
                        break;
                    }
                    Some((h, n, framing)) => {
                        assert!(n > 0 && n <= rxbs.len());
                        rxbs.drain(..n);
                        let status = h.status.as_u16();
                        assert!((100..1000).contains(&status));
                        if h.status.is_informational() {
                            assert_eq!(framing, Framing::None);
                            if status != 101 {
                                continue;
                            }
                        }
                        if head_request || status == 204 || status == 304 {
                            assert_eq!(framing, Framing::None);
                        }
                        if let Framing::Length(len) = framing
                            && len > LIMITS.max_body as u64
                        {
                            return Err("body too large".into());
                        }
                        head = Some((status, framing));
                    }
                }
            }
            let Some((_, framing)) = head else { break };
            match framing {
                Framing::None => complete = true,
                Framing::Length(len) => {
                    let take = (len as usize - body.len()).min(rxbs.len());
                    body.extend(rxbs.drain(..take));
                    complete = body.len() as u64 == len;
                }
                Framing::Chunked => {
                    let before = body.len();
                    let used = dec.decode(&rxbs, &mut body).map_err(|e| e.to_string())?;
                    assert!(used <= rxbs.len());
                    assert!(body.len() - before <= used, "more body than input");
                    rxbs.drain(..used);
                    complete = dec.is_done();
                }
                Framing::Close => {
                    body.append(&mut rxbs);
                    if body.len() > LIMITS.max_body {
                        return Err("body too large".into());
                    }
                }
            }
            break;
        }
        assert!(body.len() <= fed && rxbs.len() <= fed);
        assert!(body.len() <= LIMITS.max_body);
        if complete {
            break;
        }
    }
    Ok(head.map(|(status, framing)| Parsed {
        status,
        framing,
        body,
        complete: complete || framing == Framing::Close,
    }))
}

#[allow(dead_code)]
/// The `http_response` target: a length that is 3 modulo 7 asks for a
/// HEAD.
pub fn http_response(data: &[u8]) {
    let head_request = data.len() % 7 == 3;
    let whole = parse_response(&[data], head_request);
    let split = parse_response(&pieces(data), head_request);
    match (&whole, &split) {
        (Ok(w), Ok(s)) => assert_eq!(w, s, "pieces parsed differently"),
        // A complete message parses the same however it arrives; an error
        // found in the whole may surface at a piece boundary as an error
        // too, never as a success with other content.
        (Err(_), Err(_)) => {}
        (Ok(Some(w)), Err(e)) | (Err(e), Ok(Some(w))) if w.complete => {
            panic!("one of whole/pieces failed ({e}), the other completed {w:?}")
        }
        _ => {}
    }
}

/// The pending-event bound of the bounded parser run alongside.
const MAX_EVENT: usize = 64;

/// Feeds `chunks` to a fresh parser; returns its events and final state.
fn parse_events(chunks: &[&[u8]]) -> (Vec<Event>, Option<String>, Option<u64>, usize) {
    let mut p = Parser::default();
    let mut bounded = Parser::with_max_event(MAX_EVENT);
    let mut events = Vec::new();
    let mut early = Vec::new();
    let mut fed = 0;
    for chunk in chunks {
        fed += chunk.len();
        events.extend(p.feed(chunk));
        early.extend(bounded.feed(chunk));
        assert!(p.pending() <= fed, "pending {} > fed {fed}", p.pending());
        assert!(bounded.held() <= MAX_EVENT, "held {}", bounded.held());
    }
    // A bounded parser agrees with an unbounded one until it stops.
    assert!(events.starts_with(&early), "{early:?} vs {events:?}");
    assert!(bounded.overflowed() || early == events);
    (
        events,
        p.last_id().map(str::to_string),
        p.retry(),
        p.pending(),
    )
}

#[allow(dead_code)]
/// The `sse` target.
pub fn sse(data: &[u8]) {
    let whole = parse_events(&[data]);
    let split = parse_events(&pieces(data));
    assert_eq!(whole, split, "pieces parsed differently");
    let (events, last_id, _, _) = whole;
    assert!(events.len() <= data.len() / 2 + 1);
    for e in &events {
        assert!(!e.data.contains('\r'));
        assert!(e.name.as_deref().is_none_or(|n| !n.contains(['\r', '\n'])));
        assert!(
            e.id.as_deref()
                .is_none_or(|i| !i.contains(['\r', '\n', '\0']))
        );
        // An event rendered and parsed again is the same event.
        let again = Parser::default().feed(e.to_string().as_bytes());
        assert_eq!(again.len(), 1, "{e:?} rendered as {:?}", e.to_string());
        assert_eq!(&again[0], e);
    }
    if let Some(last) = events.last()
        && last.id.is_some()
    {
        // An id, once seen, is never forgotten.
        assert!(last_id.is_some());
    }
}
