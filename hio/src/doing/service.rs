//! [`ServiceDoer`]: the one doer that runs any I/O object a pass at a time
//! (HIO's `ServerDoer`, `ClientDoer`, `PeerDoer`, `PeerMemoerDoer`…).

use std::cell::RefCell;
use std::rc::Rc;

use super::{Cx, Doer};
use crate::error::Result;

/// An I/O object a [`ServiceDoer`] can run: opened on enter, serviced once
/// per pass, closed on exit.
pub trait Serviced: 'static {
    /// On enter: wind onto the scheduler's clock and reactor
    /// ([`Cx::tymth`], [`Cx::reactor`]) and open.
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()>;
    /// Each pass.
    fn service(&mut self) -> Result<()>;
    /// On exit.
    fn exit(&mut self) -> Result<()>;
}

/// Runs a [`Serviced`] object: `enter` opens it, `recur` services it and
/// never completes, `exit` closes it. The object is shared
/// (`Rc<RefCell<_>>`) so the application's own doers can use it between
/// services.
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
}

impl<T: Serviced> ServiceDoer<T> {
    /// A doer for `inner`.
    pub fn new(inner: T) -> Self {
        ServiceDoer::shared(Rc::new(RefCell::new(inner)))
    }

    /// A doer for an object other doers share.
    pub fn shared(inner: Rc<RefCell<T>>) -> Self {
        ServiceDoer { inner }
    }

    /// The object.
    pub fn inner(&self) -> Rc<RefCell<T>> {
        self.inner.clone()
    }
}

impl<T: Serviced> Doer for ServiceDoer<T> {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.inner.borrow_mut().enter(cx)
    }
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        self.inner.borrow_mut().service()?;
        Ok(false)
    }
    fn exit(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.inner.borrow_mut().exit()
    }
}
