//! The scheduler core shared by [`Doist`](super::Doist) and
//! [`DoDoer`](super::DoDoer): a doer list and HIO's deque of deeds with a
//! pass marker.
//!
//! All of HIO's orderings fall out of the deque: a pass pops from the left
//! until it meets the marker it pushed on the right, so deeds added during a
//! pass (by `extend`) run on the next one; a forced close pops from the
//! right, so the last one entered is the first one closed.

use std::collections::VecDeque;

use super::{Done, Dog, DoerId, Handle, IntoDog, Next, next_serial};
use crate::error::Result;
use crate::tyming::Tymth;

/// Slot number of the pass marker.
const MARK: u32 = u32::MAX;

/// One running doer: its slot and the tyme it next runs.
#[derive(Clone, Copy, Debug)]
struct Deed {
    slot: u32,
    retyme: f64,
}

impl Deed {
    const MARKER: Deed = Deed {
        slot: MARK,
        retyme: f64::NAN,
    };
}

/// A doer owned by a scheduler. `dog` is `None` only while its own step runs.
struct Slot {
    serial: u64,
    dog: Option<Box<dyn Dog>>,
    /// In the scheduler's doer list (HIO's `doers`).
    listed: bool,
    /// Has a deed (HIO: a dog in `deeds`, or the one running now).
    deeded: bool,
}

/// Doer list and deeds: everything a running doer may reach through [`Cx`].
pub(crate) struct Core {
    slots: Vec<Slot>,
    free: Vec<u32>,
    doers: Vec<u32>,
    deeds: VecDeque<Deed>,
    tymth: Tymth,
}

/// A scheduler: its [`Core`] plus the dog whose step is running, kept here
/// so that it survives a panic and can be closed afterwards.
pub(crate) struct Deck {
    core: Core,
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
    core: &'a mut Core,
    tyme: f64,
    temp: bool,
}

impl<'a> Cx<'a> {
    pub(crate) fn new(core: &'a mut Core, tyme: f64, temp: bool) -> Self {
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
    /// still running. Ids this scheduler does not hold are ignored.
    pub fn remove(&mut self, ids: &[DoerId]) -> Result<()> {
        self.core.remove(ids, self.tyme)
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

impl Core {
    pub(crate) fn new(tymth: Tymth) -> Self {
        Core {
            slots: Vec::new(),
            free: Vec::new(),
            doers: Vec::new(),
            deeds: VecDeque::new(),
            tymth,
        }
    }

    pub(crate) fn tymth(&self) -> &Tymth {
        &self.tymth
    }

    pub(crate) fn set_tymth(&mut self, tymth: Tymth) {
        self.tymth = tymth;
    }

    fn alloc(&mut self, dog: Box<dyn Dog>, listed: bool) -> u32 {
        let slot = Slot {
            serial: next_serial(),
            dog: Some(dog),
            listed,
            deeded: false,
        };
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        }
    }

    fn id(&self, slot: u32) -> DoerId {
        DoerId {
            slot,
            serial: self.slots[slot as usize].serial,
        }
    }

    /// The slot of `id` if it names a live doer here.
    fn find(&self, id: DoerId) -> Option<usize> {
        let i = id.slot as usize;
        match self.slots.get(i) {
            Some(s) if s.serial == id.serial && s.serial != 0 => Some(i),
            _ => None,
        }
    }

    /// Frees a slot that is neither listed nor running.
    fn release(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        if !slot.listed && !slot.deeded && slot.serial != 0 {
            slot.serial = 0;
            slot.dog = None;
            self.free.push(i as u32);
        }
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

    /// Live deeds in deque order: (doer, retyme).
    pub(crate) fn deeds(&self) -> Vec<(DoerId, f64)> {
        self.deeds
            .iter()
            .filter(|d| d.slot != MARK)
            .map(|d| (self.id(d.slot), d.retyme))
            .collect()
    }

    pub(crate) fn deed_count(&self) -> usize {
        self.deeds.iter().filter(|d| d.slot != MARK).count()
    }

    pub(crate) fn has_deeds(&self) -> bool {
        !self.deeds.is_empty()
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
        self.release(i);
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
                self.deeds.push_back(Deed {
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
                self.deeds.push_back(Deed { slot: i, retyme: tyme });
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
        while let Some(deed) = self.deeds.pop_back() {
            if deed.slot == MARK {
                continue;
            }
            if let Err(e) = self.close_slot(deed.slot as usize, tyme) {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// HIO's `remove()`: unlists the doers this scheduler holds, pulls their
    /// deeds out of the deque (one rotation, order kept), then closes the
    /// pulled deeds from the right.
    fn remove(&mut self, ids: &[DoerId], tyme: f64) -> Result<()> {
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
            return Ok(());
        }
        let mut pulled = Vec::new();
        for _ in 0..self.deeds.len() {
            let deed = self.deeds.pop_front().expect("length counted");
            if gone.contains(&deed.slot) {
                pulled.push(deed);
            } else {
                self.deeds.push_back(deed);
            }
        }
        self.doers.retain(|i| !gone.contains(i));
        for &i in &gone {
            self.slots[i as usize].listed = false;
        }
        let mut first = None;
        for deed in pulled.iter().rev() {
            if let Err(e) = self.close_slot(deed.slot as usize, tyme) {
                first.get_or_insert(e);
            }
        }
        for &i in &gone {
            self.release(i as usize);
        }
        first.map_or(Ok(()), Err)
    }

    /// Removes every pass marker (after a pass was cut short).
    fn drop_markers(&mut self) {
        self.deeds.retain(|d| d.slot != MARK);
    }
}

impl Deck {
    pub(crate) fn new(tymth: Tymth) -> Self {
        Deck {
            core: Core::new(tymth),
            running: None,
            running_slot: MARK,
        }
    }

    pub(crate) fn core(&self) -> &Core {
        &self.core
    }

    pub(crate) fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    /// One pass (HIO's `recur`, without the tick): every deed due at `tyme`
    /// steps once, in deque order. A deed that yields `0.0` next runs at
    /// `tyme + tock`; otherwise at its old retyme plus what it yielded.
    ///
    /// On an error the failing deed is dropped and the error returned at
    /// once; the marker is removed (Python HIO leaves it behind).
    pub(crate) fn pass(&mut self, tyme: f64, tock: f64) -> Result<()> {
        let Deck {
            core,
            running,
            running_slot,
        } = self;
        core.deeds.push_back(Deed::MARKER);
        while let Some(deed) = core.deeds.pop_front() {
            if deed.slot == MARK {
                break;
            }
            // `!(a <= b)` rather than `a > b`: a NaN retyme never runs.
            if !(deed.retyme <= tyme) {
                core.deeds.push_back(deed);
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
            *running_slot = MARK;
            match out {
                Ok(Next::Tock(t)) => {
                    let retyme = if t == 0.0 { tyme + tock } else { deed.retyme + t };
                    core.deeds.push_back(Deed {
                        slot: deed.slot,
                        retyme,
                    });
                }
                Ok(Next::Done(v)) => core.settle(i, v),
                Err(e) => {
                    core.settle(i, None);
                    core.drop_markers();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// After a panic unwound out of [`pass`](Deck::pass): lets the dog that
    /// was running close what it runs, then closes every other deed. The
    /// running dog itself gets no hooks (its state is suspect). Returns the
    /// first error from a close.
    pub(crate) fn close_after_panic(&mut self, tyme: f64) -> Result<()> {
        let Deck {
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
        *running_slot = MARK;
        core.drop_markers();
        core.exit(tyme)
    }

    /// True while a step of one of this deck's dogs is on the stack (seen
    /// only from `after_panic`).
    pub(crate) fn was_running(&self) -> bool {
        self.running.is_some()
    }
}
