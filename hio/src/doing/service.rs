//! [`ServiceDoer`]: the one doer that runs any I/O object a pass at a time
//! (HIO's `ServerDoer`, `ClientDoer`, `PeerDoer`, `PeerMemoerDoer`…).

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;
use std::time::Instant;

use super::{Cx, Doer};
use crate::error::Result;
use crate::tyming::{Tymist, Tymth};

/// An I/O object a [`ServiceDoer`] can run: attached to the scheduler and
/// opened on enter, serviced once per pass, closed on exit.
///
/// A service has two halves, so that an application hook
/// ([`ServiceDoer::on_service`]) can run between them and reply in the
/// same pass: [`receive`](Serviced::receive) takes in what has arrived,
/// [`send`](Serviced::send) sends what is queued. An object that services
/// in one step does it all in `receive`.
///
/// ```
/// use hio::{Cx, Doist, ServiceDoer, Serviced};
///
/// /// Counts passes; closes after three.
/// #[derive(Default)]
/// struct Counter {
///     open: bool,
///     passes: u32,
/// }
///
/// impl Serviced for Counter {
///     fn open(&mut self, _cx: &Cx<'_>) -> hio::Result<()> {
///         self.open = true;
///         Ok(())
///     }
///     fn receive(&mut self) -> hio::Result<()> {
///         self.passes += 1;
///         Ok(())
///     }
///     fn close(&mut self) -> hio::Result<()> {
///         self.open = false;
///         Ok(())
///     }
/// }
///
/// let doer = ServiceDoer::new(Counter::default()).on_service(|c, _cx| Ok(c.passes == 3));
/// let counter = doer.inner();
/// let mut doist = Doist::new(1.0).with_limit(10.0);
/// doist.add(doer);
/// doist.run()?;
/// assert_eq!(counter.borrow().passes, 3);
/// assert!(!counter.borrow().open);
/// # Ok::<(), hio::Error>(())
/// ```
pub trait Serviced: 'static {
    /// On enter: attaches to the scheduler (its clock, [`Cx::tymth`], and
    /// its shared resources, [`Cx::resources`], where the I/O layer keeps
    /// its readiness poll) and opens, unless already open.
    fn open(&mut self, cx: &Cx<'_>) -> Result<()>;
    /// The first half of a pass's service: accept, read.
    fn receive(&mut self) -> Result<()>;
    /// The second half: send what is queued, expire tymeouts, clean up.
    fn send(&mut self) -> Result<()> {
        Ok(())
    }
    /// On exit.
    fn close(&mut self) -> Result<()>;
    /// Moves the object's tymeouts onto another clock (see
    /// [`ServiceDoer::on_wall_clock`]). Objects without tymeouts ignore it.
    fn wind(&mut self, tymth: &Tymth) {
        let _ = tymth;
    }
}

/// An application hook: runs between a pass's receive and send, with the
/// object; `Ok(true)` completes the doer.
type Hook<T> = Box<dyn FnMut(&mut T, &mut Cx<'_>) -> Result<bool>>;

/// Runs a [`Serviced`] object: `enter` opens it, `recur` services it (and
/// runs the [`on_service`](ServiceDoer::on_service) hook between receiving
/// and sending), `exit` closes it. The object is shared (`Rc<RefCell<_>>`)
/// so the application's own doers can use it between services.
///
/// ```
/// use hio::Doist;
/// use hio::tcp::{Server, ServerDoer};
/// let doer = ServerDoer::new(Server::new("127.0.0.1:0".parse().unwrap()));
/// let server = doer.server();
/// let mut doist = Doist::new(0.0).with_limit(1.0);
/// doist.add(doer);
/// doist.enter()?;
/// assert!(server.borrow().is_open());
/// doist.exit()?;
/// assert!(!server.borrow().is_open());
/// # Ok::<(), hio::Error>(())
/// ```
pub struct ServiceDoer<T> {
    inner: Rc<RefCell<T>>,
    hook: Option<Hook<T>>,
    /// Tymeouts on wall seconds since enter, instead of the Doist's tyme.
    wall: Option<(Tymist, Instant)>,
}

impl<T> fmt::Debug for ServiceDoer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceDoer")
            .field("object", &std::any::type_name::<T>())
            .field("hook", &self.hook.is_some())
            .field("wall_clock", &self.wall.is_some())
            .finish()
    }
}

impl<T: Serviced> ServiceDoer<T> {
    /// A doer for `inner`.
    pub fn new(inner: T) -> Self {
        ServiceDoer::shared(Rc::new(RefCell::new(inner)))
    }

    /// A doer for an object other doers share.
    pub fn shared(inner: Rc<RefCell<T>>) -> Self {
        ServiceDoer {
            inner,
            hook: None,
            wall: None,
        }
    }

    /// The object.
    pub fn inner(&self) -> Rc<RefCell<T>> {
        self.inner.clone()
    }

    /// Runs `hook` every pass between receiving and sending, so that what
    /// it queues leaves in the same pass (a reply to what just arrived).
    /// `Ok(true)` completes the doer.
    ///
    /// ```
    /// use hio::tcp::{Server, ServerDoer};
    /// // An upper-casing echo: each reply leaves in the pass its request came.
    /// let doer = ServerDoer::new(Server::new("127.0.0.1:0".parse().unwrap())).on_service(|srv, _cx| {
    ///     for r in srv.received_mut() {
    ///         let up = r.take_rxbs().to_ascii_uppercase();
    ///         r.tx(&up);
    ///     }
    ///     Ok(false)
    /// });
    /// # let _ = doer;
    /// ```
    pub fn on_service(
        mut self,
        hook: impl FnMut(&mut T, &mut Cx<'_>) -> Result<bool> + 'static,
    ) -> Self {
        self.hook = Some(Box::new(hook));
        self
    }

    /// Times the object's tymeouts in wall seconds (since enter), whatever
    /// the Doist's tock: at tock 0 its tyme never moves, and unpaced it
    /// races ahead. This is what a tymeout given on a command line means.
    ///
    /// ```
    /// use hio::tcp::{Server, ServerDoer};
    /// let echo = ServerDoer::echo(Server::new("127.0.0.1:0".parse().unwrap())).on_wall_clock();
    /// let mut doist = hio::Doist::new(0.0);
    /// doist.add(echo);
    /// doist.enter()?;
    /// doist.recur()?;
    /// doist.exit()?;
    /// # Ok::<(), hio::Error>(())
    /// ```
    pub fn on_wall_clock(mut self) -> Self {
        self.wall = Some((Tymist::new(0.0, 0.0), Instant::now()));
        self
    }
}

impl<T: Serviced> Doer for ServiceDoer<T> {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let mut inner = self.inner.borrow_mut();
        inner.open(cx)?;
        if let Some((clock, start)) = &mut self.wall {
            *start = Instant::now();
            clock.set_tyme(0.0);
            inner.wind(&clock.tymen());
        }
        Ok(())
    }
    fn recur(&mut self, cx: &mut Cx<'_>) -> Result<bool> {
        if let Some((clock, start)) = &mut self.wall {
            clock.set_tyme(start.elapsed().as_secs_f64());
        }
        let mut inner = self.inner.borrow_mut();
        inner.receive()?;
        let done = match self.hook.as_mut() {
            Some(hook) => hook(&mut inner, cx)?,
            None => false,
        };
        inner.send()?;
        Ok(done)
    }
    fn exit(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.inner.borrow_mut().close()
    }
}
