//! The scheduler core shared by [`Doist`](super::Doist) and
//! [`DoDoer`](super::DoDoer): a doer list and HIO's deque of deeds with a
//! pass marker.
//!
//! All of HIO's orderings fall out of the deque: a pass pops from the left
//! until it meets the marker it pushed on the right, so deeds added during a
//! pass (by `extend`) run on the next one; a forced close pops from the
//! right, so the last one entered is the first one closed.
//!
//! The deque lives in one vector that a pass compacts in place: it reads
//! the deed at `pos` (left of the marker) and writes the deed it re-queues
//! at `w <= pos` (right of the marker), so a step is a read and a write with
//! no wrap-around and no allocation. Deeds extended during a pass wait in
//! `inserts`, tagged with the `w` they arrived at, and join at the end of
//! the pass. In deque terms, during a pass the deque is
//! `deeds[pos..]`, marker, `merge(deeds[..w], inserts)`; between passes it
//! is just `deeds`.

use super::Resources;
use super::{DoerId, Dog, Done, Handle, IntoDog, Next, next_sched};
use crate::error::Result;
use crate::tyming::Tymth;

/// `running_slot` when no step is running.
const NONE: u32 = u32::MAX;

/// One running doer: its slot and the tyme it next runs.
#[derive(Clone, Copy, Debug)]
struct Deed {
    slot: u32,
    retyme: f64,
}

/// A doer owned by a scheduler. `dog` is `None` only while its own step runs.
struct Slot {
    dog: Option<Box<dyn Dog>>,
    /// Bumped each time the slot is reused.
    generation: u32,
    /// In the scheduler's doer list (HIO's `doers`).
    listed: bool,
    /// Has a deed (HIO: a dog in `deeds`, or the one running now).
    deeded: bool,
}

/// Doer list and deeds: everything a running doer may reach through [`Cx`].
pub(crate) struct Deeds {
    sched: u32,
    slots: Vec<Slot>,
    free: Vec<u32>,
    doers: Vec<u32>,
    /// Between passes, the deque. During one, see the module docs.
    deeds: Vec<Deed>,
    /// Read cursor of the pass in progress.
    pos: usize,
    /// Write cursor of the pass in progress.
    w: usize,
    /// Deeds extended during the pass, each with the `w` it arrived at.
    inserts: Vec<(usize, Deed)>,
    in_pass: bool,
    tymth: Tymth,
    resources: Resources,
}

/// A scheduler: its [`Deeds`] plus the dog whose step is running, kept here
/// so that it survives a panic and can be closed afterwards.
pub(crate) struct Sched {
    core: Deeds,
    running: Option<Box<dyn Dog>>,
    running_slot: u32,
}

/// What a running doer sees of the scheduler that runs it.
///
/// It gives the tyme of this step and the scheduler's clock, and it lets a
/// doer change the scheduler's doers immediately, even in the middle of a
/// pass: [`extend`](Cx::extend) enters new doers now (they first recur on
/// the next pass), and [`remove`](Cx::remove) closes doers now. A doer that
/// removes itself leaves the doer list but keeps running until it completes,
/// as in HIO.
pub struct Cx<'a> {
    core: &'a mut Deeds,
    tyme: f64,
    temp: bool,
}

impl std::fmt::Debug for Cx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cx")
            .field("tyme", &self.tyme)
            .field("temp", &self.temp)
            .field("deeds", &self.core.deed_count())
            .finish()
    }
}

impl<'a> Cx<'a> {
    pub(crate) fn new(core: &'a mut Deeds, tyme: f64, temp: bool) -> Self {
        Cx { core, tyme, temp }
    }

    /// The tyme of this step (the scheduler's tyme when the step began).
    #[inline]
    pub fn tyme(&self) -> f64 {
        self.tyme
    }

    /// The scheduler's clock.
    pub fn tymth(&self) -> &Tymth {
        &self.core.tymth
    }

    /// The root Doist's shared resources, where an I/O layer keeps what
    /// all its objects in one Doist share (the readiness poll, say).
    pub fn resources(&self) -> &Resources {
        &self.core.resources
    }

    /// During enter: whether to use temporary resources.
    pub fn temp(&self) -> bool {
        self.temp
    }

    /// Enters `doers` now and adds them to this scheduler. Their `enter`
    /// hooks run before this returns; they first recur on the next pass.
    /// If one fails to enter, the ones entered before it are closed and
    /// nothing is added.
    pub fn extend(&mut self, doers: impl IntoIterator<Item = Box<dyn Dog>>) -> Result<Vec<DoerId>> {
        self.core.extend(doers.into_iter().collect(), self.tyme)
    }

    /// [`extend`](Cx::extend) with one doer, keeping its type.
    pub fn extend_one<T: IntoDog>(&mut self, doer: T) -> Result<Handle<T>> {
        let ids = self.extend([doer.boxed()])?;
        Ok(Handle::new(ids[0]))
    }

    /// Removes doers from this scheduler and closes (`cease`, `exit`) those
    /// still running. Ids this scheduler does not hold are ignored. Returns
    /// the removed doers (except one whose own step is running: it runs on
    /// until it completes, as in HIO), so the caller may inspect them or
    /// extend them back later.
    pub fn remove(&mut self, ids: &[DoerId]) -> Result<Vec<Box<dyn Dog>>> {
        self.core.remove(ids, self.tyme, true)
    }

    /// Removes doers **without closing them**: their runs stay suspended
    /// inside the returned dogs, which the caller now owns (close them, e.g.
    /// with a [`Stepper`](super::Stepper), to run their `cease`/`exit`).
    pub fn detach(&mut self, ids: &[DoerId]) -> Vec<Box<dyn Dog>> {
        self.core.remove(ids, self.tyme, false).unwrap_or_default()
    }

    /// Whether `id` is in this scheduler's doer list.
    pub fn contains(&self, id: DoerId) -> bool {
        self.core.contains(id)
    }

    /// The completion state of one of this scheduler's doers.
    pub fn done_of(&self, id: impl Into<DoerId>) -> Option<Done> {
        self.core.done_of(id.into())
    }

    /// This scheduler's doer list, in order.
    pub fn doers(&self) -> Vec<DoerId> {
        self.core.doer_ids()
    }
}

impl Deeds {
    pub(crate) fn new(tymth: Tymth) -> Self {
        Deeds {
            sched: next_sched(),
            slots: Vec::new(),
            free: Vec::new(),
            doers: Vec::new(),
            deeds: Vec::new(),
            pos: 0,
            w: 0,
            inserts: Vec::new(),
            in_pass: false,
            tymth,
            resources: Resources::default(),
        }
    }

    pub(crate) fn tymth(&self) -> &Tymth {
        &self.tymth
    }

    pub(crate) fn set_tymth(&mut self, tymth: Tymth) {
        self.tymth = tymth;
    }

    pub(crate) fn resources(&self) -> &Resources {
        &self.resources
    }

    pub(crate) fn set_resources(&mut self, resources: Resources) {
        self.resources = resources;
    }

    fn alloc(&mut self, dog: Box<dyn Dog>, listed: bool) -> u32 {
        match self.free.pop() {
            Some(i) => {
                let slot = &mut self.slots[i as usize];
                slot.generation = slot.generation.wrapping_add(1);
                slot.dog = Some(dog);
                slot.listed = listed;
                i
            }
            None => {
                self.slots.push(Slot {
                    dog: Some(dog),
                    generation: 0,
                    listed,
                    deeded: false,
                });
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn id(&self, slot: u32) -> DoerId {
        DoerId {
            sched: self.sched,
            slot,
            generation: self.slots[slot as usize].generation,
        }
    }

    /// The slot of `id` if it names a live doer here.
    fn find(&self, id: DoerId) -> Option<usize> {
        let i = id.slot as usize;
        match self.slots.get(i) {
            Some(s)
                if id.sched == self.sched
                    && s.generation == id.generation
                    && (s.listed || s.deeded) =>
            {
                Some(i)
            }
            _ => None,
        }
    }

    /// Frees a slot that is neither listed nor running, giving back its dog.
    fn release(&mut self, i: usize) -> Option<Box<dyn Dog>> {
        let slot = &mut self.slots[i];
        if !slot.listed && !slot.deeded && slot.dog.is_some() {
            self.free.push(i as u32);
            return slot.dog.take();
        }
        None
    }

    /// Adds a doer to the list without entering it.
    pub(crate) fn add(&mut self, dog: Box<dyn Dog>) -> DoerId {
        let i = self.alloc(dog, true);
        self.doers.push(i);
        self.id(i)
    }

    pub(crate) fn contains(&self, id: DoerId) -> bool {
        self.find(id).is_some_and(|i| self.slots[i].listed)
    }

    pub(crate) fn done_of(&self, id: DoerId) -> Option<Done> {
        let i = self.find(id)?;
        self.slots[i].dog.as_ref().map(|d| d.done())
    }

    pub(crate) fn dog(&self, id: DoerId) -> Option<&dyn Dog> {
        let i = self.find(id)?;
        self.slots[i].dog.as_deref()
    }

    pub(crate) fn dog_mut(&mut self, id: DoerId) -> Option<&mut dyn Dog> {
        let i = self.find(id)?;
        match &mut self.slots[i].dog {
            Some(d) => Some(d.as_mut()),
            None => None,
        }
    }

    pub(crate) fn doer_ids(&self) -> Vec<DoerId> {
        self.doers.iter().map(|&i| self.id(i)).collect()
    }

    /// The deque as its two sides of the marker: (not yet stepped this
    /// pass, stepped or added this pass). Between passes all is left.
    fn sides(&self) -> (Vec<Deed>, Vec<Deed>) {
        if !self.in_pass {
            return (self.deeds.clone(), Vec::new());
        }
        let mut right = Vec::with_capacity(self.w + self.inserts.len());
        let mut inserts = self.inserts.iter().peekable();
        for (k, deed) in self.deeds[..self.w].iter().enumerate() {
            while let Some((_, d)) = inserts.next_if(|(at, _)| *at == k) {
                right.push(*d);
            }
            right.push(*deed);
        }
        right.extend(inserts.map(|(_, d)| *d));
        (self.deeds[self.pos..].to_vec(), right)
    }

    /// Live deeds in deque order: (doer, retyme).
    pub(crate) fn deeds(&self) -> Vec<(DoerId, f64)> {
        let (left, right) = self.sides();
        left.iter()
            .chain(&right)
            .map(|d| (self.id(d.slot), d.retyme))
            .collect()
    }

    pub(crate) fn deed_count(&self) -> usize {
        if self.in_pass {
            self.deeds.len() - self.pos + self.w + self.inserts.len()
        } else {
            self.deeds.len()
        }
    }

    pub(crate) fn has_deeds(&self) -> bool {
        self.deed_count() > 0
    }

    /// Queues a new deed at the right end of the deque.
    fn push(&mut self, deed: Deed) {
        if self.in_pass {
            self.inserts.push((self.w, deed));
        } else {
            self.deeds.push(deed);
        }
    }

    /// Lays a pass in progress out afresh as `right ++ [hole] ++ left`, so
    /// the pass can go on (a removal changed both sides). The hole is where
    /// the deed of the step now running is written back.
    fn relay(&mut self, left: Vec<Deed>, right: Vec<Deed>) {
        let hole = Deed {
            slot: NONE,
            retyme: f64::NAN,
        };
        self.w = right.len();
        self.pos = self.w + 1;
        self.deeds = right;
        self.deeds.push(hole);
        self.deeds.extend(left);
        self.inserts.clear();
    }

    /// Ends a pass early (an error or a panic): the deque becomes
    /// [not yet stepped…, stepped…], with no marker. Python HIO leaves a
    /// stale marker behind here.
    fn join(&mut self) {
        if self.in_pass {
            let (mut left, right) = self.sides();
            left.extend(right);
            self.deeds = left;
            self.end_pass();
        }
    }

    fn end_pass(&mut self) {
        self.pos = 0;
        self.w = 0;
        self.inserts.clear();
        self.in_pass = false;
    }

    /// Starts the dog in slot `i`; it is taken out of its slot meanwhile so
    /// that its `enter` may reach this scheduler. Returns whether it now has
    /// a deed.
    fn start_slot(&mut self, i: usize, tyme: f64, temp: bool) -> Result<bool> {
        let Some(mut dog) = self.slots[i].dog.take() else {
            return Ok(false);
        };
        let temp = temp || dog.temp();
        dog.set_done(Done::Incomplete);
        self.slots[i].deeded = true;
        let out = dog.start(&mut Cx::new(self, tyme, temp));
        self.slots[i].dog = Some(dog);
        match out {
            Ok(Next::Tock(_)) => Ok(true),
            Ok(Next::Done(v)) => {
                self.settle(i, v);
                Ok(false)
            }
            Err(e) => {
                self.settle(i, None);
                Err(e)
            }
        }
    }

    /// A run ended: record its completion and drop the deed.
    fn settle(&mut self, i: usize, done: Option<Done>) {
        let slot = &mut self.slots[i];
        if let (Some(v), Some(dog)) = (done, slot.dog.as_mut()) {
            dog.set_done(v);
        }
        slot.deeded = false;
        drop(self.release(i));
    }

    /// HIO's `enter()`: starts every listed doer that is not running yet, in
    /// list order, each with `temp || doer.temp`. On an error the doers
    /// entered so far keep their deeds (the caller's `exit` closes them).
    pub(crate) fn enter(&mut self, tyme: f64, temp: bool) -> Result<()> {
        let order = self.doers.clone();
        for i in order {
            let i = i as usize;
            let slot = &self.slots[i];
            if !slot.listed || slot.deeded {
                continue;
            }
            if self.start_slot(i, tyme, temp)? {
                self.push(Deed {
                    slot: i as u32,
                    retyme: tyme,
                });
            }
        }
        Ok(())
    }

    /// HIO's `extend()`: enters the new doers now (with their own temp
    /// only), then lists them and appends their deeds.
    fn extend(&mut self, dogs: Vec<Box<dyn Dog>>, tyme: f64) -> Result<Vec<DoerId>> {
        let mut added: Vec<(u32, bool)> = Vec::with_capacity(dogs.len());
        for dog in dogs {
            // Listed from the start so that one completing during enter is
            // kept; it joins the doer order below.
            let i = self.alloc(dog, true);
            match self.start_slot(i as usize, tyme, false) {
                Ok(deeded) => added.push((i, deeded)),
                Err(e) => {
                    self.slots[i as usize].listed = false;
                    self.release(i as usize);
                    // Close the ones already entered: nothing is left
                    // half-added.
                    for &(j, deeded) in added.iter().rev() {
                        self.slots[j as usize].listed = false;
                        if deeded {
                            let _ = self.close_slot(j as usize, tyme);
                        }
                        self.release(j as usize);
                    }
                    return Err(e);
                }
            }
        }
        let mut ids = Vec::with_capacity(added.len());
        for &(i, deeded) in &added {
            self.doers.push(i);
            if deeded {
                self.push(Deed {
                    slot: i,
                    retyme: tyme,
                });
            }
            ids.push(self.id(i));
        }
        Ok(ids)
    }

    /// Closes the run in slot `i` and settles it.
    fn close_slot(&mut self, i: usize, tyme: f64) -> Result<()> {
        let Some(mut dog) = self.slots[i].dog.take() else {
            return Ok(());
        };
        let out = dog.close(&mut Cx::new(self, tyme, false));
        self.slots[i].dog = Some(dog);
        match out {
            Ok(v) => {
                self.settle(i, v);
                Ok(())
            }
            Err(e) => {
                self.settle(i, None);
                Err(e)
            }
        }
    }

    /// HIO's `exit()`: closes every deed from the right end of the deque.
    /// Unlike Python HIO, an error in one close does not stop the sweep;
    /// the first error is returned once every deed is closed.
    pub(crate) fn exit(&mut self, tyme: f64) -> Result<()> {
        let mut first = None;
        self.join();
        while let Some(deed) = self.deeds.pop() {
            if let Err(e) = self.close_slot(deed.slot as usize, tyme) {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// HIO's `remove()`: unlists the doers this scheduler holds, pulls their
    /// deeds out of the deque (one rotation, order kept), then (with
    /// `close`) closes the pulled deeds from the right. Returns the removed
    /// dogs that are not running.
    fn remove(&mut self, ids: &[DoerId], tyme: f64, close: bool) -> Result<Vec<Box<dyn Dog>>> {
        let mut gone: Vec<u32> = Vec::new();
        for &id in ids {
            if let Some(i) = self.find(id)
                && self.slots[i].listed
                && !gone.contains(&(i as u32))
            {
                gone.push(i as u32);
            }
        }
        if gone.is_empty() {
            return Ok(Vec::new());
        }
        // Pull their deeds out of both sides, keeping deque order.
        let (left, right) = self.sides();
        let mut pulled = Vec::new();
        let mut keep = |side: Vec<Deed>| -> Vec<Deed> {
            let (out, kept): (Vec<Deed>, Vec<Deed>) =
                side.into_iter().partition(|d| gone.contains(&d.slot));
            pulled.extend(out);
            kept
        };
        let (left, right) = (keep(left), keep(right));
        if self.in_pass {
            self.relay(left, right);
        } else {
            self.deeds = left;
        }
        self.doers.retain(|i| !gone.contains(i));
        // Still marked listed while closing, so that closing does not free
        // the slots: the removed dogs are handed back below.
        let mut first = None;
        for deed in pulled.iter().rev() {
            if !close {
                self.slots[deed.slot as usize].deeded = false;
            } else if let Err(e) = self.close_slot(deed.slot as usize, tyme) {
                first.get_or_insert(e);
            }
        }
        for &i in &gone {
            self.slots[i as usize].listed = false;
        }
        let removed = gone
            .iter()
            .filter_map(|&i| self.release(i as usize))
            .collect();
        first.map_or(Ok(removed), Err)
    }
}

impl Sched {
    pub(crate) fn new(tymth: Tymth) -> Self {
        Sched {
            core: Deeds::new(tymth),
            running: None,
            running_slot: NONE,
        }
    }

    pub(crate) fn core(&self) -> &Deeds {
        &self.core
    }

    pub(crate) fn core_mut(&mut self) -> &mut Deeds {
        &mut self.core
    }

    /// One pass (HIO's `recur`, without the tick): every deed due at `tyme`
    /// steps once, in deque order. A deed that yields `0.0` next runs at
    /// `tyme + tock`; otherwise at its old retyme plus what it yielded.
    ///
    /// On an error the failing deed is dropped and the error returned at
    /// once; the marker is removed (Python HIO leaves it behind).
    pub(crate) fn pass(&mut self, tyme: f64, tock: f64) -> Result<()> {
        let Sched {
            core,
            running,
            running_slot,
        } = self;
        debug_assert!(!core.in_pass, "passes do not nest");
        core.in_pass = true;
        while let Some(&deed) = core.deeds.get(core.pos) {
            core.pos += 1;
            // HIO runs a deed when `retyme <= tyme`; a NaN retyme never runs.
            let due = deed.retyme <= tyme;
            if !due {
                core.deeds[core.w] = deed;
                core.w += 1;
                continue;
            }
            let i = deed.slot as usize;
            let Some(dog) = core.slots[i].dog.take() else {
                continue;
            };
            *running_slot = deed.slot;
            let dog = running.insert(dog);
            let out = dog.resume(&mut Cx::new(core, tyme, false));
            core.slots[i].dog = running.take();
            *running_slot = NONE;
            match out {
                Ok(Next::Tock(t)) => {
                    let retyme = if t == 0.0 {
                        tyme + tock
                    } else {
                        deed.retyme + t
                    };
                    core.deeds[core.w] = Deed {
                        slot: deed.slot,
                        retyme,
                    };
                    core.w += 1;
                }
                Ok(Next::Done(v)) => core.settle(i, v),
                Err(e) => {
                    core.settle(i, None);
                    core.join();
                    return Err(e);
                }
            }
        }
        core.deeds.truncate(core.w);
        core.pos = core.w;
        if !core.inserts.is_empty() {
            let (_, right) = core.sides();
            core.deeds = right;
        }
        core.end_pass();
        Ok(())
    }

    /// After a panic unwound out of [`pass`](Sched::pass): lets the dog that
    /// was running close what it runs, then closes every other deed. The
    /// running dog itself gets no hooks (its state is suspect). Returns the
    /// first error from a close.
    pub(crate) fn close_after_panic(&mut self, tyme: f64) -> Result<()> {
        let Sched {
            core,
            running,
            running_slot,
        } = self;
        if let Some(mut dog) = running.take() {
            dog.after_panic(&mut Cx::new(core, tyme, false));
            let i = *running_slot as usize;
            if let Some(slot) = core.slots.get_mut(i) {
                slot.dog = Some(dog);
            }
            core.settle(i, None);
        }
        *running_slot = NONE;
        core.join();
        core.exit(tyme)
    }

    /// True while a step of one of this sched's dogs is on the stack (seen
    /// only from `after_panic`).
    pub(crate) fn was_running(&self) -> bool {
        self.running.is_some()
    }
}
