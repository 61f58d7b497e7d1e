//! Doers that service TCP objects once per pass.

use std::cell::RefCell;
use std::rc::Rc;

use super::{Client, Server};
use crate::doing::{Cx, Doer};
use crate::error::Result;

/// Runs a [`Server`]: opens it on enter (if not open yet), services it (and removes finished
/// connections) every pass, closes it on exit. HIO's `ServerDoer`.
///
/// The server is shared (`Rc<RefCell<_>>`) so that the application's doers
/// can read and write its connections.
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
pub struct ServerDoer {
    server: Rc<RefCell<Server>>,
}

impl ServerDoer {
    /// A doer for `server`.
    pub fn new(server: Server) -> Self {
        ServerDoer::shared(Rc::new(RefCell::new(server)))
    }

    /// A doer for a server that other doers share.
    pub fn shared(server: Rc<RefCell<Server>>) -> Self {
        ServerDoer { server }
    }

    /// The server.
    pub fn server(&self) -> Rc<RefCell<Server>> {
        self.server.clone()
    }
}

/// Winds a server onto the scheduler's clock and reactor, then opens it
/// unless it is open already (so a server opened beforehand keeps its
/// port; HIO always reopens).
fn open_server(server: &RefCell<Server>, cx: &Cx<'_>) -> Result<()> {
    let mut server = server.borrow_mut();
    server.wind(cx.tymth());
    server.set_reactor(cx.reactor())?;
    if server.is_open() {
        Ok(())
    } else {
        server.open()
    }
}

impl Doer for ServerDoer {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        open_server(&self.server, cx)
    }
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        let mut server = self.server.borrow_mut();
        server.service()?;
        server.reap();
        Ok(false)
    }
    fn exit(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.server.borrow_mut().close();
        Ok(())
    }
}

/// A [`ServerDoer`] that echoes every connection's bytes back.
///
/// Python HIO queues the echo after the pass's sends, so each reply leaves
/// one pass later; this doer echoes within the same pass (receive, queue,
/// send), which saves a pass of latency per round trip.
pub struct EchoServerDoer {
    server: Rc<RefCell<Server>>,
}

impl EchoServerDoer {
    /// An echo doer for `server`.
    pub fn new(server: Server) -> Self {
        EchoServerDoer {
            server: Rc::new(RefCell::new(server)),
        }
    }

    /// The server.
    pub fn server(&self) -> Rc<RefCell<Server>> {
        self.server.clone()
    }
}

impl Doer for EchoServerDoer {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        open_server(&self.server, cx)
    }
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        let mut server = self.server.borrow_mut();
        server.service_connects()?;
        server.service_receives()?;
        server.echo_received();
        server.service_sends()?;
        server.service_tymeouts();
        server.reap();
        Ok(false)
    }
    fn exit(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.server.borrow_mut().close();
        Ok(())
    }
}

/// Runs a [`Client`]: opens it on enter, services it every pass, closes it
/// on exit. HIO's `ClientDoer`.
pub struct ClientDoer {
    client: Rc<RefCell<Client>>,
}

impl ClientDoer {
    /// A doer for `client`.
    pub fn new(client: Client) -> Self {
        ClientDoer::shared(Rc::new(RefCell::new(client)))
    }

    /// A doer for a client that other doers share.
    pub fn shared(client: Rc<RefCell<Client>>) -> Self {
        ClientDoer { client }
    }

    /// The client.
    pub fn client(&self) -> Rc<RefCell<Client>> {
        self.client.clone()
    }
}

impl Doer for ClientDoer {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let mut client = self.client.borrow_mut();
        client.wind(cx.tymth());
        client.set_reactor(cx.reactor())?;
        client.reopen()
    }
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        self.client.borrow_mut().service()?;
        Ok(false)
    }
    fn exit(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.client.borrow_mut().close();
        Ok(())
    }
}
