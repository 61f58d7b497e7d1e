//! Doers that service TCP objects once per pass.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use super::{Client, Server};
use crate::doing::{Cx, Doer, ServiceDoer, Serviced};
use crate::error::Result;
use crate::tyming::Tymist;

/// Runs a [`Server`]: opens it on enter (if not open yet), services it
/// (and removes finished connections) every pass, closes it on exit. HIO's
/// `ServerDoer`. See [`ServiceDoer`].
pub type ServerDoer = ServiceDoer<Server>;

impl ServiceDoer<Server> {
    /// The server.
    pub fn server(&self) -> Rc<RefCell<Server>> {
        self.inner()
    }
}

/// Winds a server onto the scheduler's clock and reactor, then opens it
/// unless it is open already (so a server opened beforehand keeps its
/// port; HIO always reopens).
fn open_server(server: &mut Server, cx: &Cx<'_>) -> Result<()> {
    server.wind(cx.tymth());
    server.set_reactor(cx.reactor())?;
    if server.is_open() {
        Ok(())
    } else {
        server.open()
    }
}

impl Serviced for Server {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        open_server(self, cx)
    }
    fn service(&mut self) -> Result<()> {
        Server::service(self)?;
        self.reap();
        Ok(())
    }
    fn exit(&mut self) -> Result<()> {
        self.close();
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
    /// Idle tymeouts on wall seconds instead of the Doist's tyme.
    wall: Option<(Tymist, Instant)>,
}

impl EchoServerDoer {
    /// An echo doer for `server`.
    pub fn new(server: Server) -> Self {
        EchoServerDoer {
            server: Rc::new(RefCell::new(server)),
            wall: None,
        }
    }

    /// Times the server's idle tymeouts in wall seconds, whatever the
    /// Doist's tock (at tock 0 its tyme never moves; unpaced, it races
    /// ahead): what a tymeout given on a command line means.
    ///
    /// ```
    /// use hio::tcp::{EchoServerDoer, Server};
    /// let echo = EchoServerDoer::new(Server::new("127.0.0.1:0".parse().unwrap())).on_wall_clock();
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

    /// The server.
    pub fn server(&self) -> Rc<RefCell<Server>> {
        self.server.clone()
    }
}

impl Doer for EchoServerDoer {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        let mut server = self.server.borrow_mut();
        open_server(&mut server, cx)?;
        if let Some((clock, start)) = &mut self.wall {
            *start = Instant::now();
            clock.set_tyme(0.0);
            server.wind(&clock.tymen());
        }
        Ok(())
    }
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        if let Some((clock, start)) = &mut self.wall {
            clock.set_tyme(start.elapsed().as_secs_f64());
        }
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
/// on exit. HIO's `ClientDoer`. See [`ServiceDoer`].
pub type ClientDoer = ServiceDoer<Client>;

impl ServiceDoer<Client> {
    /// The client.
    pub fn client(&self) -> Rc<RefCell<Client>> {
        self.inner()
    }
}

impl Serviced for Client {
    fn enter(&mut self, cx: &mut Cx<'_>) -> Result<()> {
        self.wind(cx.tymth());
        self.set_reactor(cx.reactor())?;
        self.reopen()
    }
    fn service(&mut self) -> Result<()> {
        Client::service(self)
    }
    fn exit(&mut self) -> Result<()> {
        self.close();
        Ok(())
    }
}
