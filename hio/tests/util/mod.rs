//! Helpers shared by hio's test binaries.
//!
//! This module (hio-core §7 conformance helpers):
//!
//! - [`TryDoer`]: HIO's `ExDoer`/`TryDoer` test doers as one [`Doer`] that
//!   records `(tyme, context, feed, count)` rows (HIO's `State`).
//! - [`ex_do`] and [`try_do`]: the coroutine twins of HIO's `doifyExDo` and
//!   `tryDo` generator functions.
//! - [`Watch`]: wraps any doer and mirrors its `done` into a [`Probe`], so the
//!   value stays visible after a scheduler has dropped the doer (a removed or
//!   self-removed doer is freed in Rust, while Python keeps the object).
//! - [`Journal`]: one event list shared by several doers, for orderings across
//!   doers (close order, pass order).
//!
//! Submodules:
//!
//! - [`io`]: a scratch directory, a port-0 address, descriptor counts;
//! - [`hex`]: hex text to bytes and back;
//! - [`corpus`]: the fuzz corpora, replayed;
//! - [`tools`]: external programs a test needs (curl, python3);
//! - `http` (feature `http`): a server on a free port, raw client sockets,
//!   a bounded exchange of bytes;
//! - `memo` (feature `memo`): the spec's message id and fusing helpers.
#![allow(dead_code)]

pub mod corpus;
pub mod hex;
#[cfg(feature = "http")]
pub mod http;
pub mod io;
#[cfg(feature = "memo")]
pub mod memo;
pub mod tools;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use hio::doing::IntoDog;
use hio::testing::Observer;
use hio::{Co, Cx, DoDoerHooks, Doer, Done, Error, Result, Tymth, doify};

/// HIO's `State.feed`: `None`, a tyme, or a string.
#[derive(Clone, Debug, PartialEq)]
pub enum Feed {
    /// Python `None`.
    Nil,
    /// A tyme (Rust sends `f64` tymes where Python tests send strings).
    Tyme(f64),
    /// A string, e.g. `"Default"` or an error's message.
    Text(String),
}

/// Python's `feed=None`.
pub const NIL: Feed = Feed::Nil;

impl From<f64> for Feed {
    fn from(t: f64) -> Self {
        Feed::Tyme(t)
    }
}

impl From<&str> for Feed {
    fn from(s: &str) -> Self {
        Feed::Text(s.to_owned())
    }
}

/// HIO's `State(tyme, context, feed, count)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub tyme: f64,
    pub context: &'static str,
    pub feed: Feed,
    pub count: u32,
}

/// Builds an expected row: `row(0.25, "exit", NIL, 5)`.
pub fn row(tyme: f64, context: &'static str, feed: impl Into<Feed>, count: u32) -> Row {
    Row {
        tyme,
        context,
        feed: feed.into(),
        count,
    }
}

/// What one test doer has seen: its rows, its last known `done`, and the
/// temp it was entered with.
#[derive(Clone, Default)]
pub struct Probe {
    rows: Rc<RefCell<Vec<Row>>>,
    done: Rc<Cell<Done>>,
    temp: Rc<Cell<Option<bool>>>,
}

impl Probe {
    pub fn new() -> Self {
        Probe::default()
    }

    /// Every row so far.
    pub fn rows(&self) -> Vec<Row> {
        self.rows.borrow().clone()
    }

    /// Rows as `(context, tyme)`: the "recur@0.25" view of the spec.
    pub fn trace(&self) -> Vec<(&'static str, f64)> {
        self.rows
            .borrow()
            .iter()
            .map(|r| (r.context, r.tyme))
            .collect()
    }

    /// The tymes of its recur rows.
    pub fn recur_tymes(&self) -> Vec<f64> {
        self.rows
            .borrow()
            .iter()
            .filter(|r| r.context == "recur")
            .map(|r| r.tyme)
            .collect()
    }

    /// The doer's `done`, as last seen through a [`Watch`].
    pub fn done(&self) -> Done {
        self.done.get()
    }

    /// The temp its last `enter` was given.
    pub fn temp(&self) -> Option<bool> {
        self.temp.get()
    }

    /// Forgets the rows (HIO tests reset `doer.states = []`).
    pub fn clear(&self) {
        self.rows.borrow_mut().clear();
    }

    pub fn push(&self, tyme: f64, context: &'static str, feed: impl Into<Feed>, count: u32) {
        self.rows.borrow_mut().push(row(tyme, context, feed, count));
    }
}

/// One journal entry: `(doer, context, tyme)`.
pub type Event = (&'static str, &'static str, f64);

/// One event log shared by several doers.
#[derive(Clone, Default)]
pub struct Journal(Rc<RefCell<Vec<Event>>>);

impl Journal {
    pub fn new() -> Self {
        Journal::default()
    }

    pub fn note(&self, doer: &'static str, context: &'static str, tyme: f64) {
        self.0.borrow_mut().push((doer, context, tyme));
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<Event> {
        self.0.borrow().clone()
    }

    /// The events whose context is not in `skip`.
    pub fn without(&self, skip: &[&str]) -> Vec<Event> {
        self.0
            .borrow()
            .iter()
            .filter(|e| !skip.contains(&e.1))
            .copied()
            .collect()
    }

    /// The doers that ran `context`, in order.
    pub fn who(&self, context: &str) -> Vec<&'static str> {
        self.0
            .borrow()
            .iter()
            .filter(|e| e.1 == context)
            .map(|e| e.0)
            .collect()
    }

    pub fn clear(&self) {
        self.0.borrow_mut().clear();
    }
}

/// A `stop` that is never reached: the doer runs until closed.
pub const NEVER: u32 = u32::MAX;

/// A recur action: gets the recur number and the scheduler running the doer.
pub type OnRecur = Box<dyn FnMut(u32, &mut Cx<'_>) -> Result<()>>;

/// HIO's `ExDoer` ([`TryDoer::ex`]) and `TryDoer` ([`TryDoer::stop`]).
///
/// Rows: `enter` (count 0), one `recur` per step (count +1), and `cease`,
/// `abort` or `exit` (count +1 each). As in HIO, `clean` writes no row; it
/// shows only in the [`Journal`]. Row tymes are read from the clock the doer
/// was wound to (HIO's `self.tyme`).
pub struct TryDoer {
    tock: f64,
    stop: u32,
    count: u32,
    recurs: u32,
    temp: bool,
    done_in_enter: bool,
    /// ExDoer style: feeds are its own tyme; TryDoer style: `"Default"` at
    /// enter and the sent tyme at recur.
    ex: bool,
    name: &'static str,
    tymth: Option<Tymth>,
    probe: Probe,
    journal: Option<Journal>,
    fail_on: Option<(u32, fn() -> Error)>,
    fail_exit: bool,
    on_recur: Option<OnRecur>,
}

impl TryDoer {
    fn build(stop: u32, ex: bool) -> Self {
        TryDoer {
            tock: 0.0,
            stop,
            count: 0,
            recurs: 0,
            temp: false,
            done_in_enter: false,
            ex,
            name: "",
            tymth: None,
            probe: Probe::new(),
            journal: None,
            fail_on: None,
            fail_exit: false,
            on_recur: None,
        }
    }

    /// HIO's `ExDoer`: completes on its 4th recur; feeds are its own tyme.
    pub fn ex() -> Self {
        TryDoer::build(3, true)
    }

    /// HIO's `TryDoer(stop=k)`: completes on recur number `k + 1`.
    pub fn stop(stop: u32) -> Self {
        TryDoer::build(stop, false)
    }

    pub fn with_tock(mut self, tock: f64) -> Self {
        self.tock = tock;
        self
    }

    pub fn with_temp(mut self, temp: bool) -> Self {
        self.temp = temp;
        self
    }

    /// Also writes every context, `clean` included, to `journal` as `name`.
    pub fn named(mut self, journal: &Journal, name: &'static str) -> Self {
        self.journal = Some(journal.clone());
        self.name = name;
        self
    }

    /// Fails with `err()` on recur number `n`.
    pub fn failing_on(mut self, n: u32, err: fn() -> Error) -> Self {
        self.fail_on = Some((n, err));
        self
    }

    /// Its `exit` writes its row, then fails.
    pub fn failing_in_exit(mut self) -> Self {
        self.fail_exit = true;
        self
    }

    /// Runs `action` on every recur, after its row.
    pub fn on_recur(
        mut self,
        action: impl FnMut(u32, &mut Cx<'_>) -> Result<()> + 'static,
    ) -> Self {
        self.on_recur = Some(Box::new(action));
        self
    }

    /// Completes during enter (HIO: an `enter` that sets `done = True`).
    pub fn done_in_enter(mut self) -> Self {
        self.done_in_enter = true;
        self
    }

    pub fn probe(&self) -> Probe {
        self.probe.clone()
    }

    /// The tyme of the clock it was wound to (HIO's `Tymee.tyme`), `None`
    /// while unwound.
    pub fn tyme(&self) -> Option<f64> {
        self.tymth.as_ref().map(Tymth::tyme)
    }

    /// The clock it was wound to.
    pub fn tymth(&self) -> Option<&Tymth> {
        self.tymth.as_ref()
    }

    /// Wraps it in a [`Watch`] and hands back its [`Probe`].
    pub fn watch(self) -> (Watch<TryDoer>, Probe) {
        let probe = self.probe();
        (Watch::new(self, probe.clone()), probe)
    }

    fn now(&self) -> f64 {
        self.tyme()
            .expect("a TryDoer is wound before its hooks run")
    }

    fn log(&mut self, cx_tyme: f64, context: &'static str, feed: impl Into<Feed>) {
        let tyme = self.now();
        self.probe.push(tyme, context, feed, self.count);
        if let Some(j) = &self.journal {
            j.note(self.name, context, cx_tyme);
        }
    }
}

/// The first argument of a Python exception: the message of a doer error.
pub fn message(err: &Error) -> String {
    match err {
        Error::Doer(e) => e.to_string(),
        other => other.to_string(),
    }
}

impl Doer for TryDoer {
    fn tock(&self) -> f64 {
        self.tock
    }

    fn temp(&self) -> bool {
        self.temp
    }

    fn is_done(&self) -> bool {
        self.done_in_enter
    }

    fn wind(&mut self, tymth: &Tymth) {
        self.tymth = Some(tymth.clone());
    }

    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.count = 0;
        self.recurs = 0;
        self.probe.temp.set(Some(cx.temp()));
        let feed = if self.ex {
            Feed::Tyme(self.now())
        } else {
            Feed::from("Default")
        };
        self.log(cx.tyme(), "enter", feed);
        Ok(())
    }

    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool> {
        self.count += 1;
        self.recurs += 1;
        let feed = if self.ex { self.now() } else { cx.tyme() };
        self.log(cx.tyme(), "recur", feed);
        if let Some((n, err)) = self.fail_on
            && n == self.recurs
        {
            return Err(err());
        }
        if let Some(action) = self.on_recur.as_mut() {
            action(self.recurs, cx)?;
        }
        Ok(self.count > self.stop)
    }

    fn clean(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        if let Some(j) = &self.journal {
            j.note(self.name, "clean", cx.tyme());
        }
        Ok(())
    }

    fn cease(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.count += 1;
        self.log(cx.tyme(), "cease", NIL);
        Ok(())
    }

    fn abort(&mut self, cx: &mut Cx<'_>, err: &Error) -> Result<()> {
        self.count += 1;
        self.log(cx.tyme(), "abort", message(err).as_str());
        Ok(())
    }

    fn exit(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.count += 1;
        self.log(cx.tyme(), "exit", NIL);
        if self.fail_exit {
            return Err(Error::doer("exit failed"));
        }
        Ok(())
    }
}

/// Any doer, with its `done` mirrored into a [`Probe`] after every call.
pub type Watch<T> = hio::testing::Watch<T, Probe>;

impl Observer for Probe {
    fn observe(&self, done: Done) {
        self.done.set(done);
    }
}

/// The body of HIO's `doifyExDo`/`doizeExDo`: rows with the clock's tyme,
/// feed = the tyme at enter, the sent tyme at recur, `None` at
/// cease/exit and the message at abort; yields its tock; completes after its
/// 4th step; returns `true` on completion **and** after a close.
pub async fn ex_do_body(co: Co, probe: Probe) -> Result<bool> {
    let mut count = 0;
    probe.push(co.tyme(), "enter", co.tyme(), count);
    let end = loop {
        match co.yield_tock(co.tock()).await {
            Ok(tyme) => {
                count += 1;
                probe.push(co.tyme(), "recur", tyme, count);
                if count > 3 {
                    break Ok(());
                }
            }
            Err(e) => break Err(e),
        }
    };
    match end {
        Ok(()) => {}
        Err(Error::Closed) => {
            count += 1;
            probe.push(co.tyme(), "cease", NIL, count);
        }
        Err(e) => {
            count += 1;
            probe.push(co.tyme(), "abort", message(&e).as_str(), count);
            count += 1;
            probe.push(co.tyme(), "exit", NIL, count);
            return Err(e);
        }
    }
    count += 1;
    probe.push(co.tyme(), "exit", NIL, count);
    Ok(true)
}

/// The body of HIO's `tryDo`: yields its step count (0, 1, 2, 3) instead of
/// a tock; every row's feed is the last value sent (`"Default"` before the
/// first); completes after its 4th step; returns `true` on completion and
/// after a close.
pub async fn try_do_body(co: Co, probe: Probe) -> Result<bool> {
    let mut count: u32 = 0;
    let mut feed = Feed::from("Default");
    probe.push(co.tyme(), "enter", feed.clone(), count);
    let end = loop {
        match co.yield_tock(f64::from(count)).await {
            Ok(tyme) => {
                feed = Feed::Tyme(tyme);
                count += 1;
                probe.push(co.tyme(), "recur", feed.clone(), count);
                if count > 3 {
                    break Ok(());
                }
            }
            Err(e) => break Err(e),
        }
    };
    match end {
        Ok(()) => {}
        Err(Error::Closed) => {
            count += 1;
            probe.push(co.tyme(), "cease", feed.clone(), count);
        }
        Err(e) => {
            count += 1;
            probe.push(co.tyme(), "abort", feed.clone(), count);
            count += 1;
            probe.push(co.tyme(), "exit", feed, count);
            return Err(e);
        }
    }
    count += 1;
    probe.push(co.tyme(), "exit", feed, count);
    Ok(true)
}

/// A `doify` copy of `doifyExDo` with its own tock and rows.
pub fn ex_do(tock: f64) -> (Watch<impl IntoDog>, Probe) {
    let probe = Probe::new();
    let p = probe.clone();
    let doer = doify(move |co| ex_do_body(co, p.clone())).with_tock(tock);
    (Watch::new(doer, probe.clone()), probe)
}

/// A `doify` copy of `tryDo` with its own rows.
pub fn try_do() -> (Watch<impl IntoDog>, Probe) {
    let probe = Probe::new();
    let p = probe.clone();
    let doer = doify(move |co| try_do_body(co, p.clone()));
    (Watch::new(doer, probe.clone()), probe)
}

/// DoDoer hooks that write every context to a [`Journal`].
pub struct Hooks {
    name: &'static str,
    journal: Journal,
}

impl Hooks {
    pub fn new(journal: &Journal, name: &'static str) -> Self {
        Hooks {
            name,
            journal: journal.clone(),
        }
    }
}

impl DoDoerHooks for Hooks {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.journal.note(self.name, "enter", cx.tyme());
        Ok(())
    }
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.journal.note(self.name, "recur", cx.tyme());
        Ok(())
    }
    fn clean(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.journal.note(self.name, "clean", cx.tyme());
        Ok(())
    }
    fn cease(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.journal.note(self.name, "cease", cx.tyme());
        Ok(())
    }
    fn abort(&mut self, cx: &mut Cx<'_>, _: &Error) -> Result<()> {
        self.journal.note(self.name, "abort", cx.tyme());
        Ok(())
    }
    fn exit(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.journal.note(self.name, "exit", cx.tyme());
        Ok(())
    }
}

/// The retymes of `deeds`, in deque order.
pub fn retymes(deeds: &[(hio::DoerId, f64)]) -> Vec<f64> {
    deeds.iter().map(|d| d.1).collect()
}

/// The doers of `deeds`, in deque order.
pub fn deed_ids(deeds: &[(hio::DoerId, f64)]) -> Vec<hio::DoerId> {
    deeds.iter().map(|d| d.0).collect()
}
