//! [`Doist`]: the root scheduler.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::sched::Sched;
use super::{Cx, DoerId, Dog, Done, Handle, IntoDog, downcast, downcast_mut};
use crate::error::Result;
use crate::tyming::{MonoTimer, Tymer, Tymist, Tymth};

/// A flag that stops a running [`Doist`] as HIO's `KeyboardInterrupt` does:
/// at the end of the current pass every deed is closed and
/// [`Doist::run`] returns `Ok` with `done` incomplete.
///
/// Clone it into another thread or a signal handler and call
/// [`interrupt`](Interrupt::interrupt).
///
/// ```
/// use hio::{Cx, Doer, Doist, Done, Interrupt, Result};
/// struct StopAt3(Interrupt, u32);
/// impl Doer for StopAt3 {
///     fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
///         self.1 += 1;
///         if self.1 == 3 { self.0.interrupt(); }
///         Ok(false)
///     }
/// }
/// let mut doist = Doist::new(1.0);
/// let stop = doist.interrupter();
/// doist.add(StopAt3(stop, 0));
/// assert_eq!(doist.run()?, Done::Incomplete);
/// assert_eq!(doist.tyme(), 3.0);
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// Asks the Doist to stop after the current pass.
    pub fn interrupt(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether an interrupt is pending.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Takes a pending interrupt, clearing it.
    fn take(&self) -> bool {
        self.0.load(Ordering::Relaxed) && self.0.swap(false, Ordering::Relaxed)
    }
}

/// The root scheduler: runs its doers once per pass on simulated tyme.
///
/// Each pass ([`recur`](Doist::recur)) steps every deed that is due, in
/// order, then ticks tyme by `tock`. [`run`](Doist::run) is HIO's `do()`:
/// enter every doer, pass until no deed is left (done) or tyme reaches the
/// limit, then close what is still running, last entered first. With `real`
/// set each pass is paced to the wall clock, catching up without loss after
/// a slow pass.
///
/// [`enter`](Doist::enter), [`recur`](Doist::recur) and
/// [`exit`](Doist::exit) are public so tests can single-step a Doist.
///
/// ```
/// use hio::{Cx, Doer, Doist, Done, Result};
/// struct Tick(u32);
/// impl Doer for Tick {
///     fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> { self.0 += 1; Ok(false) }
/// }
/// let mut doist = Doist::new(0.5);
/// let t = doist.add(Tick(0));
/// doist.enter()?;
/// doist.recur()?;
/// doist.recur()?;
/// assert_eq!(doist.tyme(), 1.0);
/// assert_eq!(doist.get(t).unwrap().0, 2);
/// doist.exit()?;
/// assert_eq!(doist.done_of(t), Done::Incomplete);
/// # Ok::<(), hio::Error>(())
/// ```
pub struct Doist {
    tymist: Tymist,
    sched: Sched,
    name: String,
    real: bool,
    limit: Option<f64>,
    done: Done,
    temp: bool,
    interrupt: Interrupt,
    idle_wait: Option<Duration>,
    #[cfg(feature = "signals")]
    signals: Vec<signal_hook::SigId>,
}

impl std::fmt::Debug for Doist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Doist")
            .field("name", &self.name)
            .field("tyme", &self.tymist.tyme())
            .field("tock", &self.tymist.tock())
            .field("real", &self.real)
            .field("limit", &self.limit)
            .field("done", &self.done)
            .field("deeds", &self.sched.core().deed_count())
            .finish()
    }
}

impl Default for Doist {
    fn default() -> Self {
        Doist::new(Tymist::TOCK)
    }
}

impl Drop for Doist {
    fn drop(&mut self) {
        #[cfg(feature = "signals")]
        for id in self.signals.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

impl Doist {
    /// A Doist at tyme 0.0 ticking by `tock`, not real-time, with no limit.
    pub fn new(tock: f64) -> Self {
        let tymist = Tymist::new(0.0, tock);
        let sched = Sched::new(tymist.tymen());
        Doist {
            tymist,
            sched,
            name: "doist".into(),
            real: false,
            limit: None,
            done: Done::NotRun,
            temp: false,
            interrupt: Interrupt::default(),
            idle_wait: None,
            #[cfg(feature = "signals")]
            signals: Vec::new(),
        }
    }

    /// In a run that is not `real`, when a pass saw no I/O readiness at
    /// all, waits up to `wait` for some before the next pass instead of
    /// spinning. For a Doist of I/O servers with tock 0 this frees the core
    /// while idle; a doer that polls something other than sockets (a
    /// channel, a file) may then run up to `wait` late. Off by default.
    ///
    /// ```
    /// let doist = hio::Doist::new(0.0).with_idle_wait(std::time::Duration::from_millis(10));
    /// assert!(!doist.real());
    /// ```
    pub fn with_idle_wait(mut self, wait: Duration) -> Self {
        self.idle_wait = Some(wait);
        self
    }

    /// Starts at `tyme`.
    pub fn with_tyme(mut self, tyme: f64) -> Self {
        self.tymist.set_tyme(tyme);
        self
    }

    /// Paces passes to the wall clock.
    pub fn with_real(mut self, real: bool) -> Self {
        self.real = real;
        self
    }

    /// Stops a run once tyme has advanced `limit` (stored as its absolute
    /// value; `0.0` means no limit, as in HIO).
    pub fn with_limit(mut self, limit: f64) -> Self {
        self.limit = Some(limit.abs());
        self
    }

    /// Gives every doer temporary resources.
    pub fn with_temp(mut self, temp: bool) -> Self {
        self.temp = temp;
        self
    }

    /// Names the Doist (informational).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Makes SIGINT and SIGTERM interrupt this Doist (see [`Interrupt`]):
    /// a running [`run`](Doist::run) closes every deed, runs the exit hooks
    /// and returns `Ok` with `done` incomplete. The handlers are removed
    /// when the Doist is dropped.
    #[cfg(feature = "signals")]
    pub fn handle_signals(&mut self) -> Result<()> {
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let id = signal_hook::flag::register(sig, self.interrupt.0.clone())?;
            self.signals.push(id);
        }
        Ok(())
    }

    /// A handle that interrupts this Doist from anywhere.
    pub fn interrupter(&self) -> Interrupt {
        self.interrupt.clone()
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current tyme.
    pub fn tyme(&self) -> f64 {
        self.tymist.tyme()
    }

    /// Sets the tyme.
    pub fn set_tyme(&mut self, tyme: f64) {
        self.tymist.set_tyme(tyme);
    }

    /// The tock added after each pass.
    pub fn tock(&self) -> f64 {
        self.tymist.tock()
    }

    /// Sets the tock. Real-time pacing follows it from the next run on.
    pub fn set_tock(&mut self, tock: f64) {
        self.tymist.set_tock(tock);
    }

    /// A live view of this Doist's clock.
    pub fn tymen(&self) -> Tymth {
        self.tymist.tymen()
    }

    /// Whether passes are paced to the wall clock.
    pub fn real(&self) -> bool {
        self.real
    }

    /// Sets real-time pacing.
    pub fn set_real(&mut self, real: bool) {
        self.real = real;
    }

    /// The limit, if any.
    pub fn limit(&self) -> Option<f64> {
        self.limit
    }

    /// Sets the limit (absolute value; `None` or `0.0`: no limit).
    pub fn set_limit(&mut self, limit: Option<f64>) {
        self.limit = limit.map(f64::abs);
    }

    /// Whether doers get temporary resources.
    pub fn temp(&self) -> bool {
        self.temp
    }

    /// `NotRun` before the first run; `Incomplete` from the start of a run
    /// until it ends with no deed left (`Complete`). Manual
    /// `enter`/`recur`/`exit` never change it.
    pub fn done(&self) -> Done {
        self.done
    }

    /// Sets `done` (HIO tests set it by hand).
    pub fn set_done(&mut self, done: Done) {
        self.done = done;
    }

    /// Adds a doer to the list. It is entered by the next
    /// [`enter`](Doist::enter) or [`run`](Doist::run).
    pub fn add<T: IntoDog>(&mut self, doer: T) -> Handle<T> {
        Handle::new(self.sched.core_mut().add(doer.boxed()))
    }

    /// Enters doers now and adds them (HIO's `extend`); they first run on
    /// the next pass. Without the Doist's temp, as in HIO.
    pub fn extend(&mut self, doers: impl IntoIterator<Item = Box<dyn Dog>>) -> Result<Vec<DoerId>> {
        let tyme = self.tyme();
        Cx::new(self.sched.core_mut(), tyme, false).extend(doers)
    }

    /// Removes doers and closes those still running (HIO's `remove`).
    /// Returns the removed doers (see [`Cx::remove`]).
    pub fn remove(&mut self, ids: &[DoerId]) -> Result<Vec<Box<dyn Dog>>> {
        let tyme = self.tyme();
        Cx::new(self.sched.core_mut(), tyme, false).remove(ids)
    }

    /// A doer's completion state (`NotRun` for an id it does not hold).
    pub fn done_of(&self, id: impl Into<DoerId>) -> Done {
        self.sched.core().done_of(id.into()).unwrap_or_default()
    }

    /// A doer, by typed handle.
    pub fn get<T: IntoDog>(&self, h: Handle<T>) -> Option<&T> {
        downcast::<T>(self.sched.core().dog(h.id())?)
    }

    /// A doer, mutably.
    pub fn get_mut<T: IntoDog>(&mut self, h: Handle<T>) -> Option<&mut T> {
        downcast_mut::<T>(self.sched.core_mut().dog_mut(h.id())?)
    }

    /// Whether `id` is in the doer list.
    pub fn contains(&self, id: impl Into<DoerId>) -> bool {
        self.sched.core().contains(id.into())
    }

    /// The doer list, in order.
    pub fn doers(&self) -> Vec<DoerId> {
        self.sched.core().doer_ids()
    }

    /// Running doers in deque order, with their retymes.
    pub fn deeds(&self) -> Vec<(DoerId, f64)> {
        self.sched.core().deeds()
    }

    /// How many doers are running.
    pub fn deed_count(&self) -> usize {
        self.sched.core().deed_count()
    }

    /// HIO's `do()`: one run with the current limit, from the current tyme.
    #[doc(alias = "do")]
    pub fn run(&mut self) -> Result<Done> {
        self.run_with(None, None)
    }

    /// HIO's `do(limit=…, tyme=…)`: a given limit is kept for later runs;
    /// a given tyme is set before entering.
    ///
    /// Returns the Doist's `done`: `Complete` when every doer finished,
    /// `Incomplete` when the limit or an interrupt stopped it. A doer's
    /// error closes every other deed (`cease`, `exit`) and is returned.
    #[doc(alias = "do")]
    pub fn run_with(&mut self, limit: Option<f64>, tyme: Option<f64>) -> Result<Done> {
        self.done = Done::Incomplete;
        if let Some(limit) = limit {
            self.limit = Some(limit.abs());
        }
        if let Some(tyme) = tyme {
            self.tymist.set_tyme(tyme);
        }
        let ran = match self.enter() {
            Ok(()) => self.passes(),
            Err(e) => Err(e),
        };
        let exited = self.exit();
        ran.and(exited).map(|()| self.done)
    }

    /// The pass loop of a run. An interrupt ends it quietly.
    fn passes(&mut self) -> Result<()> {
        let limit = self.limit.filter(|&l| l != 0.0);
        let limiter = Tymer::new(&self.tymist.tymen(), limit.unwrap_or(0.0));
        let mut pacer = MonoTimer::new(self.tymist.tock());
        loop {
            if let Some(wait) = self.idle_wait.filter(|_| !self.real)
                && let Some(hook) = self.sched.core().resources().hook()
            {
                hook.wait(wait)?;
            }
            match self.recur() {
                Ok(()) => {}
                Err(e) if e.is_interrupt() => return Ok(()),
                Err(e) => return Err(e),
            }
            if self.real {
                loop {
                    let remaining = pacer.remaining()?;
                    if remaining <= 0.0 || self.interrupt.is_set() {
                        break;
                    }
                    std::thread::sleep(Duration::from_secs_f64(remaining));
                }
                pacer.restart(None);
            }
            if self.interrupt.take() {
                return Ok(());
            }
            if !self.sched.core().has_deeds() {
                self.done = Done::Complete;
                return Ok(());
            }
            if limit.is_some() && limiter.expired() {
                return Ok(());
            }
        }
    }

    /// Enters every listed doer that is not already running, in list order
    /// (HIO's `enter()`). Each gets the Doist's temp or its own.
    pub fn enter(&mut self) -> Result<()> {
        let tyme = self.tyme();
        let temp = self.temp;
        self.sched.core_mut().enter(tyme, temp)
    }

    /// One pass (HIO's `recur()`): steps every due deed once, in order, then
    /// ticks. An error leaves at once: the failing deed is gone and tyme is
    /// not ticked. A panic in a doer closes every other deed (their `cease`
    /// and `exit` run) and then continues unwinding.
    pub fn recur(&mut self) -> Result<()> {
        let tyme = self.tymist.tyme();
        let tock = self.tymist.tock();
        if let Some(hook) = self.sched.core().resources().hook() {
            hook.new_pass();
        }
        let sched = &mut self.sched;
        match catch_unwind(AssertUnwindSafe(|| sched.pass(tyme, tock))) {
            Ok(Ok(())) => {
                self.tymist.tick();
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            Err(panic) => {
                if let Err(e) = self.sched.close_after_panic(tyme) {
                    tracing::warn!(error = %e, "closing deeds after a panic failed");
                }
                resume_unwind(panic)
            }
        }
    }

    /// Closes every running doer, last in the deque first (HIO's `exit()`).
    /// Every deed is closed even if one close fails; the first error is
    /// returned.
    pub fn exit(&mut self) -> Result<()> {
        let tyme = self.tyme();
        self.sched.core_mut().exit(tyme)
    }
}
