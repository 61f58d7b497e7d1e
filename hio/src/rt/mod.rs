//! The readiness reactor: one `mio::Poll` shared by a Doist's I/O objects.
//!
//! HIO services every socket on every pass, so each idle connection costs a
//! `recv` per pass. Here sockets register with a [`Reactor`]; a poll
//! (`epoll_wait` with a zero timeout) reports which are ready, and each I/O
//! object services only those. An idle connection then costs nothing per
//! pass.
//!
//! A Doist's reactor lives in its [`Resources`](crate::doing::Resources)
//! (made by [`of`] when the first I/O object attaches), and a pass hook
//! tells it when a pass begins; the scheduler itself knows nothing of it. Polled by a Doist, the reactor is polled at most once per
//! pass, by the first I/O object serviced in that pass. An I/O object used
//! on its own (in a test, say) has a private reactor that it polls on every
//! service call.
//!
//! Each registration gets a [`Ready`] list; the poll appends the keys of
//! ready sockets to the list of the object that owns them.

use std::cell::{Cell, OnceCell, RefCell};
use std::io;
use std::rc::Rc;
use std::time::Duration;

use mio::event::Source;
use mio::{Events, Interest, Poll, Token};

use crate::doing::{Cx, PassHook};

/// The reactor of the Doist `cx` belongs to, made on first use, with its
/// pass hook installed (new passes, waiting while idle).
pub(crate) fn of(cx: &Cx<'_>) -> Reactor {
    let res = cx.resources();
    if let Some(hook) = res.get::<Hook>() {
        return hook.reactor.clone();
    }
    let hook = res.get_or_insert_with(|| Hook {
        reactor: Reactor::new(),
        seen: Cell::new(0),
    });
    res.set_hook(hook.clone());
    hook.reactor.clone()
}

/// What the Doist calls around its passes.
struct Hook {
    reactor: Reactor,
    /// Readiness reports delivered when the Doist last looked.
    seen: Cell<u64>,
}

impl PassHook for Hook {
    fn new_pass(&self) {
        self.reactor.new_pass();
    }

    fn wait(&self, max: Duration) -> crate::Result<()> {
        // Reports delivered in the last pass may mean more work, and an
        // object with work left over (buffered requests, a read cut short
        // at its limit) said so: only a quiet pass waits.
        let quiet = self.reactor.delivered() == self.seen.get() && !self.reactor.has_work();
        if quiet && self.reactor.is_active() {
            self.reactor.poll_for(Some(max))?;
        }
        self.seen.set(self.reactor.delivered());
        Ok(())
    }
}

/// One readiness report: which socket (the owner's key) and what it can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Readiness {
    /// The key the owner registered the socket under.
    pub key: u32,
    /// Readable, or the peer closed or errored (a read will tell).
    pub readable: bool,
    /// Writable, or errored (a write will tell).
    pub writable: bool,
    /// The peer closed its side, or the socket errored: read to the end.
    pub hup: bool,
}

/// The ready list of one owner (a server, a client, a peer).
#[derive(Debug, Default)]
pub struct Ready {
    list: RefCell<Vec<Readiness>>,
}

impl Ready {
    /// Takes every report since the last drain, in arrival order, into
    /// `into` (cleared first). Reusing `into` keeps a pass allocation-free.
    pub fn drain_into(&self, into: &mut Vec<Readiness>) {
        into.clear();
        std::mem::swap(&mut *self.list.borrow_mut(), into);
    }

    /// Whether anything is waiting.
    pub fn is_empty(&self) -> bool {
        self.list.borrow().is_empty()
    }
}

struct Inner {
    poll: OnceCell<RefCell<Poll>>,
    events: RefCell<Events>,
    owners: RefCell<Vec<Option<Rc<Ready>>>>,
    free: RefCell<Vec<u32>>,
    /// Bumped by the Doist at each pass; 0 means nobody drives the reactor.
    pass: Cell<u64>,
    polled_pass: Cell<u64>,
    /// Readiness reports handed out so far.
    delivered: Cell<u64>,
    /// The pass in which an object last said it has work left that no
    /// readiness report will bring back.
    work_pass: Cell<u64>,
}

/// A shared handle on one readiness poll. Cloning is cheap.
#[derive(Clone)]
pub struct Reactor(Rc<Inner>);

impl Default for Reactor {
    fn default() -> Self {
        Reactor::new()
    }
}

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("owners", &self.0.owners.borrow().iter().flatten().count())
            .field("driven", &self.is_driven())
            .finish()
    }
}

/// Keys are `u32`; the token carries (owner, key).
fn token(owner: u32, key: u32) -> Token {
    Token(((owner as usize) << 32) | key as usize)
}

impl Reactor {
    /// A reactor; the OS poll is created on first use.
    pub fn new() -> Self {
        Reactor(Rc::new(Inner {
            poll: OnceCell::new(),
            events: RefCell::new(Events::with_capacity(1024)),
            owners: RefCell::new(Vec::new()),
            free: RefCell::new(Vec::new()),
            pass: Cell::new(0),
            polled_pass: Cell::new(0),
            delivered: Cell::new(0),
            work_pass: Cell::new(0),
        }))
    }

    /// True when both handles share one poll.
    pub fn same(&self, other: &Reactor) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    fn poll(&self) -> io::Result<&RefCell<Poll>> {
        if let Some(p) = self.0.poll.get() {
            return Ok(p);
        }
        let poll = Poll::new()?;
        Ok(self.0.poll.get_or_init(|| RefCell::new(poll)))
    }

    /// Adds an owner; its sockets register under the returned id and their
    /// reports land in the returned list.
    pub fn join(&self) -> (u32, Rc<Ready>) {
        let ready = Rc::new(Ready::default());
        let mut owners = self.0.owners.borrow_mut();
        let id = match self.0.free.borrow_mut().pop() {
            Some(id) => {
                owners[id as usize] = Some(ready.clone());
                id
            }
            None => {
                owners.push(Some(ready.clone()));
                (owners.len() - 1) as u32
            }
        };
        (id, ready)
    }

    /// Removes an owner (after its sockets are deregistered).
    pub fn leave(&self, owner: u32) {
        let mut owners = self.0.owners.borrow_mut();
        if let Some(slot) = owners.get_mut(owner as usize)
            && slot.take().is_some()
        {
            self.0.free.borrow_mut().push(owner);
        }
    }

    /// Registers a socket of `owner` under `key`.
    pub fn register(
        &self,
        source: &mut (impl Source + ?Sized),
        owner: u32,
        key: u32,
        interest: Interest,
    ) -> io::Result<()> {
        self.poll()?
            .borrow()
            .registry()
            .register(source, token(owner, key), interest)
    }

    /// Stops watching a socket. Errors (it was never registered) are
    /// ignored: closing must always succeed.
    pub fn deregister(&self, source: &mut (impl Source + ?Sized)) {
        if let Some(p) = self.0.poll.get() {
            let _ = p.borrow().registry().deregister(source);
        }
    }

    /// Polls now without waiting and hands out the reports.
    pub fn poll_now(&self) -> crate::Result<()> {
        self.poll_for(Some(Duration::ZERO))
    }

    /// Polls, waiting up to `timeout` (`None`: until something is ready),
    /// and hands out the reports.
    pub fn poll_for(&self, timeout: Option<Duration>) -> crate::Result<()> {
        let Some(poll) = self.0.poll.get() else {
            return Ok(());
        };
        let mut events = self.0.events.borrow_mut();
        match poll.borrow_mut().poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        let owners = self.0.owners.borrow();
        self.0
            .delivered
            .set(self.0.delivered.get() + events.iter().count() as u64);
        for event in events.iter() {
            let t = event.token().0;
            let (owner, key) = (t >> 32, (t & 0xffff_ffff) as u32);
            if let Some(Some(ready)) = owners.get(owner) {
                ready.list.borrow_mut().push(Readiness {
                    key,
                    readable: event.is_readable() || event.is_read_closed() || event.is_error(),
                    writable: event.is_writable() || event.is_write_closed() || event.is_error(),
                    hup: event.is_read_closed() || event.is_error(),
                });
            }
        }
        Ok(())
    }

    /// Called by a Doist at the start of each pass: from now on the
    /// reactor is polled at most once per pass.
    pub fn new_pass(&self) {
        self.0.pass.set(self.0.pass.get() + 1);
    }

    /// Says that an object has work left over for the next pass (input
    /// already read but not yet handled): the Doist must not wait for
    /// readiness before it.
    pub fn more_work(&self) {
        self.0.work_pass.set(self.0.pass.get());
    }

    /// Whether an object said [`more_work`](Reactor::more_work) in this pass.
    pub fn has_work(&self) -> bool {
        self.0.pass.get() != 0 && self.0.work_pass.get() == self.0.pass.get()
    }

    /// How many readiness reports have been handed out so far.
    pub fn delivered(&self) -> u64 {
        self.0.delivered.get()
    }

    /// Whether anything is registered (an OS poll exists).
    pub fn is_active(&self) -> bool {
        self.0.poll.get().is_some()
    }

    /// Whether a Doist drives this reactor.
    pub fn is_driven(&self) -> bool {
        self.0.pass.get() != 0
    }

    /// What an I/O object calls before servicing: polls if this pass has
    /// not been polled yet (or on every call when nobody drives it).
    pub fn refresh(&self) -> crate::Result<()> {
        let pass = self.0.pass.get();
        if pass != 0 && self.0.polled_pass.get() == pass {
            return Ok(());
        }
        self.0.polled_pass.set(pass);
        self.poll_now()
    }
}

/// What an I/O object keeps to be on a reactor: the reactor, its owner id,
/// its ready list, and a buffer for draining it. Leaving the reactor on
/// drop.
pub struct Registration {
    reactor: Reactor,
    owner: u32,
    ready: Rc<Ready>,
    events: Vec<Readiness>,
}

impl Default for Registration {
    fn default() -> Self {
        Registration::new()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.reactor.leave(self.owner);
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("owner", &self.owner)
            .finish()
    }
}

/// A socket to move between reactors: the socket, its key, its interest.
pub type Moving<'a> = (&'a mut dyn Source, u32, Interest);

impl Registration {
    /// On a private reactor of its own.
    pub fn new() -> Self {
        let reactor = Reactor::new();
        let (owner, ready) = reactor.join();
        Registration {
            reactor,
            owner,
            ready,
            events: Vec::new(),
        }
    }

    /// The reactor it is on.
    pub fn reactor(&self) -> &Reactor {
        &self.reactor
    }

    /// Registers a socket under `key`.
    pub fn register(
        &self,
        source: &mut (impl Source + ?Sized),
        key: u32,
        interest: Interest,
    ) -> io::Result<()> {
        self.reactor.register(source, self.owner, key, interest)
    }

    /// Stops watching a socket (errors ignored).
    pub fn deregister(&self, source: &mut (impl Source + ?Sized)) {
        self.reactor.deregister(source);
    }

    /// Moves to `reactor` with its open sockets. Returns false (and does
    /// nothing) when already there.
    pub fn rehome(
        &mut self,
        reactor: &Reactor,
        mut sockets: Vec<Moving<'_>>,
    ) -> crate::Result<bool> {
        if self.reactor.same(reactor) {
            return Ok(false);
        }
        for (source, _, _) in sockets.iter_mut() {
            self.reactor.deregister(*source);
        }
        self.reactor.leave(self.owner);
        self.reactor = reactor.clone();
        (self.owner, self.ready) = self.reactor.join();
        for (source, key, interest) in sockets {
            self.reactor.register(source, self.owner, key, interest)?;
        }
        Ok(true)
    }

    /// Polls if this pass has not been polled yet and returns the reports
    /// for this owner since the last call.
    pub fn refresh(&mut self) -> crate::Result<&[Readiness]> {
        self.reactor.refresh()?;
        if self.ready.is_empty() {
            self.events.clear();
        } else {
            self.ready.drain_into(&mut self.events);
        }
        Ok(&self.events)
    }
}

/// The registration of an object with one socket, and what the reactor last
/// said about it: readable and writable stay set until the object has read
/// or written to would-block.
#[derive(Debug, Default)]
pub struct OneSocket {
    reg: Registration,
    /// Data (or an error, or EOF) may be waiting.
    pub readable: bool,
    /// The socket may take more bytes.
    pub writable: bool,
    /// The peer has closed its side: read until the end.
    pub hup: bool,
}

impl OneSocket {
    /// Key of the one socket.
    const KEY: u32 = 0;

    /// On a private reactor.
    pub fn new() -> Self {
        OneSocket::default()
    }

    /// Registers the socket (read and write) and assumes it is ready both
    /// ways, so nothing that happened before registration is missed.
    pub fn register(&mut self, source: &mut (impl Source + ?Sized)) -> io::Result<()> {
        self.reg
            .register(source, Self::KEY, Interest::READABLE | Interest::WRITABLE)?;
        self.readable = true;
        self.writable = true;
        self.hup = false;
        Ok(())
    }

    /// Stops watching the socket.
    pub fn deregister(&mut self, source: &mut (impl Source + ?Sized)) {
        self.reg.deregister(source);
        self.readable = false;
        self.writable = false;
        self.hup = false;
    }

    /// Moves to `reactor`, taking the socket along if it is open.
    pub fn rehome(
        &mut self,
        reactor: &Reactor,
        source: Option<&mut dyn Source>,
    ) -> crate::Result<()> {
        let open = source.is_some();
        let moving: Vec<Moving<'_>> = source
            .map(|s| (s, Self::KEY, Interest::READABLE | Interest::WRITABLE))
            .into_iter()
            .collect();
        if self.reg.rehome(reactor, moving)? && open {
            self.readable = true;
            self.writable = true;
        }
        Ok(())
    }

    /// Takes the reactor's reports into the flags.
    pub fn refresh(&mut self) -> crate::Result<()> {
        let (mut r, mut w, mut h) = (false, false, false);
        for ev in self.reg.refresh()? {
            r |= ev.readable;
            w |= ev.writable;
            h |= ev.hup;
        }
        self.readable |= r;
        self.writable |= w;
        self.hup |= h;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Reactor, Registration};

    #[test]
    fn an_undriven_reactor_polls_at_once() -> crate::Result<()> {
        let reactor = Reactor::new();
        assert!(!reactor.is_driven());
        reactor.poll_now()?; // nothing registered: returns at once
        Ok(())
    }

    #[test]
    fn a_registration_moves_to_another_reactor() -> crate::Result<()> {
        let mut reg = Registration::new();
        assert!(reg.refresh()?.is_empty());
        let doist_reactor = Reactor::new();
        assert!(reg.rehome(&doist_reactor, Vec::new())?);
        assert!(reg.reactor().same(&doist_reactor));
        Ok(())
    }
}
