//! # hio: hierarchical, cooperative, non-blocking I/O
//!
//! A Rust port of [HIO](https://github.com/ioflo/hio), the runtime under
//! KERIpy and KERIA. A root scheduler, the [`Doist`], runs **doers** once per
//! *pass* on a simulated clock. Tyme advances by a fixed *tock* after each
//! pass, so a whole service can be tested deterministically, pass by pass,
//! with no wall clock; set `real` and the same passes are paced to wall time.
//!
//! ## Glossary
//!
//! - **tyme**: simulated time in seconds (`f64`), owned by a [`Tymist`].
//! - **tock**: the step between passes (the Doist's), or the interval a doer
//!   asks for between its runs (`0.0` = every pass).
//! - **tymth**: a live, read-only view of a clock ([`Tymth`]), what Python
//!   HIO passes around as a closure.
//! - **doer**: something a scheduler runs: a [`Doer`] with six lifecycle
//!   hooks (enter, recur, clean, cease, abort, exit), a coroutine made with
//!   [`doify`], or a [`DoDoer`] that runs doers of its own.
//! - **deed**: a running doer inside a scheduler, with its *retyme*, the
//!   tyme it next runs.
//! - **done**: a doer's completion state, [`Done`].
//!
//! ## Example
//!
//! ```
//! use hio::{doify, Cx, Doer, Doist, Done, Error, Result};
//!
//! /// A class-style doer: completes on its third recur.
//! struct Three { n: u32 }
//! impl Doer for Three {
//!     fn recur(&mut self, _cx: &mut Cx<'_>) -> Result<bool> {
//!         self.n += 1;
//!         Ok(self.n == 3)
//!     }
//! }
//!
//! let mut doist = Doist::new(0.25).with_limit(10.0);
//! let three = doist.add(Three { n: 0 });
//! // A coroutine doer: yields its next tock, gets the tyme back.
//! let co = doist.add(doify(|co| async move {
//!     let tyme = co.yield_tock(0.5).await?;
//!     Ok::<_, Error>(tyme)
//! }));
//! assert_eq!(doist.run()?, Done::Complete);
//! assert_eq!(doist.tyme(), 0.75); // passes at 0.0, 0.25, 0.5
//! assert!(doist.done_of(three).is_complete());
//! assert_eq!(doist.get(co).unwrap().output(), Some(&0.0));
//! # Ok::<(), hio::Error>(())
//! ```
//!
//! ## Features
//!
//! - `signals` (default): [`Doist::handle_signals`], SIGINT/SIGTERM as
//!   HIO's `KeyboardInterrupt`.
//! - `memo` (default): [`memo`], memograms (segmentation, reassembly,
//!   signing).
//! - `test-util`: `testing`, helpers for tests of code built on hio (a
//!   doer watcher, an in-memory memo network).
//!
//! The `hio` command (demo, echo, serve, memo, bench, trace) is the
//! `hio-cli` crate; the `hio trace` scenario runner is the `hio-trace`
//! crate.
//!
//! Differences from Python HIO are listed, with reasons, in
//! `docs/differences.md`.

pub mod dgram;
pub mod doing;
pub mod error;
pub mod filing;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "memo")]
pub mod memo;
mod rt;
pub mod tcp;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod tyming;
pub mod udp;
pub mod uxd;
pub mod wiring;

// The root keeps what a service is written with; the generator protocol
// (`Dog`, `Next`, `IntoDog`, `Hooked`, `Stepper`, `YieldTock`, `Doify`,
// `Completion`) is in `hio::doing`, the clock helpers in `hio::tyming`.
pub use doing::{
    Co, Cx, DoDoer, DoDoerHooks, Doer, DoerId, Doist, Done, Handle, Interrupt, ServiceDoer,
    Serviced, doify, forever,
};
pub use error::{Error, Result};
pub use filing::{FileMode, Filer, FilerBuilder, FilerDefaults, FilerDoer, ReopenOpts};
pub use tyming::{Tymer, Tymist, Tymth};
pub use wiring::{Who, WireFormat, WireLog, WireLogBuilder, WireLogDoer};
