//! Coroutine doers: an `async` block that yields its next tock and gets the
//! tyme back, HIO's generator doers (`doify`, `doize`).
//!
//! The async block is polled with a no-op waker; nothing else drives it. Its
//! suspension points talk to the scheduler through thread-local cells that
//! are written right before a poll and read right after it, so a step costs
//! one poll and no allocation.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::mem::ManuallyDrop;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::{Completion, Cx, DoerId, Dog, Done, Next};
use crate::error::{Error, Result};
use crate::tyming::Tymth;

/// The one cell between a scheduler and the coroutine it is polling: the
/// scheduler writes what it sends, the coroutine's suspension point
/// answers in place.
#[derive(Clone, Copy, Debug)]
enum Chan {
    /// Nothing sent (priming, or a poll after a request was served).
    Nothing,
    /// A step at this tyme.
    Tyme(f64),
    /// A forced close.
    Close,
    /// An error thrown in (in `THROWN`).
    Throw,
    /// The coroutine suspended, asking to run again after this tock.
    Yielded(f64),
    /// The coroutine suspended with a request in `REQUEST`.
    Requested,
}

/// Work a coroutine asks to do with its scheduler's [`Cx`].
type Request = Box<dyn FnOnce(&mut Cx<'_>) -> Reply>;

/// What a [`Request`] gave back.
type Reply = Box<dyn Any>;

thread_local! {
    static CHAN: Cell<Chan> = const { Cell::new(Chan::Nothing) };
    static THROWN: RefCell<Option<Error>> = const { RefCell::new(None) };
    static REQUEST: RefCell<Option<Request>> = const { RefCell::new(None) };
    static REPLY: RefCell<Option<Reply>> = const { RefCell::new(None) };
}

/// A coroutine doer's view of its run: its clock, tock and temp, and the
/// way to yield ([`yield_tock`](Co::yield_tock)).
///
/// Pass `&Co` into nested `async fn`s to let them yield too: HIO's
/// `yield from self.parser.parsator()`.
#[derive(Clone, Debug)]
pub struct Co {
    tymth: Tymth,
    tock: f64,
    temp: bool,
}

impl Co {
    /// Ends this step and suspends. The scheduler runs the coroutine again
    /// `tock` after its last retyme (`0.0`: at the next tick) and this
    /// returns that tyme, HIO's `tyme = yield tock`.
    ///
    /// When the scheduler closes the coroutine instead, this returns
    /// [`Error::Closed`]: clean up and return (propagating it with `?` is the
    /// usual way). Yielding again after that is [`Error::IgnoredClose`].
    pub fn yield_tock(&self, tock: f64) -> YieldTock {
        YieldTock {
            tock,
            yielded: false,
        }
    }

    /// The current tyme of the scheduler's clock.
    pub fn tyme(&self) -> f64 {
        self.tymth.tyme()
    }

    /// The scheduler's clock.
    pub fn tymth(&self) -> &Tymth {
        &self.tymth
    }

    /// The doer's tock when this run started (see [`Doify::with_tock`]).
    pub fn tock(&self) -> f64 {
        self.tock
    }

    /// Whether to use temporary resources.
    pub fn temp(&self) -> bool {
        self.temp
    }

    /// Runs `f` with the [`Cx`] of the scheduler that runs this coroutine,
    /// right now, and gives back its result. The coroutine resumes in the
    /// same step. This is how a coroutine reaches its scheduler, e.g. to
    /// check [`Cx::contains`].
    pub async fn with_cx<R: 'static>(
        &self,
        f: impl FnOnce(&mut Cx<'_>) -> R + 'static,
    ) -> Result<R> {
        let reply = Requested {
            request: Some(Box::new(move |cx: &mut Cx<'_>| Box::new(f(cx)) as Reply)),
        }
        .await?;
        reply
            .downcast::<R>()
            .map(|r| *r)
            .map_err(|_| Error::Invalid("scheduler reply of the wrong type".into()))
    }

    /// Enters doers into the scheduler that runs this coroutine, now
    /// ([`Cx::extend`]). The coroutine resumes in the same step.
    pub async fn extend(&self, doers: Vec<Box<dyn Dog>>) -> Result<Vec<DoerId>> {
        self.with_cx(move |cx| cx.extend(doers)).await?
    }

    /// Removes and closes doers of the scheduler that runs this coroutine,
    /// now ([`Cx::remove`]), returning them. The coroutine resumes in the
    /// same step.
    pub async fn remove(&self, ids: Vec<DoerId>) -> Result<Vec<Box<dyn Dog>>> {
        self.with_cx(move |cx| cx.remove(&ids)).await?
    }
}

/// The future of [`Co::yield_tock`].
#[derive(Debug)]
#[must_use = "a yield does nothing unless awaited"]
pub struct YieldTock {
    tock: f64,
    yielded: bool,
}

impl Future for YieldTock {
    type Output = Result<f64>;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<f64>> {
        if !self.yielded {
            self.yielded = true;
            CHAN.set(Chan::Yielded(self.tock));
            return Poll::Pending;
        }
        match CHAN.get() {
            Chan::Tyme(tyme) => Poll::Ready(Ok(tyme)),
            Chan::Close => Poll::Ready(Err(Error::Closed)),
            Chan::Throw => Poll::Ready(Err(THROWN
                .take()
                .unwrap_or_else(|| Error::doer("error thrown without a value")))),
            // Polled without being resumed (e.g. inside a combinator):
            // stay suspended.
            Chan::Nothing | Chan::Yielded(_) | Chan::Requested => {
                CHAN.set(Chan::Yielded(self.tock));
                Poll::Pending
            }
        }
    }
}

/// A pending [`Request`]: hands it over on the first poll, takes the reply
/// on the second.
struct Requested {
    request: Option<Request>,
}

impl Future for Requested {
    type Output = Result<Reply>;

    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<Reply>> {
        if let Some(request) = self.request.take() {
            REQUEST.set(Some(request));
            CHAN.set(Chan::Requested);
            return Poll::Pending;
        }
        Poll::Ready(
            REPLY.take().ok_or_else(|| {
                Error::Invalid("scheduler request polled outside a doer step".into())
            }),
        )
    }
}

/// How one drive of the coroutine ended.
enum Drove<T> {
    Ready(Result<T>),
    Yielded(f64),
}

/// A coroutine doer: an async block made fresh for every run (see [`doify`]).
pub struct Doify<F, Fut, T> {
    make: F,
    fut: Option<Pin<Box<Fut>>>,
    output: Option<T>,
    tock: f64,
    temp: bool,
    done: Done,
}

impl<F, Fut, T> std::fmt::Debug for Doify<F, Fut, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Doify")
            .field("tock", &self.tock)
            .field("running", &self.fut.is_some())
            .field("done", &self.done)
            .finish()
    }
}

/// Makes a coroutine doer from a function that builds its async block.
///
/// Every run (every time a scheduler enters it) calls `make` with a fresh
/// [`Co`] and drives the block it returns: the code before the first
/// [`Co::yield_tock`] runs during enter; each later resume is one recur.
/// The block's `Ok` value becomes the doer's [`output`](Doify::output), and
/// its [`Completion`] sets `done`. An `Err` takes the abort path.
///
/// ```
/// use hio::{doify, Doist, Error};
///
/// let mut doist = Doist::new(0.25);
/// let h = doist.add(doify(|co| async move {
///     let mut seen = Vec::new();
///     for _ in 0..3 {
///         seen.push(co.yield_tock(0.5).await?); // next run 0.5 later
///     }
///     Ok::<_, Error>(seen)
/// }));
/// doist.run()?;
/// // primed at 0.0, then resumed at 0.0, 0.5, 1.0
/// assert_eq!(doist.get(h).unwrap().output(), Some(&vec![0.0, 0.5, 1.0]));
/// # Ok::<(), hio::Error>(())
/// ```
///
/// Cleanup on close is ordinary code at the suspension point:
///
/// ```
/// use hio::{doify, Doist, Error};
/// let mut doist = Doist::new(1.0).with_limit(2.0);
/// doist.add(doify(|co| async move {
///     loop {
///         match co.yield_tock(0.0).await {
///             Ok(_tyme) => continue,
///             Err(Error::Closed) => { println!("ceased"); return Err(Error::Closed); }
///             Err(e) => return Err(e),
///         }
///     }
///     #[allow(unreachable_code)]
///     Ok::<_, Error>(())
/// }));
/// doist.run()?;
/// # Ok::<(), hio::Error>(())
/// ```
pub fn doify<F, Fut, T>(make: F) -> Doify<F, Fut, T>
where
    F: FnMut(Co) -> Fut + 'static,
    Fut: Future<Output = Result<T>> + 'static,
    T: Completion + 'static,
{
    Doify {
        make,
        fut: None,
        output: None,
        tock: 0.0,
        temp: false,
        done: Done::NotRun,
    }
}

/// One run of a [`forever`] doer.
pub type ForeverRun = std::pin::Pin<Box<dyn Future<Output = Result<()>>>>;

/// [`doify`] for a coroutine that never completes by itself (a service
/// loop): its body returns `Result<Infallible>`, so it needs no dead
/// `Ok(())` tail and no `#[allow(unreachable_code)]`. It ends when it is
/// closed (the `Error::Closed` its `yield_tock` returns then propagates) or
/// when it fails.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use hio::{Doist, forever};
/// let ticks = Rc::new(Cell::new(0));
/// let seen = ticks.clone();
/// let mut doist = Doist::new(1.0).with_limit(3.0);
/// doist.add(forever(move |co| {
///     let seen = seen.clone();
///     async move {
///         loop {
///             co.yield_tock(0.0).await?;
///             seen.set(seen.get() + 1);
///         }
///     }
/// }));
/// doist.run()?;
/// assert_eq!(ticks.get(), 3);
/// # Ok::<(), hio::Error>(())
/// ```
pub fn forever<F, Fut>(mut make: F) -> Doify<impl FnMut(Co) -> ForeverRun, ForeverRun, ()>
where
    F: FnMut(Co) -> Fut + 'static,
    Fut: Future<Output = Result<std::convert::Infallible>> + 'static,
{
    doify(move |co| -> ForeverRun {
        let run = make(co);
        // One allocation per run (when the doer starts), none per step.
        Box::pin(async move {
            match run.await {
                Err(e) => Err(e),
                Ok(never) => match never {},
            }
        })
    })
}

impl<F, Fut, T> Doify<F, Fut, T>
where
    F: FnMut(Co) -> Fut + 'static,
    Fut: Future<Output = Result<T>> + 'static,
    T: Completion + 'static,
{
    /// Sets the tock handed to each run as [`Co::tock`]. Kept as given (no
    /// `abs`), as HIO's `doify` does.
    pub fn with_tock(mut self, tock: f64) -> Self {
        self.tock = tock;
        self
    }

    /// Asks for temporary resources.
    pub fn with_temp(mut self, temp: bool) -> Self {
        self.temp = temp;
        self
    }

    /// The tock handed to the next run.
    pub fn tock(&self) -> f64 {
        self.tock
    }

    /// Sets the tock for the next run.
    pub fn set_tock(&mut self, tock: f64) {
        self.tock = tock;
    }

    /// The value the last run returned, if it returned one.
    pub fn output(&self) -> Option<&T> {
        self.output.as_ref()
    }

    /// Takes the value the last run returned.
    pub fn take_output(&mut self) -> Option<T> {
        self.output.take()
    }

    /// Whether a run is suspended.
    pub fn is_active(&self) -> bool {
        self.fut.is_some()
    }

    /// Polls until the coroutine yields or finishes, serving its requests
    /// to the scheduler in between.
    fn drive(&mut self, cx: &mut Cx<'_>, send: Chan) -> Drove<T> {
        let Some(fut) = self.fut.as_mut() else {
            return Drove::Ready(Err(Error::Invalid("coroutine is not running".into())));
        };
        CHAN.set(send);
        let polled = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        self.after_poll(cx, polled)
    }

    /// Carries on from a poll: serves requests (polling again after each)
    /// until the coroutine yields or finishes.
    #[cold]
    fn after_poll(&mut self, cx: &mut Cx<'_>, mut polled: Poll<Result<T>>) -> Drove<T> {
        loop {
            if let Poll::Ready(out) = polled {
                self.fut = None;
                return Drove::Ready(out);
            }
            match CHAN.replace(Chan::Nothing) {
                Chan::Yielded(tock) => return Drove::Yielded(tock),
                Chan::Requested => {
                    if let Some(request) = REQUEST.take() {
                        REPLY.set(Some(request(cx)));
                    }
                }
                // Pending without a yield: it awaits something else; poll it
                // again at the next tick.
                _ => return Drove::Yielded(0.0),
            }
            let Some(fut) = self.fut.as_mut() else {
                return Drove::Ready(Err(Error::Invalid("coroutine is not running".into())));
            };
            CHAN.set(Chan::Nothing);
            polled = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        }
    }

    /// The slow end of a resume: anything but a plain yield.
    #[cold]
    fn resolve(&mut self, cx: &mut Cx<'_>, polled: Poll<Result<T>>) -> Result<Next> {
        match self.after_poll(cx, polled) {
            Drove::Yielded(tock) => Ok(Next::Tock(tock)),
            Drove::Ready(out) => self.settle(out),
        }
    }

    fn settle(&mut self, out: Result<T>) -> Result<Next> {
        let value = out?;
        let done = value.completion();
        self.output = Some(value);
        Ok(Next::Done(done))
    }
}

impl<F, Fut, T> Dog for Doify<F, Fut, T>
where
    F: FnMut(Co) -> Fut + 'static,
    Fut: Future<Output = Result<T>> + 'static,
    T: Completion + 'static,
{
    fn done(&self) -> Done {
        self.done
    }

    fn set_done(&mut self, done: Done) {
        self.done = done;
    }

    fn temp(&self) -> bool {
        self.temp
    }

    fn start(&mut self, cx: &mut Cx<'_>) -> Result<Next> {
        let co = Co {
            tymth: cx.tymth().clone(),
            tock: self.tock,
            temp: cx.temp(),
        };
        self.fut = Some(Box::pin((self.make)(co)));
        match self.drive(cx, Chan::Nothing) {
            Drove::Yielded(tock) => Ok(Next::Tock(tock)),
            Drove::Ready(out) => self.settle(out),
        }
    }

    #[inline]
    fn resume(&mut self, cx: &mut Cx<'_>) -> Result<Next> {
        let Some(fut) = self.fut.as_mut() else {
            return Ok(Next::Done(None));
        };
        // The common step inline: send the tyme, poll once, take the yield.
        CHAN.set(Chan::Tyme(cx.tyme()));
        // ManuallyDrop: a pending poll holds nothing to drop, and this keeps
        // the compiler from calling the drop glue of `Poll<Result<T>>` on
        // every step.
        let polled = ManuallyDrop::new(fut.as_mut().poll(&mut Context::from_waker(Waker::noop())));
        if polled.is_pending()
            && let Chan::Yielded(tock) = CHAN.get()
        {
            return Ok(Next::Tock(tock));
        }
        self.resolve(cx, ManuallyDrop::into_inner(polled))
    }

    fn close(&mut self, cx: &mut Cx<'_>) -> Result<Option<Done>> {
        if self.fut.is_none() {
            return Ok(None);
        }
        match self.drive(cx, Chan::Close) {
            Drove::Yielded(_) => {
                self.fut = None;
                Err(Error::IgnoredClose)
            }
            Drove::Ready(Err(Error::Closed)) => Ok(None),
            Drove::Ready(out) => match self.settle(out)? {
                Next::Done(done) => Ok(done),
                Next::Tock(_) => Ok(None),
            },
        }
    }

    fn throw(&mut self, cx: &mut Cx<'_>, err: Error) -> Result<Next> {
        if self.fut.is_none() {
            return Err(err);
        }
        THROWN.set(Some(err));
        let drove = self.drive(cx, Chan::Throw);
        THROWN.set(None);
        match drove {
            Drove::Yielded(tock) => Ok(Next::Tock(tock)),
            Drove::Ready(out) => self.settle(out),
        }
    }

    fn after_panic(&mut self, cx: &mut Cx<'_>) {
        let _ = cx;
        // A future that panicked must not be polled again.
        self.fut = None;
    }
}

crate::impl_into_dog!(impl[F, Fut, T] Doify<F, Fut, T> where
    F: FnMut(Co) -> Fut + 'static,
    Fut: Future<Output = Result<T>> + 'static,
    T: Completion + 'static,
);
