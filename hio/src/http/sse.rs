//! Server-Sent Events: events, a [`Feed`] that one doer pushes to and many
//! streaming responses drain, and the incremental client-side [`Parser`].

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::rc::{Rc, Weak};

use bytes::Bytes;

use super::{BodyStream, Piece};

/// One event.
///
/// ```
/// use hio::http::sse::Event;
/// let e = Event::data("tick 1").id("1").name("tick");
/// assert_eq!(e.to_string(), "id: 1\nevent: tick\ndata: tick 1\n\n");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    /// `id:` (the last one seen persists into later events when parsing).
    pub id: Option<String>,
    /// `event:` (the event name; empty means "message").
    pub name: Option<String>,
    /// `data:` lines, joined with `\n`.
    pub data: String,
    /// `retry:` in milliseconds.
    pub retry: Option<u64>,
}

impl Event {
    /// An event with `data`.
    pub fn data(data: impl Into<String>) -> Self {
        Event {
            data: data.into(),
            ..Event::default()
        }
    }

    /// Sets the id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the event name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the reconnection delay.
    pub fn retry(mut self, ms: u64) -> Self {
        self.retry = Some(ms);
        self
    }
}

impl std::fmt::Display for Event {
    /// The wire form, ending with the blank line. Line breaks in fields
    /// cannot break the framing: data is split into `data:` lines, and
    /// breaks in the id or name are dropped.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let clean = |s: &str| s.replace(['\r', '\n'], "");
        if let Some(retry) = self.retry {
            writeln!(f, "retry: {retry}")?;
        }
        if let Some(id) = &self.id {
            writeln!(f, "id: {}", clean(id))?;
        }
        if let Some(name) = &self.name {
            writeln!(f, "event: {}", clean(name))?;
        }
        for line in self.data.split('\n') {
            writeln!(f, "data: {}", line.strip_suffix('\r').unwrap_or(line))?;
        }
        writeln!(f)
    }
}

#[derive(Default)]
struct Queue {
    events: VecDeque<Bytes>,
    /// Dropped for falling too far behind.
    lagged: bool,
}

#[derive(Default)]
struct FeedInner {
    subscribers: Vec<Weak<RefCell<Queue>>>,
    closed: bool,
}

/// A broadcast of events to every response subscribed to it. One doer
/// sends; each SSE response drains its own queue, one piece per pass, and
/// sends nothing while its queue is empty (HIO's "empty piece = nothing
/// yet").
///
/// ```
/// use hio::http::sse::{Event, Feed};
/// use hio::http::{BodyStream, Piece};
/// let feed = Feed::new(16);
/// let mut a = feed.subscribe();
/// let mut b = feed.subscribe();
/// assert!(matches!(a.next_piece(), Piece::Data(d) if d.is_empty()));
/// feed.send(&Event::data("hello"));
/// assert!(matches!(a.next_piece(), Piece::Data(d) if &d[..] == b"data: hello\n\n"));
/// assert_eq!(format!("{b:?}"), "Stream { queued: 1, lagged: false, prelude: None }");
/// assert!(matches!(b.next_piece(), Piece::Data(d) if &d[..] == b"data: hello\n\n"));
/// assert_eq!(format!("{feed:?}"), "Feed { subscribers: 2, backlog: 16, closed: false }");
/// feed.close();
/// assert!(matches!(a.next_piece(), Piece::End));
/// ```
#[derive(Clone)]
pub struct Feed {
    inner: Rc<RefCell<FeedInner>>,
    backlog: usize,
}

impl Feed {
    /// A feed whose subscribers may fall `backlog` events behind before
    /// they are cut off.
    pub fn new(backlog: usize) -> Self {
        Feed {
            inner: Rc::default(),
            backlog: backlog.max(1),
        }
    }

    /// A stream of this feed's events from now on, to use as a response
    /// [`Body`](super::Body).
    pub fn subscribe(&self) -> Stream {
        let queue = Rc::new(RefCell::new(Queue::default()));
        let mut inner = self.inner.borrow_mut();
        inner.subscribers.retain(|w| w.strong_count() > 0);
        inner.subscribers.push(Rc::downgrade(&queue));
        Stream {
            queue,
            feed: Rc::downgrade(&self.inner),
            prelude: None,
        }
    }

    /// Sends an event to every live subscriber. Returns how many got it.
    pub fn send(&self, event: &Event) -> usize {
        let bytes = Bytes::from(event.to_string());
        self.send_raw(bytes)
    }

    /// Sends pre-formatted bytes (e.g. a comment line `": ping\n\n"`).
    pub fn send_raw(&self, bytes: Bytes) -> usize {
        let mut inner = self.inner.borrow_mut();
        let mut sent = 0;
        inner.subscribers.retain(|w| match w.upgrade() {
            Some(q) => {
                let mut q = q.borrow_mut();
                if q.events.len() >= self.backlog {
                    q.lagged = true;
                    false
                } else {
                    q.events.push_back(bytes.clone());
                    sent += 1;
                    true
                }
            }
            None => false,
        });
        sent
    }

    /// Live subscribers.
    pub fn subscribers(&self) -> usize {
        self.inner
            .borrow()
            .subscribers
            .iter()
            .filter(|w| w.strong_count() > 0)
            .count()
    }

    /// Ends every subscriber's stream once its queue is drained.
    pub fn close(&self) {
        self.inner.borrow_mut().closed = true;
    }
}

// By hand, to show counts rather than the subscribers' queues.
impl std::fmt::Debug for Feed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feed")
            .field("subscribers", &self.subscribers())
            .field("backlog", &self.backlog)
            .field("closed", &self.inner.borrow().closed)
            .finish()
    }
}

/// One subscriber's event stream (a [`BodyStream`]).
pub struct Stream {
    queue: Rc<RefCell<Queue>>,
    feed: Weak<RefCell<FeedInner>>,
    prelude: Option<Bytes>,
}

// By hand, to show the queue's length rather than its events.
impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queue = self.queue.borrow();
        f.debug_struct("Stream")
            .field("queued", &queue.events.len())
            .field("lagged", &queue.lagged)
            .field("prelude", &self.prelude.as_ref().map(Bytes::len))
            .finish()
    }
}

impl Stream {
    /// Sends `bytes` first (e.g. a `retry:` line or a replay of missed
    /// events for a `Last-Event-ID`).
    pub fn with_prelude(mut self, bytes: impl Into<Bytes>) -> Self {
        self.prelude = Some(bytes.into());
        self
    }
}

impl BodyStream for Stream {
    fn next_piece(&mut self) -> Piece {
        if let Some(p) = self.prelude.take() {
            return Piece::Data(p);
        }
        let mut q = self.queue.borrow_mut();
        if let Some(first) = q.events.pop_front() {
            // Everything queued goes out as one piece.
            if q.events.is_empty() {
                return Piece::Data(first);
            }
            let mut all = Vec::with_capacity(first.len() * (q.events.len() + 1));
            all.extend_from_slice(&first);
            for e in q.events.drain(..) {
                all.extend_from_slice(&e);
            }
            return Piece::Data(all.into());
        }
        let closed = self.feed.upgrade().is_none_or(|f| f.borrow().closed);
        if q.lagged || closed {
            Piece::End
        } else {
            Piece::Data(Bytes::new())
        }
    }

    fn endless(&self) -> bool {
        true
    }
}

/// The incremental event-stream parser of an SSE client (HIO's
/// `EventSource`), per the WHATWG rules: lines end at CRLF, LF or CR;
/// `:` starts a comment; `data` lines join with `\n`; `id` persists into
/// later events (and is what to send back as `Last-Event-ID`); `retry`
/// sets the reconnection delay; a blank line dispatches the event if it
/// has data.
///
/// ```
/// use hio::http::sse::Parser;
/// let mut p = Parser::default();
/// let events = p.feed(b"retry: 1000\nid: 1\ndata: a\ndata: b\n\n: ping\n\nevent: x\ndata: c\r\n\r\n");
/// assert_eq!(events.len(), 2);
/// assert_eq!(events[0].data, "a\nb");
/// assert_eq!(events[1].id.as_deref(), Some("1")); // the last id persists
/// assert_eq!(events[1].name.as_deref(), Some("x"));
/// assert_eq!(p.retry(), Some(1000));
/// ```
#[derive(Debug)]
pub struct Parser {
    buf: Vec<u8>,
    last_id: Option<String>,
    retry: Option<u64>,
    name: Option<String>,
    data: Option<String>,
    /// A CR ended the last line; skip a following LF.
    after_cr: bool,
    /// Bound on [`held`](Parser::held).
    max_event: usize,
    overflowed: bool,
}

impl Default for Parser {
    /// A parser without a bound on the pending event.
    fn default() -> Self {
        Parser::with_max_event(usize::MAX)
    }
}

impl Parser {
    /// A parser whose undispatched event may hold at most `max` bytes
    /// (see [`held`](Parser::held)); past that it stops, and
    /// [`overflowed`](Parser::overflowed) says so.
    ///
    /// ```
    /// use hio::http::sse::Parser;
    /// let mut p = Parser::with_max_event(64);
    /// for _ in 0..10 {
    ///     p.feed(b"data: 0123456789\n"); // no blank line ever comes
    /// }
    /// assert!(p.overflowed() && p.held() <= 64);
    /// ```
    pub fn with_max_event(max: usize) -> Self {
        Parser {
            buf: Vec::new(),
            last_id: None,
            retry: None,
            name: None,
            data: None,
            after_cr: false,
            max_event: max,
            overflowed: false,
        }
    }

    /// The last event id seen (send it as `Last-Event-ID` on reconnect).
    pub fn last_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// The reconnection delay the server asked for, in milliseconds.
    pub fn retry(&self) -> Option<u64> {
        self.retry
    }

    /// Bytes held for an unterminated line.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Bytes held for the event not yet dispatched: its `data` and
    /// `event` so far, and the unterminated line.
    pub fn held(&self) -> usize {
        self.event_len() + self.buf.len()
    }

    /// Whether the undispatched event outgrew the limit; the parser then
    /// ignores all further input.
    pub fn overflowed(&self) -> bool {
        self.overflowed
    }

    fn event_len(&self) -> usize {
        self.data.as_ref().map_or(0, String::len) + self.name.as_ref().map_or(0, String::len)
    }

    /// Consumes stream bytes and returns the events they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        if self.overflowed {
            return events;
        }
        // What the event held when the current line began.
        let mut base = self.event_len();
        for &b in bytes {
            if self.after_cr {
                self.after_cr = false;
                if b == b'\n' {
                    continue;
                }
            }
            match b {
                b'\n' | b'\r' => {
                    self.after_cr = b == b'\r';
                    // Reuse the line's allocation for the next line.
                    let mut line = std::mem::take(&mut self.buf);
                    if let Some(e) = self.line(&line) {
                        events.push(e);
                    }
                    line.clear();
                    self.buf = line;
                    base = self.event_len();
                    // Lossy UTF-8 may have grown the data past the line.
                    if base > self.max_event {
                        self.overflow();
                        break;
                    }
                }
                _ if base + self.buf.len() >= self.max_event => {
                    self.overflow();
                    break;
                }
                _ => self.buf.push(b),
            }
        }
        events
    }

    /// Stops for good, dropping what the event held.
    fn overflow(&mut self) {
        self.overflowed = true;
        self.buf = Vec::new();
        self.data = None;
        self.name = None;
    }

    fn line(&mut self, line: &[u8]) -> Option<Event> {
        if line.is_empty() {
            let data = self.data.take();
            let name = self.name.take();
            return data.map(|data| Event {
                id: self.last_id.clone(),
                name,
                data,
                retry: self.retry,
            });
        }
        if line[0] == b':' {
            return None;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.find(':') {
            Some(i) => (
                &text[..i],
                text[i + 1..].strip_prefix(' ').unwrap_or(&text[i + 1..]),
            ),
            None => (&text[..], ""),
        };
        match field {
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            },
            "event" => self.name = Some(value.to_string()),
            "id" if !value.contains('\0') => self.last_id = Some(value.to_string()),
            "retry" => {
                if let Ok(ms) = value.parse() {
                    self.retry = Some(ms);
                }
            }
            _ => {}
        }
        None
    }
}

/// Formats events for a replay prelude.
pub fn render(events: &[Event]) -> String {
    let mut s = String::new();
    for e in events {
        let _ = write!(s, "{e}");
    }
    s
}
