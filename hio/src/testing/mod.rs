//! Helpers for testing code built on hio (feature `test-util`): a
//! [`Watch`] that keeps a doer's `done` visible after its scheduler has
//! dropped it, and [`LoopNet`], an in-memory datagram network for memo
//! tests (with feature `memo`).
//!
//! A Python test keeps the doer object and reads `doer.done` after the run;
//! in Rust a scheduler owns its doers and frees one once it is removed or
//! completes inside a DoDoer, so the test observes it through a [`Watch`]
//! instead:
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use hio::testing::Watch;
//! use hio::{Cx, DoDoer, Doer, Doist, Done, Result};
//!
//! struct Once;
//! impl Doer for Once {
//!     fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
//!         Ok(true)
//!     }
//! }
//!
//! let done = Rc::new(Cell::new(Done::NotRun));
//! let mut doist = Doist::new(1.0).with_limit(3.0);
//! doist.add(DoDoer::new().with(Watch::new(Once, done.clone())));
//! doist.run()?;
//! // `Once` belongs to the DoDoer, out of the test's reach; the cell
//! // has its `done`.
//! assert_eq!(done.get(), Done::Complete);
//! # Ok::<(), hio::Error>(())
//! ```

#[cfg(feature = "memo")]
mod loopnet;

use std::cell::Cell;
use std::rc::Rc;

use crate::doing::{Cx, Dog, Done, IntoDog, Next};
use crate::error::{Error, Result};

#[cfg(feature = "memo")]
pub use loopnet::{LoopNet, LoopPort};

/// Told a watched doer's `done` after every call the scheduler makes on it.
///
/// `Rc<Cell<Done>>` is the plain observer; implement this for a recorder
/// that wants more (a name, a log of every change).
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use hio::Done;
/// use hio::testing::Observer;
///
/// /// Every `done` seen, in order.
/// #[derive(Clone, Default)]
/// struct History(Rc<RefCell<Vec<Done>>>);
///
/// impl Observer for History {
///     fn observe(&self, done: Done) {
///         self.0.borrow_mut().push(done);
///     }
/// }
/// ```
pub trait Observer: 'static {
    /// The doer's `done` right after a call.
    fn observe(&self, done: Done);
}

impl Observer for Rc<Cell<Done>> {
    fn observe(&self, done: Done) {
        self.set(done);
    }
}

/// Any doer, with its `done` reported to an [`Observer`] after every call
/// (start, resume, close, throw, a panic, and the scheduler's `set_done`).
/// It behaves exactly as the doer it wraps. See the [module](self) example.
pub struct Watch<T: IntoDog, O = Rc<Cell<Done>>> {
    dog: T::Dog,
    observer: O,
}

impl<T: IntoDog, O: Observer> Watch<T, O> {
    /// Watches `doer` with `observer`.
    pub fn new(doer: T, observer: O) -> Self {
        Watch {
            dog: doer.into_dog(),
            observer,
        }
    }

    /// The wrapped doer.
    pub fn inner(&self) -> &T {
        T::inner(&self.dog)
    }

    /// The wrapped doer, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        T::inner_mut(&mut self.dog)
    }

    /// The observer.
    pub fn observer(&self) -> &O {
        &self.observer
    }

    fn note<R>(&self, out: R) -> R {
        self.observer.observe(self.dog.done());
        out
    }
}

impl<T: IntoDog, O> std::fmt::Debug for Watch<T, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watch")
            .field("done", &self.dog.done())
            .finish_non_exhaustive()
    }
}

impl<T: IntoDog, O: Observer> Dog for Watch<T, O> {
    fn done(&self) -> Done {
        self.dog.done()
    }
    fn set_done(&mut self, done: Done) {
        self.dog.set_done(done);
        self.note(())
    }
    fn temp(&self) -> bool {
        self.dog.temp()
    }
    fn start(&mut self, cx: &mut Cx<'_>) -> Result<Next> {
        let out = self.dog.start(cx);
        self.note(out)
    }
    fn resume(&mut self, cx: &mut Cx<'_>) -> Result<Next> {
        let out = self.dog.resume(cx);
        self.note(out)
    }
    fn close(&mut self, cx: &mut Cx<'_>) -> Result<Option<Done>> {
        let out = self.dog.close(cx);
        self.note(out)
    }
    fn throw(&mut self, cx: &mut Cx<'_>, err: Error) -> Result<Next> {
        let out = self.dog.throw(cx, err);
        self.note(out)
    }
    fn after_panic(&mut self, cx: &mut Cx<'_>) {
        self.dog.after_panic(cx);
        self.note(())
    }
}

crate::impl_into_dog!(impl[T: IntoDog, O: Observer] Watch<T, O>);
