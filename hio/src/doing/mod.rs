//! Doers and their schedulers: [`Doer`], [`DoDoer`], [`Doist`], and coroutine
//! doers made with [`doify`].
//!
//! A scheduler holds its doers in a list and, for each one that is running, a
//! *deed*: the doer's running state plus its *retyme*, the tyme it next runs.
//! The protocol a scheduler drives is [`Dog`] (HIO's word for the generator a
//! doer makes): start (enter), resume (one recur), close (forced stop).
//! You rarely implement `Dog` yourself: implement [`Doer`] for a doer with
//! hooks, or write an `async` block and [`doify`] it.

mod completion;
mod dodoer;
mod doify;
mod doist;
mod id;
mod resources;
mod sched;
mod service;
mod stepper;

use std::any::Any;

pub use completion::Completion;
pub use dodoer::{DoDoer, DoDoerHooks};
pub use doify::{Co, Doify, ForeverRun, YieldTock, doify, forever};
pub use doist::{Doist, Interrupt};
pub(crate) use id::next_sched;
pub use id::{DoerId, Handle};
pub use resources::{PassHook, Resources};
pub use sched::Cx;
pub(crate) use sched::Deeds;
pub use service::{ServiceDoer, Serviced};
pub use stepper::Stepper;

use crate::error::{Error, Result};
use crate::tyming::Tymth;

/// A doer's completion state: HIO's `done`, typed.
///
/// `NotRun` is Python's `None` (never entered), `Incomplete` is `False`
/// (entered, running, or stopped before it completed) and `Complete` is a
/// truthy value. A scheduler sets `Incomplete` just before it enters a doer
/// and writes the doer's completion when it finishes or is closed.
///
/// ```
/// use hio::Done;
/// assert_eq!(Done::default(), Done::NotRun);
/// assert!(Done::Complete.is_complete());
/// assert_eq!(Done::Incomplete.as_bool(), Some(false));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Done {
    /// Never entered (Python `None`).
    #[default]
    NotRun,
    /// Entered but not complete (Python `False`).
    Incomplete,
    /// Complete (Python `True` or any truthy value).
    Complete,
}

impl Done {
    /// True for [`Done::Complete`].
    pub fn is_complete(self) -> bool {
        self == Done::Complete
    }

    /// Python's view: `None`, `Some(false)` or `Some(true)`.
    pub fn as_bool(self) -> Option<bool> {
        match self {
            Done::NotRun => None,
            Done::Incomplete => Some(false),
            Done::Complete => Some(true),
        }
    }
}

impl From<bool> for Done {
    fn from(b: bool) -> Self {
        if b { Done::Complete } else { Done::Incomplete }
    }
}

/// What one step of a [`Dog`] gives back to its scheduler.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// Run me again `tock` after my last retyme; `0.0` means at the next
    /// tick of the scheduler (HIO's yielded `None`/`0`).
    Tock(f64),
    /// Finished. `Some(done)` is written to the doer's `done`; `None`
    /// leaves it as it is.
    Done(Option<Done>),
}

/// The protocol a scheduler drives: HIO's generator ("dog") operations.
///
/// Implemented by [`Doer`]s (through [`IntoDog`]), coroutine doers
/// ([`doify`]) and [`DoDoer`]. Implement it directly only for a doer whose
/// lifecycle is not hook-shaped.
pub trait Dog: Any {
    /// The current completion state.
    fn done(&self) -> Done;
    /// Written by schedulers: `Incomplete` before entering, the completion
    /// value afterwards.
    fn set_done(&mut self, done: Done);
    /// Whether this doer asks for temporary resources.
    fn temp(&self) -> bool {
        false
    }
    /// Enter: make a fresh run and prime it (HIO: create the generator and
    /// `send(None)`). `cx.temp()` is the combined temp. A `Next::Tock` is
    /// ignored by schedulers; `Next::Done` means it completed during enter.
    fn start(&mut self, cx: &mut Cx<'_>) -> Result<Next>;
    /// One recur at `cx.tyme()` (HIO: `send(tyme)`). Resuming a finished
    /// run gives `Next::Done(None)`.
    fn resume(&mut self, cx: &mut Cx<'_>) -> Result<Next>;
    /// Forced stop at the suspension point (HIO: `close()`). Closing a run
    /// that is not active does nothing and gives `None`.
    fn close(&mut self, cx: &mut Cx<'_>) -> Result<Option<Done>>;
    /// Injects an error at the suspension point (HIO: `throw`). The default
    /// closes the run and returns the error.
    fn throw(&mut self, cx: &mut Cx<'_>, err: Error) -> Result<Next> {
        self.close(cx)?;
        Err(err)
    }
    /// Called by the scheduler after a panic unwound through this dog's
    /// step: close whatever it runs. It must not run hooks of its own if the
    /// panic came from them. The default does nothing.
    fn after_panic(&mut self, cx: &mut Cx<'_>) {
        let _ = cx;
    }
}

/// A doer with HIO's six lifecycle hooks.
///
/// Only [`recur`](Doer::recur) is required. It runs once per scheduled step
/// and returns `Ok(true)` when the doer is complete. An `Err` from `enter`
/// or `recur` takes the abort path (`abort`, then `exit`), except
/// [`Error::Interrupted`], which runs only `exit`, like HIO's
/// `KeyboardInterrupt`.
///
/// The orders are `enter, recur…, clean, exit` (completed),
/// `enter, recur…, cease, exit` (closed by its scheduler) and
/// `enter, recur…, abort, exit` (failed).
///
/// `cx` is the scheduler that runs this doer: it gives the tyme and lets the
/// doer [`extend`](Cx::extend) or [`remove`](Cx::remove) doers there, right
/// away, in the middle of a pass.
///
/// ```
/// use hio::{Cx, Doer, Doist, Result};
///
/// struct Count { n: u32 }
///
/// impl Doer for Count {
///     fn tock(&self) -> f64 { 0.5 }
///     fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool> {
///         self.n += 1;
///         println!("recur {} at tyme {}", self.n, cx.tyme());
///         Ok(self.n == 3)
///     }
/// }
///
/// let mut doist = Doist::new(0.25);
/// let count = doist.add(Count { n: 0 });
/// doist.run()?;
/// assert_eq!(doist.tyme(), 1.25); // recurs at 0.0, 0.5, 1.0
/// assert!(doist.done_of(count).is_complete());
/// assert_eq!(doist.get(count).unwrap().n, 3);
/// # Ok::<(), hio::Error>(())
/// ```
pub trait Doer: 'static {
    /// Desired tyme between recurs; `0.0` means every pass. Read after each
    /// recur, so a doer can change its pace. Negative values count as
    /// positive.
    fn tock(&self) -> f64 {
        0.0
    }
    /// Whether this doer asks for temporary resources (test mode).
    fn temp(&self) -> bool {
        false
    }
    /// Checked right after `enter`: a doer already done completes during
    /// enter (`enter, clean, exit`) and never recurs.
    fn is_done(&self) -> bool {
        false
    }
    /// Gives the doer its scheduler's clock, before `enter`.
    fn wind(&mut self, tymth: &Tymth) {
        let _ = tymth;
    }
    /// Once, when the scheduler starts this doer. `cx.temp()` says whether
    /// to use temporary resources.
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }
    /// Each step. `Ok(true)` completes the doer.
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool>;
    /// After `recur` completed the doer.
    fn clean(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }
    /// When the scheduler closes the doer before it completed.
    fn cease(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }
    /// When `enter` or `recur` failed (or an error was thrown in).
    fn abort(&mut self, cx: &mut Cx<'_>, err: &Error) -> Result<()> {
        let _ = (cx, err);
        Ok(())
    }
    /// Always last, on every path.
    fn exit(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let _ = cx;
        Ok(())
    }
}

/// Anything a scheduler can run: a [`Doer`], a [`DoDoer`], a [`Doify`], or
/// a [`Dog`] you wrote.
pub trait IntoDog: Sized + 'static {
    /// The dog it becomes.
    type Dog: Dog;
    /// Converts.
    fn into_dog(self) -> Self::Dog;
    /// The original value inside its dog, for inspection.
    fn inner(dog: &Self::Dog) -> &Self;
    /// The original value inside its dog, mutably.
    fn inner_mut(dog: &mut Self::Dog) -> &mut Self;
    /// Converts and boxes, for [`Cx::extend`] and [`Doist::extend`].
    fn boxed(self) -> Box<dyn Dog> {
        Box::new(self.into_dog())
    }
}

/// Implements [`IntoDog`] for a type that is its own [`Dog`] (one written
/// by hand): it is run as it is, and found again as itself.
///
/// ```
/// use hio::doing::{Dog, Next, Done};
/// use hio::{Cx, Result};
///
/// /// Completes on its first resume.
/// struct Once;
///
/// impl Dog for Once {
///     fn start(&mut self, _cx: &mut Cx<'_>) -> Result<Next> { Ok(Next::Tock(0.0)) }
///     fn resume(&mut self, _cx: &mut Cx<'_>) -> Result<Next> { Ok(Next::Done(Some(Done::Complete))) }
///     fn close(&mut self, _cx: &mut Cx<'_>) -> Result<Option<Done>> { Ok(None) }
///     fn done(&self) -> Done { Done::NotRun }
///     fn set_done(&mut self, _done: Done) {}
/// }
/// hio::impl_into_dog!(impl[] Once);
///
/// let mut doist = hio::Doist::new(1.0).with_limit(5.0);
/// doist.add(Once);
/// doist.run()?;
/// # Ok::<(), hio::Error>(())
/// ```
#[macro_export]
macro_rules! impl_into_dog {
    (impl[$($g:tt)*] $t:ty $(where $($w:tt)*)?) => {
        impl<$($g)*> $crate::doing::IntoDog for $t $(where $($w)*)? {
            type Dog = Self;
            fn into_dog(self) -> Self {
                self
            }
            fn inner(dog: &Self) -> &Self {
                dog
            }
            fn inner_mut(dog: &mut Self) -> &mut Self {
                dog
            }
        }
    };
}

impl<D: Doer> IntoDog for D {
    type Dog = Hooked<D>;
    fn into_dog(self) -> Hooked<D> {
        Hooked::new(self)
    }
    fn inner(dog: &Hooked<D>) -> &D {
        &dog.doer
    }
    fn inner_mut(dog: &mut Hooked<D>) -> &mut D {
        &mut dog.doer
    }
}

/// Where a run of a dog stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Run {
    /// Not started, or finished: resuming gives `Done(None)`.
    #[default]
    Idle,
    /// Started and suspended at a yield.
    Active,
}

/// The [`Dog`] of a [`Doer`]: HIO's `Doer.do` algorithm around the hooks.
///
/// You get one from [`IntoDog::into_dog`]; schedulers make it for you.
#[derive(Debug)]
pub struct Hooked<D> {
    doer: D,
    done: Done,
    run: Run,
}

impl<D: Doer> Hooked<D> {
    /// Wraps a doer.
    pub fn new(doer: D) -> Self {
        Hooked {
            doer,
            done: Done::NotRun,
            run: Run::Idle,
        }
    }

    /// The doer.
    pub fn doer(&self) -> &D {
        &self.doer
    }

    /// The doer, mutably.
    pub fn doer_mut(&mut self) -> &mut D {
        &mut self.doer
    }

    /// The abort path: `abort` (not for an interrupt), then `exit`, and the
    /// first error wins.
    fn fail(&mut self, cx: &mut Cx<'_>, err: Error) -> Error {
        self.run = Run::Idle;
        if !err.is_interrupt()
            && let Err(e) = self.doer.abort(cx, &err)
        {
            tracing::warn!(error = %e, cause = %err, "abort hook failed");
        }
        if let Err(e) = self.doer.exit(cx) {
            tracing::warn!(error = %e, cause = %err, "exit hook failed after an error");
        }
        err
    }

    fn finish(&mut self, cx: &mut Cx<'_>) -> Result<Next> {
        self.run = Run::Idle;
        let cleaned = self.doer.clean(cx);
        let exited = self.doer.exit(cx);
        cleaned.and(exited)?;
        Ok(Next::Done(Some(self.done)))
    }
}

impl<D: Doer> Dog for Hooked<D> {
    fn done(&self) -> Done {
        self.done
    }

    fn set_done(&mut self, done: Done) {
        self.done = done;
    }

    fn temp(&self) -> bool {
        self.doer.temp()
    }

    fn start(&mut self, cx: &mut Cx<'_>) -> Result<Next> {
        self.run = Run::Active;
        self.doer.wind(cx.tymth());
        if let Err(err) = self.doer.enter(cx) {
            return Err(self.fail(cx, err));
        }
        if self.doer.is_done() {
            self.done = Done::Complete;
            return self.finish(cx);
        }
        Ok(Next::Tock(self.doer.tock().abs()))
    }

    #[inline]
    fn resume(&mut self, cx: &mut Cx<'_>) -> Result<Next> {
        if self.run != Run::Active {
            return Ok(Next::Done(None));
        }
        match self.doer.recur(cx) {
            Ok(false) => {
                self.done = Done::Incomplete;
                Ok(Next::Tock(self.doer.tock().abs()))
            }
            Ok(true) => {
                self.done = Done::Complete;
                self.finish(cx)
            }
            Err(err) => Err(self.fail(cx, err)),
        }
    }

    fn close(&mut self, cx: &mut Cx<'_>) -> Result<Option<Done>> {
        if self.run != Run::Active {
            return Ok(None);
        }
        self.run = Run::Idle;
        let ceased = self.doer.cease(cx);
        let exited = self.doer.exit(cx);
        ceased.and(exited)?;
        Ok(Some(self.done))
    }

    fn throw(&mut self, cx: &mut Cx<'_>, err: Error) -> Result<Next> {
        if self.run != Run::Active {
            return Err(err);
        }
        Err(self.fail(cx, err))
    }

    fn after_panic(&mut self, cx: &mut Cx<'_>) {
        let _ = cx;
        self.run = Run::Idle;
    }
}

/// The value a dog of `T` carries, if `dog` is one.
pub(crate) fn downcast<T: IntoDog>(dog: &dyn Dog) -> Option<&T> {
    let any: &dyn Any = dog;
    any.downcast_ref::<T::Dog>().map(T::inner)
}

/// The value a dog of `T` carries, mutably.
pub(crate) fn downcast_mut<T: IntoDog>(dog: &mut dyn Dog) -> Option<&mut T> {
    let any: &mut dyn Any = dog;
    any.downcast_mut::<T::Dog>().map(T::inner_mut)
}
