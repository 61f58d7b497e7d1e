//! The one error type of hio.

use std::fmt;

/// Everything that can go wrong in hio.
///
/// A doer's hook returns `Err` where a Python doer raises. The scheduler
/// treats every variant as HIO treats an `Exception` (the doer's `abort` runs,
/// then its `exit`), except [`Error::Interrupted`], which plays the part of
/// `KeyboardInterrupt`: the doer runs only `exit`, every other doer is closed,
/// and [`Doist::run`](crate::Doist::run) returns normally.
///
/// ```
/// use hio::Error;
/// let err = Error::doer("disk full");
/// assert_eq!(err.to_string(), "doer failed: disk full");
/// assert!(!err.is_interrupt());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A doer failed; the message or source says why.
    #[error("doer failed: {0}")]
    Doer(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// The run was interrupted (Ctrl-C, SIGTERM, or a doer asking for it),
    /// HIO's `KeyboardInterrupt`.
    #[error("interrupted")]
    Interrupted,
    /// A coroutine doer is being closed at its suspension point.
    ///
    /// [`Co::yield_tock`](crate::Co::yield_tock) returns this when the
    /// scheduler closes the coroutine. Propagate it with `?` (after any
    /// cleanup) and the close completes; the coroutine's `done` is left as it
    /// was, as HIO leaves it when a generator re-raises `GeneratorExit`.
    #[error("coroutine closed")]
    Closed,
    /// A coroutine doer was asked to close and yielded again instead of
    /// finishing (Python's "generator ignored GeneratorExit").
    #[error("coroutine ignored its close and yielded again")]
    IgnoredClose,
    /// A [`MonoTimer`](crate::tyming::MonoTimer) built with `retro = false` saw the
    /// wall clock go backwards by `by` seconds.
    #[error("wall clock went backwards by {by} s")]
    Retrograde {
        /// How far back the clock went, in seconds (positive).
        by: f64,
    },
    /// An argument was out of range or malformed.
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// An operating-system I/O error.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A [`Filer`](crate::Filer) or [`WireLog`](crate::WireLog) problem: an
    /// invalid name (absolute, with `..`), or a path that could not be made,
    /// opened or removed (HIO's `FilerError`). The message names the path.
    #[error("filer: {0}")]
    Filer(String),
    /// Something is larger than its limit, e.g. a Unix socket path
    /// (HIO's `SizeError`).
    #[error("{what} is {size} bytes, over the limit of {max}")]
    Size {
        /// What is too large.
        what: String,
        /// Its size in bytes.
        size: usize,
        /// The largest size allowed.
        max: usize,
    },
    /// A memogram could not be rent, signed or decoded (see
    /// [`memo`](crate::memo)).
    #[cfg(feature = "memo")]
    #[error(transparent)]
    Memo(#[from] crate::memo::MemoError),
    /// An HTTP request ended without a response (see
    /// [`http::Client`](crate::http::Client)).
    #[cfg(feature = "http")]
    #[error("http client: {0}")]
    Http(#[from] crate::http::ClientError),
}

impl Error {
    /// A doer failure carrying a plain message.
    pub fn doer(msg: impl fmt::Display) -> Self {
        Error::Doer(msg.to_string().into())
    }

    /// Wraps any error as a doer failure.
    pub fn from_std(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Doer(Box::new(err))
    }

    /// True for [`Error::Interrupted`], HIO's `KeyboardInterrupt`.
    pub fn is_interrupt(&self) -> bool {
        matches!(self, Error::Interrupted)
    }

    /// True for [`Error::Closed`]: what a coroutine doer's `yield_tock`
    /// returns when the doer is being closed (HIO's `GeneratorExit`), so
    /// cleanup can say `Err(e) if e.is_closed()`.
    ///
    /// ```
    /// assert!(hio::Error::Closed.is_closed());
    /// assert!(!hio::Error::Interrupted.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, Error::Closed)
    }
}

/// `Result` with hio's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
