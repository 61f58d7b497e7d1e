//! The scheduler: tyme, doers stepped by hand, the Doist, DoDoers,
//! coroutine doers and panics (hio-core §7 scenarios are `core_sNN_…`).
//! One test binary, ripgrep's `tests/tests.rs` pattern; each module was a
//! file of its own.

#[path = "../util/mod.rs"]
mod util;

mod coroutine;
mod dodoer;
mod doer_manual;
mod doist;
mod panic;
mod tyming;
