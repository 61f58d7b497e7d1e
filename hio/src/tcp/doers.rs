//! Doers that service TCP objects once per pass.

use std::cell::RefCell;
use std::rc::Rc;

use super::{Client, Server};
use crate::doing::{Cx, ServiceDoer, Serviced};
use crate::error::Result;
use crate::tyming::Tymth;

/// Runs a [`Server`]: opens it on enter (if not open yet), services it
/// (and removes finished connections) every pass, closes it on exit. HIO's
/// `ServerDoer`. See [`ServiceDoer`], whose
/// [`on_service`](ServiceDoer::on_service) hook answers in the same pass.
pub type ServerDoer = ServiceDoer<Server>;

impl ServiceDoer<Server> {
    /// The server.
    pub fn server(&self) -> Rc<RefCell<Server>> {
        self.inner()
    }

    /// A doer that echoes every connection's bytes back, in the pass they
    /// arrive (HIO's `EchoServerDoer`, which queues the echo after the
    /// pass's sends, so each reply leaves a pass later).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use hio::tcp::{Server, ServerDoer};
    /// let echo = ServerDoer::echo(Server::new("127.0.0.1:0".parse().unwrap()));
    /// let server = echo.server();
    /// let mut doist = hio::Doist::new(0.0);
    /// doist.add(echo);
    /// doist.enter()?;
    /// let mut c = std::net::TcpStream::connect(server.borrow().local_addr().unwrap())?;
    /// c.write_all(b"ping")?;
    /// c.set_nonblocking(true)?;
    /// let mut got = [0u8; 4];
    /// for _ in 0..5000 {
    ///     doist.recur()?;
    ///     if c.read_exact(&mut got).is_ok() {
    ///         break;
    ///     }
    ///     std::thread::sleep(std::time::Duration::from_millis(1));
    /// }
    /// assert_eq!(&got, b"ping");
    /// doist.exit()?;
    /// # Ok::<(), hio::Error>(())
    /// ```
    #[doc(alias = "EchoServerDoer")]
    pub fn echo(server: Server) -> Self {
        ServerDoer::new(server).on_service(|server, _| {
            server.echo_received();
            Ok(false)
        })
    }
}

impl Serviced for Server {
    /// Winds the server onto the scheduler's clock and readiness poll,
    /// then opens it unless it is open already (so a server opened
    /// beforehand keeps its port; HIO always reopens).
    fn open(&mut self, cx: &Cx<'_>) -> Result<()> {
        self.wind(cx.tymth());
        self.set_reactor(&crate::rt::of(cx))?;
        if self.is_open() {
            Ok(())
        } else {
            Server::open(self)
        }
    }
    fn receive(&mut self) -> Result<()> {
        self.service_connects()?;
        self.service_receives()
    }
    fn send(&mut self) -> Result<()> {
        self.service_sends()?;
        self.service_tymeouts();
        self.reap();
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        Server::close(self);
        Ok(())
    }
    fn wind(&mut self, tymth: &Tymth) {
        Server::wind(self, tymth);
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
    fn open(&mut self, cx: &Cx<'_>) -> Result<()> {
        self.wind(cx.tymth());
        self.set_reactor(&crate::rt::of(cx))?;
        self.reopen()
    }
    fn receive(&mut self) -> Result<()> {
        self.service_connect()?;
        self.service_receives()
    }
    fn send(&mut self) -> Result<()> {
        self.service_sends()
    }
    fn close(&mut self) -> Result<()> {
        Client::close(self);
        Ok(())
    }
    fn wind(&mut self, tymth: &Tymth) {
        Client::wind(self, tymth);
    }
}
