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
//! The scheduler, tyming, TCP, UDP, UXD, [`Filer`] and [`WireLog`] are
//! always there. The rest is behind Cargo features; the first three are on
//! by default, so `default-features = false` keeps only the core.
//!
//! - `signals` (default): [`Doist::handle_signals`], SIGINT/SIGTERM as
//!   HIO's `KeyboardInterrupt` (adds `signal-hook`).
//! - `memo` (default): [`memo`], memograms: segmentation, reassembly and
//!   Ed25519 signing (adds `base64`, `ed25519-dalek`, `getrandom`).
//! - `http` (default): [`http`], the HTTP/1.1 server and client, server-sent
//!   events and static files (adds `httparse`, `http`, `bytes`,
//!   `serde_json`, `mime_guess`).
//! - `test-util`: [`testing`], helpers for tests of code built on hio (a
//!   doer watcher, an in-memory memo network).
//! - `count-allocations`: for hio's own allocation test only (`cargo test
//!   -p hio --features count-allocations --test alloc`): it links
//!   `allocation-counter`, which replaces the global allocator with a
//!   counting one. Not for programs.
//!
//! The examples name the features they need (`required-features`):
//! `echo_server` needs `signals`, `http_hello` needs `http` and `signals`.
//!
#![cfg_attr(
    feature = "signals",
    doc = "[`Doist::handle_signals`]: crate::Doist::handle_signals"
)]
#![cfg_attr(not(feature = "signals"), doc = "[`Doist::handle_signals`]: #features")]
#![cfg_attr(feature = "memo", doc = "[`memo`]: crate::memo")]
#![cfg_attr(not(feature = "memo"), doc = "[`memo`]: #features")]
#![cfg_attr(feature = "http", doc = "[`http`]: crate::http")]
#![cfg_attr(not(feature = "http"), doc = "[`http`]: #features")]
#![cfg_attr(feature = "test-util", doc = "[`testing`]: crate::testing")]
#![cfg_attr(not(feature = "test-util"), doc = "[`testing`]: #features")]
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
