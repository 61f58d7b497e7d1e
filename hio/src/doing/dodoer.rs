//! [`DoDoer`]: a doer that runs child doers, so tasks nest into a tree.

use super::sched::Sched;
use super::{Cx, DoerId, Dog, Done, Handle, IntoDog, Next, Run, downcast, downcast_mut};
use crate::error::{Error, Result};
use crate::tyming::Tymth;

/// Hooks for a [`DoDoer`] of your own, HIO's DoDoer subclass.
///
/// Each hook's `cx` is the DoDoer's **own** scheduler (its children), so
/// `cx.extend(...)` adds children, as `self.extend(...)` does in a Python
/// subclass. The order is fixed: `enter` runs before the children are
/// entered, `recur` before they run, `cease`/`abort` before they are closed,
/// and `exit` after they are closed.
///
/// ```
/// use hio::{Cx, DoDoer, DoDoerHooks, Doist, Result};
///
/// struct Greeter;
/// impl DoDoerHooks for Greeter {
///     fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
///         println!("entering at {}", cx.tyme());
///         Ok(())
///     }
/// }
///
/// let mut doist = Doist::new(1.0);
/// doist.add(DoDoer::with_hooks(Greeter));
/// doist.run()?; // an empty DoDoer completes on its first recur
/// # Ok::<(), hio::Error>(())
/// ```
pub trait DoDoerHooks: 'static {
    /// Before the children are entered.
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }
    /// Before the children run, each time the DoDoer runs.
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }
    /// When the DoDoer completes (no children left, not `always`).
    fn clean(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }
    /// When the DoDoer is closed, before its children are.
    fn cease(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }
    /// When the DoDoer or a child failed, before the children are closed.
    fn abort(&mut self, cx: &mut Cx<'_>, err: &Error) -> Result<()> {
        let _ = (cx, err);
        Ok(())
    }
    /// Last, after the children are closed.
    fn exit(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }
}

impl DoDoerHooks for () {}

/// A doer that runs child doers, each pass it runs, as a nested scheduler.
///
/// Children see the root's clock. A child that yields `0.0` runs every time
/// the DoDoer runs (its retyme uses the DoDoer's tock). The DoDoer completes
/// when no child is left, unless it is `always`, in which case it runs until
/// closed. Closing it closes its children, last entered first.
///
/// ```
/// use hio::{Cx, DoDoer, Doer, Doist, Result};
/// struct Once;
/// impl Doer for Once {
///     fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> { Ok(true) }
/// }
/// let mut group = DoDoer::new();
/// let a = group.add(Once);
/// let mut doist = Doist::new(1.0);
/// let g = doist.add(group);
/// doist.run()?;
/// assert!(doist.done_of(g).is_complete());
/// assert!(doist.get(g).unwrap().done_of(a).is_complete());
/// # Ok::<(), hio::Error>(())
/// ```
pub struct DoDoer<H = ()> {
    sched: Sched,
    hooks: H,
    always: bool,
    tock: f64,
    temp: bool,
    done: Done,
    run: Run,
    /// `always` as captured when this run started.
    run_always: bool,
}

impl<H> std::fmt::Debug for DoDoer<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DoDoer")
            .field("tock", &self.tock)
            .field("always", &self.always)
            .field("done", &self.done)
            .field("doers", &self.sched.core().doer_ids().len())
            .field("deeds", &self.sched.core().deed_count())
            .finish()
    }
}

impl DoDoer<()> {
    /// An empty DoDoer with no hooks, tock 0, not `always`.
    pub fn new() -> Self {
        DoDoer::with_hooks(())
    }
}

impl Default for DoDoer<()> {
    fn default() -> Self {
        DoDoer::new()
    }
}

impl<H: DoDoerHooks> DoDoer<H> {
    /// An empty DoDoer running `hooks`.
    pub fn with_hooks(hooks: H) -> Self {
        DoDoer {
            sched: Sched::new(Tymth::default()),
            hooks,
            always: false,
            tock: 0.0,
            temp: false,
            done: Done::NotRun,
            run: Run::Idle,
            run_always: false,
        }
    }

    /// Sets the tock (stored as its absolute value, as for any doer).
    pub fn with_tock(mut self, tock: f64) -> Self {
        self.tock = tock.abs();
        self
    }

    /// Sets `always`: keep running when no child is left.
    pub fn with_always(mut self, always: bool) -> Self {
        self.always = always;
        self
    }

    /// Asks for temporary resources for itself and its children.
    pub fn with_temp(mut self, temp: bool) -> Self {
        self.temp = temp;
        self
    }

    /// Adds a child to the list (entered when the DoDoer is).
    pub fn with<T: IntoDog>(mut self, doer: T) -> Self {
        self.add(doer);
        self
    }

    /// Adds a child to the list; it is entered when the DoDoer next enters.
    pub fn add<T: IntoDog>(&mut self, doer: T) -> Handle<T> {
        Handle::new(self.sched.core_mut().add(doer.boxed()))
    }

    /// Enters children now, at the current tyme, and adds them (HIO's
    /// `DoDoer.extend`). They first run the next time the DoDoer runs.
    pub fn extend(&mut self, doers: impl IntoIterator<Item = Box<dyn Dog>>) -> Result<Vec<DoerId>> {
        let tyme = self.sched.core().tymth().tyme();
        Cx::new(self.sched.core_mut(), tyme, false).extend(doers)
    }

    /// Removes children and closes those still running (HIO's
    /// `DoDoer.remove`). Returns the removed children (see [`Cx::remove`]).
    pub fn remove(&mut self, ids: &[DoerId]) -> Result<Vec<Box<dyn Dog>>> {
        let tyme = self.sched.core().tymth().tyme();
        Cx::new(self.sched.core_mut(), tyme, false).remove(ids)
    }

    /// The tock.
    pub fn tock(&self) -> f64 {
        self.tock
    }

    /// Sets the tock; takes effect at its next yield.
    pub fn set_tock(&mut self, tock: f64) {
        self.tock = tock.abs();
    }

    /// Whether it keeps running with no children. A change takes effect at
    /// its next enter.
    pub fn always(&self) -> bool {
        self.always
    }

    /// Sets `always` for the next run.
    pub fn set_always(&mut self, always: bool) {
        self.always = always;
    }

    /// Its own completion state.
    pub fn done(&self) -> Done {
        self.done
    }

    /// A child's completion state, if it is still held.
    pub fn done_of(&self, id: impl Into<DoerId>) -> Done {
        self.sched.core().done_of(id.into()).unwrap_or_default()
    }

    /// A child, by typed handle. `None` while that child's own step runs, or
    /// once it is removed.
    pub fn get<T: IntoDog>(&self, h: Handle<T>) -> Option<&T> {
        downcast::<T>(self.sched.core().dog(h.id())?)
    }

    /// A child, mutably.
    pub fn get_mut<T: IntoDog>(&mut self, h: Handle<T>) -> Option<&mut T> {
        downcast_mut::<T>(self.sched.core_mut().dog_mut(h.id())?)
    }

    /// The hooks.
    pub fn hooks(&self) -> &H {
        &self.hooks
    }

    /// The hooks, mutably.
    pub fn hooks_mut(&mut self) -> &mut H {
        &mut self.hooks
    }

    /// The children list, in order.
    pub fn doers(&self) -> Vec<DoerId> {
        self.sched.core().doer_ids()
    }

    /// Running children in deque order, with their retymes.
    pub fn deeds(&self) -> Vec<(DoerId, f64)> {
        self.sched.core().deeds()
    }

    /// Closes the children (from the right), then runs the `exit` hook.
    fn exit(&mut self, tyme: f64) -> Result<()> {
        let closed = self.sched.core_mut().exit(tyme);
        let exited = self
            .hooks
            .exit(&mut Cx::new(self.sched.core_mut(), tyme, false));
        closed.and(exited)
    }

    /// The abort path: `abort` (not on an interrupt), then `exit`.
    fn fail(&mut self, tyme: f64, err: Error) -> Error {
        self.run = Run::Idle;
        if !err.is_interrupt() {
            let aborted = self
                .hooks
                .abort(&mut Cx::new(self.sched.core_mut(), tyme, false), &err);
            if let Err(e) = aborted {
                tracing::warn!(error = %e, "DoDoer abort hook failed");
            }
        }
        if let Err(e) = self.exit(tyme) {
            tracing::warn!(error = %e, "DoDoer exit failed after an error");
        }
        err
    }
}

impl<H: DoDoerHooks> Dog for DoDoer<H> {
    fn done(&self) -> Done {
        self.done
    }

    fn set_done(&mut self, done: Done) {
        self.done = done;
    }

    fn temp(&self) -> bool {
        self.temp
    }

    fn start(&mut self, cx: &mut Cx<'_>) -> Result<Next> {
        self.run = Run::Active;
        self.run_always = self.always;
        self.sched.core_mut().set_tymth(cx.tymth().clone());
        self.sched.core_mut().set_resources(cx.resources().clone());
        let (tyme, temp) = (cx.tyme(), cx.temp());
        if let Err(e) = self
            .hooks
            .enter(&mut Cx::new(self.sched.core_mut(), tyme, temp))
        {
            return Err(self.fail(tyme, e));
        }
        if let Err(e) = self.sched.core_mut().enter(tyme, temp) {
            return Err(self.fail(tyme, e));
        }
        Ok(Next::Tock(self.tock))
    }

    fn resume(&mut self, cx: &mut Cx<'_>) -> Result<Next> {
        if self.run != Run::Active {
            return Ok(Next::Done(None));
        }
        let tyme = cx.tyme();
        if let Err(e) = self
            .hooks
            .recur(&mut Cx::new(self.sched.core_mut(), tyme, false))
        {
            return Err(self.fail(tyme, e));
        }
        if let Err(e) = self.sched.pass(tyme, self.tock) {
            return Err(self.fail(tyme, e));
        }
        let empty = !self.sched.core().has_deeds();
        self.done = Done::from(empty);
        if !empty || self.run_always {
            return Ok(Next::Tock(self.tock));
        }
        self.run = Run::Idle;
        let cleaned = self
            .hooks
            .clean(&mut Cx::new(self.sched.core_mut(), tyme, false));
        let exited = self.exit(tyme);
        cleaned.and(exited)?;
        Ok(Next::Done(Some(self.done)))
    }

    fn close(&mut self, cx: &mut Cx<'_>) -> Result<Option<Done>> {
        if self.run != Run::Active {
            return Ok(None);
        }
        self.run = Run::Idle;
        let tyme = cx.tyme();
        let ceased = self
            .hooks
            .cease(&mut Cx::new(self.sched.core_mut(), tyme, false));
        let exited = self.exit(tyme);
        ceased.and(exited)?;
        Ok(Some(self.done))
    }

    fn throw(&mut self, cx: &mut Cx<'_>, err: Error) -> Result<Next> {
        if self.run != Run::Active {
            return Err(err);
        }
        Err(self.fail(cx.tyme(), err))
    }

    fn after_panic(&mut self, cx: &mut Cx<'_>) {
        self.run = Run::Idle;
        let tyme = cx.tyme();
        // The panic came from a child if one was mid-step; then this
        // DoDoer's own exit hook is safe to run.
        let from_child = self.sched.was_running();
        if let Err(e) = self.sched.close_after_panic(tyme) {
            tracing::warn!(error = %e, "closing children after a panic failed");
        }
        if from_child
            && let Err(e) = self
                .hooks
                .exit(&mut Cx::new(self.sched.core_mut(), tyme, false))
        {
            tracing::warn!(error = %e, "DoDoer exit hook failed after a panic");
        }
    }
}

crate::impl_into_dog!(impl[H: DoDoerHooks] DoDoer<H>);
