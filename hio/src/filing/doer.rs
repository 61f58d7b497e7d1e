//! [`FilerDoer`]: a Filer opened and closed inside a scheduler.

use super::{Filer, ReopenOpts};
use crate::doing::{Cx, Doer};
use crate::error::Result;

/// Runs a [`Filer`] in a scheduler (HIO's `FilerDoer`): `enter` reopens it
/// if it is not open (in temp mode when the scheduler says `temp`), `recur`
/// does nothing and never completes, `exit` closes it, clearing a temp
/// Filer.
///
/// ```
/// use hio::{Doist, Filer, FilerDoer};
///
/// let filer = Filer::builder().name("test").build()?;
/// let mut doist = Doist::new(0.03125).with_limit(0.125).with_temp(true);
/// let doer = doist.add(FilerDoer::new(filer));
/// doist.enter()?;
/// let path = doist.get(doer).unwrap().filer().path().unwrap().to_owned();
/// assert!(path.is_dir() && path.to_str().unwrap().ends_with("_test/hio/test"));
/// doist.exit()?;
/// assert!(!path.exists());
/// # Ok::<(), hio::Error>(())
/// ```
#[derive(Debug)]
pub struct FilerDoer {
    filer: Filer,
}

impl FilerDoer {
    /// Wraps a Filer.
    pub fn new(filer: Filer) -> Self {
        FilerDoer { filer }
    }

    /// The Filer.
    pub fn filer(&self) -> &Filer {
        &self.filer
    }

    /// The Filer, mutably.
    pub fn filer_mut(&mut self) -> &mut Filer {
        &mut self.filer
    }

    /// Unwraps the Filer.
    pub fn into_filer(self) -> Filer {
        self.filer
    }
}

impl Doer for FilerDoer {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        if !self.filer.opened() {
            let mut opts = ReopenOpts::new();
            if cx.temp() {
                opts = opts.temp(true);
            }
            self.filer.reopen(opts)?;
        }
        Ok(())
    }

    fn recur(&mut self, _cx: &mut Cx<'_>) -> Result<bool> {
        Ok(false)
    }

    fn exit(&mut self, _cx: &mut Cx<'_>) -> Result<()> {
        let clear = self.filer.temp();
        self.filer.close(clear)
    }
}
