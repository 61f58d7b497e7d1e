//! Time base: simulated tyme ([`Tymist`], [`Tymth`], [`Tymer`]), wall-clock
//! timers ([`Timer`], [`MonoTimer`]) and ISO-8601 helpers.
//!
//! Tyme is `f64` seconds and advances only by repeated addition of a tock, in
//! a fixed order, exactly as in HIO: traces depend on IEEE-754 accumulation
//! (`0.1 + 0.1 + 0.1 != 0.3`).

use std::cell::Cell;
use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::error::{Error, Result};

/// A live, read-only view of one clock's tyme: HIO's `tymth` closure.
///
/// Cloning is cheap (a reference count) and every clone reads the same clock.
/// A `Tymth` from [`Tymist::tymen`] follows that Tymist; [`Tymth::fixed`]
/// makes a clock of its own that stays where it was put, which is what an
/// "unwound" HIO object reads.
///
/// ```
/// use hio::Tymist;
/// let mut tymist = Tymist::new(0.0, 0.25);
/// let tymth = tymist.tymen();
/// tymist.tick();
/// assert_eq!(tymth.tyme(), 0.25);
/// ```
#[derive(Clone, Debug)]
pub struct Tymth(Rc<Cell<f64>>);

impl Tymth {
    /// A clock that nobody advances: it always reads `tyme`.
    pub fn fixed(tyme: f64) -> Self {
        Tymth(Rc::new(Cell::new(tyme)))
    }

    /// The current tyme of the clock this handle views.
    #[inline]
    pub fn tyme(&self) -> f64 {
        self.0.get()
    }

    /// True when both handles view the same clock.
    pub fn same_clock(&self, other: &Tymth) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Default for Tymth {
    fn default() -> Self {
        Tymth::fixed(0.0)
    }
}

/// The owner of a simulated clock: tyme advanced by tock on every tick.
///
/// ```
/// use hio::Tymist;
/// let mut tymist = Tymist::default();
/// assert_eq!((tymist.tyme(), tymist.tock()), (0.0, Tymist::TOCK));
/// tymist.set_tock(1.0);
/// assert_eq!(tymist.tick(), 1.0);
/// assert_eq!(tymist.tick_by(0.75), 1.75);
/// ```
#[derive(Debug)]
pub struct Tymist {
    tyme: Rc<Cell<f64>>,
    tock: f64,
}

impl Default for Tymist {
    fn default() -> Self {
        Tymist::new(0.0, Self::TOCK)
    }
}

impl Tymist {
    /// The default tock: 1/32 s.
    pub const TOCK: f64 = 0.03125;

    /// A clock at `tyme` that advances by `tock` per tick. Unlike a doer's
    /// tock, a Tymist's tock is kept as given: negative runs the clock back.
    pub fn new(tyme: f64, tock: f64) -> Self {
        Tymist {
            tyme: Rc::new(Cell::new(tyme)),
            tock,
        }
    }

    /// The current tyme.
    #[inline]
    pub fn tyme(&self) -> f64 {
        self.tyme.get()
    }

    /// Sets the tyme (any value, even negative).
    pub fn set_tyme(&mut self, tyme: f64) {
        self.tyme.set(tyme);
    }

    /// The tock added by [`tick`](Self::tick).
    #[inline]
    pub fn tock(&self) -> f64 {
        self.tock
    }

    /// Sets the tock.
    pub fn set_tock(&mut self, tock: f64) {
        self.tock = tock;
    }

    /// Adds the tock to tyme and returns the new tyme.
    #[inline]
    pub fn tick(&mut self) -> f64 {
        self.tick_by(self.tock)
    }

    /// Adds `tock` (not the Tymist's own) to tyme and returns the new tyme.
    #[inline]
    pub fn tick_by(&mut self, tock: f64) -> f64 {
        let tyme = self.tyme.get() + tock;
        self.tyme.set(tyme);
        tyme
    }

    /// A new live view of this clock (HIO's `tymen()`).
    pub fn tymen(&self) -> Tymth {
        Tymth(self.tyme.clone())
    }
}

/// A countdown on a simulated clock (a [`Tymth`]).
///
/// `expired` is inclusive: a zero-duration Tymer is expired at once.
///
/// ```
/// use hio::{Tymer, Tymist};
/// let mut tymist = Tymist::new(0.0, 0.25);
/// let mut tymer = Tymer::new(&tymist.tymen(), 1.0);
/// tymist.tick();
/// assert_eq!((tymer.elapsed(), tymer.remaining(), tymer.expired()), (0.25, 0.75, false));
/// for _ in 0..3 { tymist.tick(); }
/// assert!(tymer.expired());
/// tymer.restart(None); // the next period starts where this one ended
/// assert_eq!(tymer.elapsed(), 0.0);
/// ```
#[derive(Clone, Debug)]
pub struct Tymer {
    tymth: Tymth,
    start: f64,
    stop: f64,
}

impl Default for Tymer {
    /// An unwound Tymer: zero duration, started at tyme 0.0 on a fixed clock.
    fn default() -> Self {
        Tymer::with_start(&Tymth::fixed(0.0), Self::DURATION, 0.0)
    }
}

impl Tymer {
    /// The default duration.
    pub const DURATION: f64 = 0.0;

    /// A Tymer of `duration` starting now on `tymth`'s clock.
    pub fn new(tymth: &Tymth, duration: f64) -> Self {
        Tymer::with_start(tymth, duration, tymth.tyme())
    }

    /// A Tymer of `duration` starting at `start` (past or future).
    pub fn with_start(tymth: &Tymth, duration: f64, start: f64) -> Self {
        Tymer {
            tymth: tymth.clone(),
            start,
            stop: start + duration,
        }
    }

    /// The tyme of the clock it reads.
    pub fn tyme(&self) -> f64 {
        self.tymth.tyme()
    }

    /// The clock it reads.
    pub fn tymth(&self) -> &Tymth {
        &self.tymth
    }

    /// Start tyme of the current period.
    pub fn start_tyme(&self) -> f64 {
        self.start
    }

    /// Stop tyme of the current period.
    pub fn stop_tyme(&self) -> f64 {
        self.stop
    }

    /// `stop - start`.
    pub fn duration(&self) -> f64 {
        self.stop - self.start
    }

    /// `tyme - start`.
    pub fn elapsed(&self) -> f64 {
        self.tyme() - self.start
    }

    /// `stop - tyme`.
    pub fn remaining(&self) -> f64 {
        self.stop - self.tyme()
    }

    /// `tyme >= stop`.
    pub fn expired(&self) -> bool {
        self.tyme() >= self.stop
    }

    /// Starts a new period: `duration` `None` keeps the current duration and
    /// `start` `None` means now. Returns the start tyme.
    pub fn start(&mut self, duration: Option<f64>, start: Option<f64>) -> f64 {
        let duration = duration.unwrap_or_else(|| self.duration());
        self.start = start.unwrap_or_else(|| self.tyme());
        self.stop = self.start + duration;
        self.start
    }

    /// Lossless restart: the new period begins where the old one ended, even
    /// if that is in the past.
    pub fn restart(&mut self, duration: Option<f64>) -> f64 {
        let stop = self.stop;
        self.start(duration, Some(stop))
    }

    /// Re-binds to another clock and restarts now on it.
    pub fn wind(&mut self, tymth: &Tymth) {
        self.tymth = tymth.clone();
        self.start(None, None);
    }
}

/// Wall-clock seconds since the Unix epoch (Python's `time.time()`).
pub fn wall_now() -> f64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// A countdown on the wall clock, which can jump.
///
/// ```
/// use hio::tyming::Timer;
/// let timer = Timer::new(60.0);
/// assert!(!timer.expired());
/// assert!(Timer::new(0.0).expired());
/// ```
#[derive(Clone, Debug)]
pub struct Timer {
    start: f64,
    stop: f64,
}

impl Timer {
    /// A timer of `duration` seconds from now.
    pub fn new(duration: f64) -> Self {
        Timer::with_start(duration, wall_now())
    }

    /// A timer of `duration` seconds from `start` (wall seconds, past or future).
    pub fn with_start(duration: f64, start: f64) -> Self {
        Timer {
            start,
            stop: start + duration,
        }
    }

    /// Start of the current period, in wall seconds.
    pub fn start_time(&self) -> f64 {
        self.start
    }

    /// `stop - start`.
    pub fn duration(&self) -> f64 {
        self.stop - self.start
    }

    /// Seconds since start (negative before a future start).
    pub fn elapsed(&self) -> f64 {
        wall_now() - self.start
    }

    /// Seconds until stop.
    pub fn remaining(&self) -> f64 {
        self.stop - wall_now()
    }

    /// True once the clock reaches stop.
    pub fn expired(&self) -> bool {
        wall_now() >= self.stop
    }

    /// New period; `None` keeps the duration / starts now. Returns the start.
    pub fn start(&mut self, duration: Option<f64>, start: Option<f64>) -> f64 {
        let duration = duration.unwrap_or_else(|| self.duration());
        self.start = start.unwrap_or_else(wall_now);
        self.stop = self.start + duration;
        self.start
    }

    /// Lossless restart from the old stop. Returns the new start.
    pub fn restart(&mut self, duration: Option<f64>) -> f64 {
        let stop = self.stop;
        self.start(duration, Some(stop))
    }
}

/// A wall-clock countdown that guards against the clock going backwards.
///
/// Every read compares the clock with the last reading. If it went back, a
/// `retro` timer shifts its whole period back by the same amount (so elapsed
/// time never goes negative), and a non-`retro` one returns
/// [`Error::Retrograde`]. Forward jumps cannot be told apart from time
/// passing. The clock is a plain function, so tests can supply their own.
///
/// ```
/// use hio::tyming::MonoTimer;
/// let mut timer = MonoTimer::new(0.5);
/// assert!(!timer.expired().unwrap());
/// assert!(timer.remaining().unwrap() <= 0.5);
/// ```
#[derive(Clone, Debug)]
pub struct MonoTimer {
    start: f64,
    stop: f64,
    last: f64,
    retro: bool,
    clock: fn() -> f64,
}

impl MonoTimer {
    /// A retro-guarded timer of `duration` seconds from now on the wall clock.
    pub fn new(duration: f64) -> Self {
        MonoTimer::with_clock(duration, None, true, wall_now)
    }

    /// Full constructor: `start` `None` means now; `clock` gives "now" in
    /// seconds.
    pub fn with_clock(duration: f64, start: Option<f64>, retro: bool, clock: fn() -> f64) -> Self {
        let now = clock();
        let start = start.unwrap_or(now);
        MonoTimer {
            start,
            stop: start + duration,
            last: now,
            retro,
            clock,
        }
    }

    /// Whether a backwards jump shifts the timer (true) or is an error.
    pub fn retro(&self) -> bool {
        self.retro
    }

    /// `stop - start`.
    pub fn duration(&self) -> f64 {
        self.stop - self.start
    }

    /// Reads the clock, applying the retrograde guard, and returns the time.
    pub fn latest(&mut self) -> Result<f64> {
        let delta = (self.clock)() - self.last;
        if delta < 0.0 {
            if !self.retro {
                return Err(Error::Retrograde { by: -delta });
            }
            self.start += delta;
            self.stop += delta;
        }
        self.last += delta;
        Ok(self.last)
    }

    /// Seconds since start.
    pub fn elapsed(&mut self) -> Result<f64> {
        Ok(self.latest()? - self.start)
    }

    /// Seconds until stop.
    pub fn remaining(&mut self) -> Result<f64> {
        Ok(self.stop - self.latest()?)
    }

    /// True once the clock reaches stop.
    pub fn expired(&mut self) -> Result<bool> {
        Ok(self.latest()? >= self.stop)
    }

    /// New period; `None` keeps the duration / starts now. Returns the start.
    ///
    /// This also resets the retrograde reference, so a future start is
    /// honoured instead of collapsing to now as it does in Python HIO.
    pub fn start(&mut self, duration: Option<f64>, start: Option<f64>) -> f64 {
        let duration = duration.unwrap_or_else(|| self.duration());
        let now = (self.clock)();
        self.start = start.unwrap_or(now);
        self.stop = self.start + duration;
        self.last = now;
        self.start
    }

    /// Lossless restart from the old stop. Returns the new start.
    pub fn restart(&mut self, duration: Option<f64>) -> f64 {
        let stop = self.stop;
        self.start(duration, Some(stop))
    }
}

/// The current time in UTC (HIO's `nowUTC`).
pub fn now_utc() -> DateTime<Utc> {
    Utc::now()
}

/// The current UTC time as ISO-8601 with exactly six fractional digits and an
/// explicit offset, e.g. `2020-08-22T17:50:09.988921+00:00`.
///
/// ```
/// let s = hio::tyming::now_iso8601();
/// assert_eq!(s.len(), 32);
/// assert!(s.ends_with("+00:00"));
/// ```
pub fn now_iso8601() -> String {
    to_iso8601(&now_utc())
}

/// Formats a date-time as HIO does: six fractional digits, explicit offset.
///
/// ```
/// let dt = hio::tyming::from_iso8601("2021-01-01T00:00:00Z").unwrap();
/// assert_eq!(hio::tyming::to_iso8601(&dt), "2021-01-01T00:00:00.000000+00:00");
/// ```
pub fn to_iso8601<Tz: TimeZone>(dt: &DateTime<Tz>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    dt.format("%Y-%m-%dT%H:%M:%S%.6f%:z").to_string()
}

/// Parses ISO-8601 text (a `str` or UTF-8 bytes) as Python's `fromisoformat`
/// does: `Z` or an offset, with or without a fraction. Text with no offset,
/// or a bare date, is taken as UTC (Python would return a naive datetime).
///
/// ```
/// let dt = hio::tyming::from_iso8601("2020-08-22T20:34:41.687702+00:00").unwrap();
/// let later = dt + chrono::Duration::seconds(25);
/// assert_eq!(hio::tyming::to_iso8601(&later), "2020-08-22T20:35:06.687702+00:00");
/// assert!(hio::tyming::from_iso8601(b"2020-08-22".as_slice()).is_ok());
/// assert!(hio::tyming::from_iso8601("yesterday").is_err());
/// ```
pub fn from_iso8601(dts: impl AsRef<[u8]>) -> Result<DateTime<FixedOffset>> {
    let text = std::str::from_utf8(dts.as_ref())
        .map_err(|e| Error::Invalid(format!("ISO-8601 text is not UTF-8: {e}")))?;
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Ok(dt);
    }
    if let Ok(dt) = DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%:z") {
        return Ok(dt);
    }
    let utc = FixedOffset::east_opt(0).expect("zero offset is valid");
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, fmt) {
            return Ok(utc.from_utc_datetime(&naive));
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let naive = date.and_hms_opt(0, 0, 0).expect("midnight is valid");
        return Ok(utc.from_utc_datetime(&naive));
    }
    Err(Error::Invalid(format!(
        "not an ISO-8601 date-time: {text:?}"
    )))
}

/// Something due at a tyme, for a min-heap (`BinaryHeap<Reverse<_>>`):
/// ordered by tyme (totally, so NaN cannot break the heap), then by key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Deadline<K>(pub(crate) f64, pub(crate) K);

impl<K: Ord> Eq for Deadline<K> {}

impl<K: Ord> PartialOrd for Deadline<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Ord> Ord for Deadline<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0
            .total_cmp(&other.0)
            .then_with(|| self.1.cmp(&other.1))
    }
}

/// A min-heap of [`Deadline`]s.
pub(crate) type Deadlines<K> = std::collections::BinaryHeap<std::cmp::Reverse<Deadline<K>>>;

/// Drops superseded entries (`live` says which keys still count) once the
/// heap holds more than twice the `held` entries it needs, plus slack: a
/// superseded entry leaves only when it comes due, and with tyme standing
/// still it never does. Amortized, since each sweep halves the heap.
pub(crate) fn sweep<K: Ord>(
    heap: &mut Deadlines<K>,
    held: usize,
    mut live: impl FnMut(&K) -> bool,
) {
    if heap.len() > 2 * held + 64 {
        heap.retain(|std::cmp::Reverse(Deadline(_, k))| live(k));
    }
}
