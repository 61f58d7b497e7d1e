//! [`DoerId`] and [`Handle`]: names of doers in one scheduler.

use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, Ordering};

static SCHEDS: AtomicU32 = AtomicU32::new(1);

/// A number for a new scheduler, so that ids from another one match nothing.
pub(crate) fn next_sched() -> u32 {
    SCHEDS.fetch_add(1, Ordering::Relaxed)
}

/// Names one doer in one scheduler. A slot's generation changes each time
/// it is reused, so a stale id, or one from another scheduler, matches
/// nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct DoerId {
    pub(super) sched: u32,
    pub(super) slot: u32,
    pub(super) generation: u32,
}

impl fmt::Debug for DoerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DoerId({}:{}.{})",
            self.sched, self.slot, self.generation
        )
    }
}

/// A typed [`DoerId`]: gives back the doer's own type on
/// [`Doist::get`](super::Doist::get)/[`DoDoer::get`](super::DoDoer::get).
pub struct Handle<T> {
    id: DoerId,
    _type: PhantomData<fn() -> T>,
}

impl<T> Handle<T> {
    pub(crate) fn new(id: DoerId) -> Self {
        Handle {
            id,
            _type: PhantomData,
        }
    }

    /// The untyped id.
    pub fn id(&self) -> DoerId {
        self.id
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Handle<T> {}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.id.fmt(f)
    }
}

impl<T> From<Handle<T>> for DoerId {
    fn from(h: Handle<T>) -> DoerId {
        h.id
    }
}
