//! An in-memory datagram network for tests: [`LoopNet`] and its ports.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::io;
use std::rc::Rc;

use crate::memo::{MAX_GRAM_SIZE, Transport};

#[derive(Debug)]
struct Queue {
    grams: VecDeque<(Vec<u8>, String)>,
    capacity: usize,
}

type Net = Rc<RefCell<HashMap<String, Queue>>>;

/// An in-memory datagram network: named ports, each with a receive queue.
/// Reliable and ordered, unless a test intervenes: [`take`](LoopNet::take)
/// and [`inject`](LoopNet::inject) reorder, drop or tamper with grams, and
/// [`set_capacity`](LoopNet::set_capacity) makes senders block.
///
/// A send to an unknown (or closed) address fails with
/// [`io::ErrorKind::NotFound`], as a UXD send to a missing path does; a send
/// to a full queue would block (returns 0). This replaces HIO's `echoic`
/// test mode: a port may send to itself.
///
/// ```
/// use hio::memo::Transport;
/// use hio::testing::LoopNet;
/// let net = LoopNet::new();
/// let mut a = net.port("a");
/// let mut b = net.port("b");
/// assert_eq!(a.send(b"ping", &"b".to_owned())?, 4);
/// let mut buf = [0u8; 16];
/// assert_eq!(b.receive(&mut buf)?, Some((4, "a".to_owned())));
/// assert_eq!(&buf[..4], b"ping");
/// assert_eq!(b.receive(&mut buf)?, None);
/// assert!(a.send(b"ping", &"nobody".to_owned()).is_err());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct LoopNet {
    net: Net,
}

impl LoopNet {
    /// An empty network.
    pub fn new() -> Self {
        LoopNet::default()
    }

    /// Opens a port at `addr` (a fresh, unbounded queue) and returns it.
    pub fn port(&self, addr: impl Into<String>) -> LoopPort {
        let addr = addr.into();
        self.net.borrow_mut().insert(
            addr.clone(),
            Queue {
                grams: VecDeque::new(),
                capacity: usize::MAX,
            },
        );
        LoopPort {
            net: Rc::clone(&self.net),
            addr,
            max_gram_size: MAX_GRAM_SIZE,
        }
    }

    /// Limits how many grams `addr`'s queue holds; sends beyond it would
    /// block. Returns false for an unknown address.
    pub fn set_capacity(&self, addr: &str, capacity: usize) -> bool {
        match self.net.borrow_mut().get_mut(addr) {
            Some(queue) => {
                queue.capacity = capacity;
                true
            }
            None => false,
        }
    }

    /// Grams waiting at `addr`.
    pub fn queued(&self, addr: &str) -> usize {
        self.net
            .borrow()
            .get(addr)
            .map_or(0, |queue| queue.grams.len())
    }

    /// Removes and returns the grams waiting at `addr`, as
    /// `(gram, source)` pairs in arrival order.
    pub fn take(&self, addr: &str) -> Vec<(Vec<u8>, String)> {
        self.net
            .borrow_mut()
            .get_mut(addr)
            .map(|queue| queue.grams.drain(..).collect())
            .unwrap_or_default()
    }

    /// Puts `gram` from `src` at the end of `addr`'s queue, ignoring its
    /// capacity. Returns false for an unknown address.
    pub fn inject(&self, addr: &str, gram: impl Into<Vec<u8>>, src: impl Into<String>) -> bool {
        match self.net.borrow_mut().get_mut(addr) {
            Some(queue) => {
                queue.grams.push_back((gram.into(), src.into()));
                true
            }
            None => false,
        }
    }

    /// Closes the port at `addr`: its queue is dropped and sends to it
    /// fail.
    pub fn close(&self, addr: &str) {
        self.net.borrow_mut().remove(addr);
    }
}

/// One port of a [`LoopNet`]: a [`Transport`] whose addresses are strings.
#[derive(Debug)]
pub struct LoopPort {
    net: Net,
    addr: String,
    max_gram_size: usize,
}

impl LoopPort {
    /// This port's address.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Sets the largest gram this port reports (default 65535), as a UDP
    /// transport would report 1240.
    ///
    /// ```
    /// use hio::memo::Memoer;
    /// use hio::testing::LoopNet;
    /// let port = LoopNet::new().port("udp").with_max_gram_size(1240);
    /// assert_eq!(Memoer::new(port).size(), 1240);
    /// ```
    pub fn with_max_gram_size(mut self, max: usize) -> Self {
        self.max_gram_size = max;
        self
    }
}

impl Transport for LoopPort {
    type Addr = String;

    fn receive(&mut self, buf: &mut [u8]) -> io::Result<Option<(usize, String)>> {
        let mut net = self.net.borrow_mut();
        let Some(queue) = net.get_mut(&self.addr) else {
            return Ok(None);
        };
        Ok(queue.grams.pop_front().map(|(gram, src)| {
            let n = gram.len().min(buf.len());
            buf[..n].copy_from_slice(&gram[..n]);
            (n, src)
        }))
    }

    fn send(&mut self, gram: &[u8], dst: &String) -> io::Result<usize> {
        let mut net = self.net.borrow_mut();
        let Some(queue) = net.get_mut(dst) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("no loopback port at {dst:?}"),
            ));
        };
        if queue.grams.len() >= queue.capacity {
            return Ok(0);
        }
        queue.grams.push_back((gram.to_vec(), self.addr.clone()));
        Ok(gram.len())
    }

    fn max_gram_size(&self) -> usize {
        self.max_gram_size
    }

    fn opened(&self) -> bool {
        self.net.borrow().contains_key(&self.addr)
    }
}
