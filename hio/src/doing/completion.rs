//! [`Completion`]: how a coroutine doer's output maps to its [`Done`].

use super::Done;

/// A value that a coroutine doer returns, mapped to its [`Done`].
///
/// `None` leaves `done` as the scheduler had it, which is what HIO does when
/// a generator returns `None`. `()`, numbers, strings, `Vec`s, `Box`es and
/// pairs complete; `bool` maps to complete/incomplete (Python truthiness);
/// `Option<T>` leaves `done` alone when `None`. Implement it for your own
/// output type in one line.
///
/// ```
/// use hio::{Done};
/// use hio::doing::{Completion};
/// assert_eq!(().completion(), Some(Done::Complete));
/// assert_eq!(false.completion(), Some(Done::Incomplete));
/// assert_eq!(None::<bool>.completion(), None);
/// ```
pub trait Completion {
    /// The `done` this value sets, or `None` to leave it unchanged.
    fn completion(&self) -> Option<Done>;
}

impl Completion for () {
    fn completion(&self) -> Option<Done> {
        Some(Done::Complete)
    }
}

impl Completion for bool {
    fn completion(&self) -> Option<Done> {
        Some(Done::from(*self))
    }
}

impl Completion for Done {
    fn completion(&self) -> Option<Done> {
        Some(*self)
    }
}

impl<T: Completion> Completion for Option<T> {
    fn completion(&self) -> Option<Done> {
        self.as_ref().and_then(Completion::completion)
    }
}

/// Values that simply mean "complete": a run that returns one has finished.
macro_rules! completes {
    ($($t:ty),* $(,)?) => {
        $(impl Completion for $t {
            fn completion(&self) -> Option<Done> {
                Some(Done::Complete)
            }
        })*
    };
}

completes!(
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    char,
    String,
    &'static str
);

impl<T> Completion for Vec<T> {
    fn completion(&self) -> Option<Done> {
        Some(Done::Complete)
    }
}

impl<T: ?Sized> Completion for Box<T> {
    fn completion(&self) -> Option<Done> {
        Some(Done::Complete)
    }
}

impl<A, B> Completion for (A, B) {
    fn completion(&self) -> Option<Done> {
        Some(Done::Complete)
    }
}
