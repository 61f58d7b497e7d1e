//! [`Filer`]: one directory or one file at a computed path (HIO's
//! `base/filing.py`), and [`FilerDoer`], which opens and closes a Filer
//! inside a scheduler.
//!
//! The path rules are user-visible (KERI keeps its databases and key stores
//! at Filer paths), so they follow HIO exactly:
//!
//! ```text
//! persistent:  <head>/<tail or clean tail>/<base>/<name>
//! alternate:   <home>/<alt tail or alt clean tail>/<base>/<name>
//! temp:        <temp head>/<prefix>XXXXXXXX<suffix>/<tail or clean tail>/<base>/<name>
//! ```
//!
//! `head` defaults to `/usr/local/var`, `home` to the user's home directory
//! and `temp head` to the platform temp directory (`/tmp` on macOS, where
//! `$TMPDIR` is too long for Unix socket paths). All three can be injected
//! with [`FilerBuilder`], so tests never touch the real ones. The tails,
//! temp prefix and suffix, permissions and file extension come from a
//! [`FilerDefaults`]: [`FilerDefaults::FILER`] for plain Filers,
//! [`FilerDefaults::UXD`] for Unix datagram sockets, or your own `const`.
//!
//! The alternate path is used when the persistent path cannot be created
//! (for example `/usr/local/var` is not writable) or exists but is not
//! readable and writable.

mod builder;
mod defaults;
mod doer;
mod filer;
mod fs;

pub use builder::{FilerBuilder, ReopenOpts};
pub use defaults::{FileMode, FilerDefaults, MAX_UXD_PATH_LEN, check_uxd_path_len};
pub use doer::FilerDoer;
pub use filer::Filer;
pub(crate) use fs::*;
