//! [`Resources`]: what the layers above the scheduler share among one
//! Doist's doers, without the scheduler knowing their types.
//!
//! The scheduler only runs doers on tyme. An I/O layer needs more: one
//! readiness poll for every socket of a Doist, a way to be told that a
//! pass begins, and a way to wait, when nothing is ready, instead of
//! spinning. It keeps that in a Doist's resources: any value by type (the
//! reactor), plus one [`PassHook`] that the Doist calls at each pass and,
//! with [`Doist::with_idle_wait`](super::Doist::with_idle_wait), while
//! idle. A DoDoer's children share their Doist's resources. A tokio bridge
//! or a simulated network plugs in the same way: it installs its own
//! resource and hook, and the scheduler stays as it is.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use crate::error::Result;

/// What a Doist tells the layer that installed it, around its passes.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use std::time::Duration;
/// use hio::doing::PassHook;
/// use hio::{Cx, Doer, Doist};
///
/// /// Counts passes.
/// #[derive(Default)]
/// struct Passes(Cell<u32>);
///
/// impl PassHook for Passes {
///     fn new_pass(&self) {
///         self.0.set(self.0.get() + 1);
///     }
///     fn wait(&self, _max: Duration) -> hio::Result<()> {
///         Ok(())
///     }
/// }
///
/// struct Install(Rc<Passes>);
///
/// impl Doer for Install {
///     fn enter(&mut self, cx: &mut Cx<'_>) -> hio::Result<()> {
///         cx.resources().set_hook(self.0.clone());
///         Ok(())
///     }
///     fn recur(&mut self, _: &mut Cx<'_>) -> hio::Result<bool> {
///         Ok(false)
///     }
/// }
///
/// let passes = Rc::new(Passes::default());
/// let mut doist = Doist::new(1.0).with_limit(3.0);
/// doist.add(Install(passes.clone()));
/// doist.run()?;
/// assert_eq!(passes.0.get(), 3);
/// # Ok::<(), hio::Error>(())
/// ```
pub trait PassHook {
    /// A pass is about to begin.
    fn new_pass(&self);

    /// The Doist is between passes with nothing known to be ready: wait
    /// for work for at most `max`, or return at once if there may be some.
    fn wait(&self, max: Duration) -> Result<()>;
}

#[derive(Default)]
struct Inner {
    values: RefCell<Vec<(TypeId, Rc<dyn Any>)>>,
    hook: RefCell<Option<Rc<dyn PassHook>>>,
}

/// One Doist's shared resources: values by type, and its [`PassHook`].
/// Cloning is cheap and shares them.
///
/// ```
/// use hio::doing::Resources;
/// let res = Resources::default();
/// let n = res.get_or_insert_with(|| 7u32);
/// assert_eq!(*n, 7);
/// assert_eq!(*res.clone().get::<u32>().unwrap(), 7);
/// assert!(res.get::<i64>().is_none());
/// ```
#[derive(Clone, Default)]
pub struct Resources(Rc<Inner>);

impl Resources {
    /// The value of type `T`, if one is held.
    pub fn get<T: 'static>(&self) -> Option<Rc<T>> {
        let values = self.0.values.borrow();
        let (_, v) = values.iter().find(|(id, _)| *id == TypeId::of::<T>())?;
        v.clone().downcast::<T>().ok()
    }

    /// The value of type `T`, made with `make` if none is held yet.
    pub fn get_or_insert_with<T: 'static>(&self, make: impl FnOnce() -> T) -> Rc<T> {
        if let Some(v) = self.get::<T>() {
            return v;
        }
        let v = Rc::new(make());
        self.0
            .values
            .borrow_mut()
            .push((TypeId::of::<T>(), v.clone() as Rc<dyn Any>));
        v
    }

    /// Installs the pass hook (replacing any other).
    pub fn set_hook(&self, hook: Rc<dyn PassHook>) {
        *self.0.hook.borrow_mut() = Some(hook);
    }

    /// The pass hook, if one is installed.
    pub fn hook(&self) -> Option<Rc<dyn PassHook>> {
        self.0.hook.borrow().clone()
    }

    /// Whether both handles share the same resources.
    pub fn same(&self, other: &Resources) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for Resources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resources")
            .field("values", &self.0.values.borrow().len())
            .field("hook", &self.0.hook.borrow().is_some())
            .finish()
    }
}
