//! [`Stepper`]: one dog driven by hand, outside any scheduler.

use super::{Cx, Deeds, Dog, Done, Next};
use crate::error::{Error, Result};
use crate::tyming::Tymth;

/// Drives one dog by hand, outside any scheduler, as HIO's tests drive a
/// generator with `next`, `send`, `close` and `throw`.
///
/// ```
/// use hio::{Cx, Doer, Done, Tymist, Result};
/// use hio::doing::{Next, Stepper, IntoDog, Dog};
/// struct Twice(u32);
/// impl Doer for Twice {
///     fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> { self.0 += 1; Ok(self.0 == 2) }
/// }
/// let tymist = Tymist::new(0.0, 1.0);
/// let mut stepper = Stepper::new(&tymist.tymen());
/// let mut dog = Twice(0).into_dog();
/// assert_eq!(stepper.start(&mut dog)?, Next::Tock(0.0));
/// assert_eq!(stepper.send(&mut dog, 0.0)?, Next::Tock(0.0));
/// assert_eq!(stepper.send(&mut dog, 1.0)?, Next::Done(Some(Done::Complete)));
/// assert_eq!(stepper.send(&mut dog, 2.0)?, Next::Done(None));
/// # Ok::<(), hio::Error>(())
/// ```
pub struct Stepper {
    core: Deeds,
    temp: bool,
}

impl std::fmt::Debug for Stepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stepper")
            .field("tyme", &self.core.tymth().tyme())
            .field("temp", &self.temp)
            .finish()
    }
}

impl Stepper {
    /// A stepper whose dogs read `tymth` as their clock.
    pub fn new(tymth: &Tymth) -> Self {
        Stepper {
            core: Deeds::new(tymth.clone()),
            temp: false,
        }
    }

    /// Sets the temp given to `start`.
    pub fn set_temp(&mut self, temp: bool) {
        self.temp = temp;
    }

    fn cx(&mut self, tyme: f64) -> Cx<'_> {
        Cx::new(&mut self.core, tyme, self.temp)
    }

    /// Starts and primes the dog (HIO: create the generator, `next`). Does
    /// not touch `done`: set it first, as HIO's tests do.
    pub fn start(&mut self, dog: &mut dyn Dog) -> Result<Next> {
        let tyme = self.core.tymth().tyme();
        dog.start(&mut self.cx(tyme))
    }

    /// One step with `tyme` sent in (HIO: `send(tyme)`).
    pub fn send(&mut self, dog: &mut dyn Dog, tyme: f64) -> Result<Next> {
        dog.resume(&mut self.cx(tyme))
    }

    /// One step at the clock's current tyme (HIO: `next`).
    pub fn next(&mut self, dog: &mut dyn Dog) -> Result<Next> {
        let tyme = self.core.tymth().tyme();
        self.send(dog, tyme)
    }

    /// Forced close (HIO: `close()`).
    pub fn close(&mut self, dog: &mut dyn Dog) -> Result<Option<Done>> {
        let tyme = self.core.tymth().tyme();
        dog.close(&mut self.cx(tyme))
    }

    /// Throws an error in at the suspension point (HIO: `throw`).
    pub fn throw(&mut self, dog: &mut dyn Dog, err: Error) -> Result<Next> {
        let tyme = self.core.tymth().tyme();
        dog.throw(&mut self.cx(tyme), err)
    }
}
