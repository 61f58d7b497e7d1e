//! Reassembly: grams in, memos out (HIO's `pick` bookkeeping and `fuse`).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::Hash;
use std::mem;

use ed25519_dalek::VerifyingKey;

use super::GramError;
use super::codec::{Mid, parse};
use super::legacy::{LegacyCode, parse_legacy};
use super::sign::{Keep, Vid, verify};
use crate::tyming::{Tymer, Tymth};

/// A reassembled memo with where it came from (HIO's `(memo, src, vid)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Memo<A> {
    /// The memo text.
    pub memo: String,
    /// The source of the memo's first accepted gram.
    pub src: A,
    /// The vid whose signature every gram carried; `None` for unsigned memos.
    pub vid: Option<Vid>,
}

/// What [`Reassembler::accept`] did with a valid gram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// Stored; its memo is still incomplete.
    Stored,
    /// Stored, and its memo is now complete: the next
    /// [`fuse`](Reassembler::fuse) delivers it.
    Complete,
    /// A later gram that arrived before its memo's zeroth gram: held
    /// (unverified if signed) until the zeroth gram gives the count and the
    /// vid.
    Held,
    /// A copy of a gram already stored: ignored (the first copy wins).
    Duplicate,
}

/// Bytes charged against the buffer limit for each stored gram and each
/// partial memo, besides the bytes themselves.
const GRAM_COST: usize = 64;
const PARTIAL_COST: usize = 192;

/// One gram, in either format, reduced to what reassembly needs.
struct Piece<'a> {
    mid: Mid,
    legacy: bool,
    auth: bool,
    zeroth: bool,
    gn: u32,
    gc: Option<u32>,
    vid: Option<Vid>,
    body: &'a [u8],
    signed: &'a [u8],
    sig: Option<[u8; 64]>,
}

fn piece(gram: &[u8], legacy: bool) -> Result<Piece<'_>, GramError> {
    match parse(gram) {
        Ok(g) => Ok(Piece {
            mid: g.mid,
            legacy: false,
            auth: g.code.is_auth(),
            zeroth: g.code.is_zeroth(),
            gn: g.gn(),
            gc: g.gc(),
            vid: g.vid,
            body: g.body,
            signed: g.signed,
            sig: g.sig,
        }),
        Err(GramError::Legacy) if legacy => {
            let g = parse_legacy(gram)?;
            Ok(Piece {
                mid: g.mid,
                legacy: true,
                auth: g.code == LegacyCode::Signed,
                zeroth: g.gn == 0,
                gn: g.gn,
                gc: g.gc,
                vid: g.oid,
                body: g.body,
                signed: g.signed,
                sig: g.sig,
            })
        }
        Err(err) => Err(err),
    }
}

/// What the zeroth gram tells about its memo.
struct Head {
    count: u32,
    vid: Option<Vid>,
    verkey: Option<Box<VerifyingKey>>,
    auth: bool,
}

/// A memo being reassembled.
struct Partial<A> {
    /// Arrival order of the memo's first gram: memos are delivered in it.
    seq: u64,
    src: A,
    /// The [`Holder`] id of `src`, which is charged for the memo while it
    /// is incomplete.
    holder: u64,
    legacy: bool,
    /// Known once the zeroth gram is in.
    head: Option<Head>,
    /// The memo so far: the zeroth body and the later bodies that followed
    /// it without a gap (most grams arrive in order, and are copied once).
    joined: Vec<u8>,
    /// Grams in `joined`: 0 before the zeroth gram, then `1..=count`.
    joined_count: u32,
    /// Bodies of later grams that came after a gap, by gram number (all
    /// `> joined_count` and `< count`); moved into `joined` when the gap
    /// fills.
    bodies: BTreeMap<u32, Vec<u8>>,
    /// Whole later grams that came before the zeroth gram.
    early: BTreeMap<u32, Vec<u8>>,
    charged: usize,
    tymer: Tymer,
    ready: bool,
}

/// One source's incomplete partial memos.
struct Holder<A> {
    src: A,
    /// Bytes charged for them.
    used: usize,
    /// Their mids, oldest first (by `Partial::seq`).
    memos: BTreeMap<u64, Mid>,
}

/// Buffer accounting shared by every partial memo, in total and by source.
struct Budget<A> {
    used: usize,
    max: usize,
    max_per_source: usize,
    /// Holder ids by source, and holders by id; a holder lives while its
    /// source has incomplete memos.
    ids: HashMap<A, u64>,
    holders: HashMap<u64, Holder<A>>,
    /// `(used, id)` of every holder: the largest is last.
    by_use: BTreeSet<(usize, u64)>,
    next_id: u64,
    /// The bytes and holder of the last refused reservation, for
    /// `Reassembler::make_room`.
    short: Option<(usize, Option<u64>)>,
}

impl<A> Budget<A> {
    fn new() -> Self {
        Budget {
            used: 0,
            max: Reassembler::<A>::MAX_BUFFERED,
            max_per_source: Reassembler::<A>::MAX_BUFFERED,
            ids: HashMap::new(),
            holders: HashMap::new(),
            by_use: BTreeSet::new(),
            next_id: 0,
            short: None,
        }
    }

    /// The fair share of one source while `active` sources hold memos.
    fn share(&self, active: usize) -> usize {
        self.max_per_source.min(self.max / active.max(1))
    }

    /// Charges `bytes` to a memo (`charged`) and its holder, if any (a
    /// complete one-gram memo has none). Refuses when the total would pass
    /// the cap or the holder its share; the caller may then make room
    /// (see `Reassembler::make_room`) and try again.
    fn reserve(
        &mut self,
        charged: &mut usize,
        holder: Option<u64>,
        bytes: usize,
    ) -> Result<(), GramError> {
        let over_total = self.used.saturating_add(bytes) > self.max;
        let share = self.share(self.holders.len());
        let h = holder.and_then(|id| Some((id, self.holders.get_mut(&id)?)));
        let over_share = h
            .as_ref()
            .is_some_and(|(_, h)| h.used.saturating_add(bytes) > share);
        if over_total || over_share {
            self.short = Some((bytes, holder));
            return Err(GramError::Overflow);
        }
        if let Some((id, h)) = h {
            self.by_use.remove(&(h.used, id));
            h.used += bytes;
            self.by_use.insert((h.used, id));
        }
        self.used += bytes;
        *charged += bytes;
        Ok(())
    }

    fn refund(&mut self, charged: &mut usize, holder: Option<u64>, bytes: usize) {
        self.used -= bytes;
        *charged -= bytes;
        if let Some(id) = holder
            && let Some(h) = self.holders.get_mut(&id)
        {
            self.by_use.remove(&(h.used, id));
            h.used -= bytes;
            self.by_use.insert((h.used, id));
        }
    }

    /// Bytes held by holder `id` (0 for none).
    fn held(&self, id: Option<u64>) -> usize {
        id.and_then(|id| self.holders.get(&id))
            .map_or(0, |h| h.used)
    }

    /// Stops charging holder `id` for memo `seq` (complete, expired or
    /// evicted), which had `charged` bytes; a holder left without memos is
    /// forgotten.
    fn release(&mut self, id: u64, seq: u64, charged: usize)
    where
        A: Eq + Hash,
    {
        let Some(h) = self.holders.get_mut(&id) else {
            return;
        };
        if h.memos.remove(&seq).is_none() {
            return;
        }
        self.by_use.remove(&(h.used, id));
        h.used -= charged;
        if h.memos.is_empty() {
            debug_assert_eq!(h.used, 0);
            if let Some(h) = self.holders.remove(&id) {
                self.ids.remove(&h.src);
            }
        } else {
            self.by_use.insert((h.used, id));
        }
    }

    /// The holder id of `src`, made if it has none.
    fn holder(&mut self, src: &A) -> u64
    where
        A: Clone + Eq + Hash,
    {
        if let Some(&id) = self.ids.get(src) {
            return id;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.ids.insert(src.clone(), id);
        self.holders.insert(
            id,
            Holder {
                src: src.clone(),
                used: 0,
                memos: BTreeMap::new(),
            },
        );
        self.by_use.insert((0, id));
        id
    }

    /// Forgets holder `id` if it holds nothing (a new source whose first
    /// gram was refused).
    fn forget_if_idle(&mut self, id: u64)
    where
        A: Eq + Hash,
    {
        if self.holders.get(&id).is_some_and(|h| h.memos.is_empty()) {
            self.by_use.remove(&(0, id));
            if let Some(h) = self.holders.remove(&id) {
                self.ids.remove(&h.src);
            }
        }
    }
}

/// A memo waiting for [`Reassembler::fuse`].
enum Ready<A> {
    /// A partial memo in the map, now complete.
    Partial(Mid),
    /// A one-gram memo, complete on arrival: never put in the map.
    Whole {
        mid: Mid,
        src: A,
        vid: Option<Vid>,
        body: Vec<u8>,
        charged: usize,
    },
}

/// One-gram memos skip the map while fewer than this many memos wait to be
/// fused, so the duplicate check among them stays a short scan.
const WHOLE_SCAN: usize = 8;

/// Turns grams into memos: parses, verifies, stores, and fuses them.
///
/// Rules (HIO's, plus the fixes listed in `docs/memo-notes.md`):
/// the first copy of every gram wins; a memo's source is that of its first
/// gram; the mid is the key, whatever the source. A memo is delivered when
/// its zeroth gram and every later gram `1..count` are in. Signed memos
/// need every gram signed by the zeroth gram's vid; later grams that arrive
/// first are held and verified when it comes. Invalid grams are dropped with
/// a reason ([`GramError`]); a memo that is not valid UTF-8 is dropped when
/// fused; a partial memo that receives nothing new for the reassembly
/// tymeout is dropped by [`expire`](Reassembler::expire); buffered bytes are
/// capped.
///
/// Sharing the cap (HIO has no cap): a source is the `A` a gram came from
/// (for datagrams, the sender's address: there is no connection), and an
/// incomplete memo is charged to the source of its first gram. While `n`
/// sources have incomplete memos, each may hold its
/// [`share`](Reassembler::share), `min(max_per_source, max_buffered / n)`.
/// A gram that does not fit evicts incomplete memos, oldest first, never
/// its own memo nor a complete one:
///
/// 1. past the cap: those of the source holding the most, if it holds more
///    than the gram's source would; failing that, and if other sources are
///    active, those of the gram's own source;
/// 2. past its source's share: those of its own source.
///
/// A gram that still does not fit is dropped ([`GramError::Overflow`]): so
/// a lone source at the cap is refused, as before, but a flood from one
/// source can no longer shut others out. Evictions are logged (`warn`) and
/// counted ([`evicted`](Reassembler::evicted)). A sender with many addresses
/// counts as many sources; the tymeout is the remedy there.
///
/// ```
/// use hio::memo::{Accepted, Keep, Memo, Reassembler};
/// let mut reasm = Reassembler::new();
/// let keep = Keep::new();
/// let mid = "0AD5s502N14R8bWw8qyvRW-S";
/// let later = format!("bAABAAAB{mid} there");
/// let zeroth = format!("bAAAAAAC{mid}hello");
/// assert_eq!(reasm.accept(later.as_bytes(), &"a", &keep), Ok(Accepted::Held));
/// assert_eq!(reasm.accept(zeroth.as_bytes(), &"a", &keep), Ok(Accepted::Complete));
/// let mut memos = Vec::new();
/// reasm.fuse(|memo| memos.push(memo));
/// assert_eq!(memos, [Memo { memo: "hello there".into(), src: "a", vid: None }]);
/// ```
pub struct Reassembler<A> {
    authic: bool,
    legacy: bool,
    tymeout: f64,
    tymth: Tymth,
    seq: u64,
    partials: HashMap<Mid, Partial<A>>,
    /// Complete memos by arrival order of their first gram; `Whole` entries
    /// are all within the first `WHOLE_SCAN` positions.
    ready: Vec<(u64, Ready<A>)>,
    budget: Budget<A>,
    /// Partial memos evicted to make room, since the start.
    evicted: u64,
}

impl<A> fmt::Debug for Reassembler<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reassembler")
            .field("authic", &self.authic)
            .field("legacy", &self.legacy)
            .field("tymeout", &self.tymeout)
            .field("pending", &self.pending())
            .field("buffered", &self.budget.used)
            .field("max_per_source", &self.budget.max_per_source)
            .field("sources", &self.budget.holders.len())
            .field("evicted", &self.evicted)
            .finish()
    }
}

impl<A> Default for Reassembler<A> {
    fn default() -> Self {
        Reassembler::new()
    }
}

impl<A> Reassembler<A> {
    /// Default reassembly tymeout, in seconds of tyme.
    pub const TYMEOUT: f64 = 60.0;
    /// Default cap on buffered bytes of partial memos (64 MiB).
    pub const MAX_BUFFERED: usize = 64 << 20;
    /// Default fixed bound on the bytes of one source's incomplete memos:
    /// the whole default cap, so that only the fair share
    /// ([`share`](Self::share)) limits a source.
    pub const MAX_PER_SOURCE: usize = Self::MAX_BUFFERED;

    /// A reassembler taking unsigned and signed grams, head format only,
    /// with the default tymeout and buffer cap, on an unwound clock (a
    /// fixed tyme 0.0, so nothing expires until [`wind`](Self::wind)).
    pub fn new() -> Self {
        Reassembler {
            authic: false,
            legacy: false,
            tymeout: Self::TYMEOUT,
            tymth: Tymth::default(),
            seq: 0,
            partials: HashMap::new(),
            ready: Vec::new(),
            budget: Budget::new(),
            evicted: 0,
        }
    }

    /// True when only signed grams are accepted.
    pub fn authic(&self) -> bool {
        self.authic
    }

    /// Accept only signed grams (HIO's `authic`) when `authic`.
    pub fn set_authic(&mut self, authic: bool) {
        self.authic = authic;
    }

    /// True when legacy-format grams are decoded.
    pub fn legacy(&self) -> bool {
        self.legacy
    }

    /// Decode legacy (HIO 0.6.17 – 0.7.19) grams too when `legacy`.
    pub fn set_legacy(&mut self, legacy: bool) {
        self.legacy = legacy;
    }

    /// The reassembly tymeout in seconds (0.0: never).
    pub fn tymeout(&self) -> f64 {
        self.tymeout
    }

    /// Sets the reassembly tymeout: a partial memo that stores nothing new
    /// for `tymeout` seconds of tyme is dropped by [`expire`](Self::expire).
    /// `0.0` (HIO's convention), a negative or a non-finite value means
    /// never. Applies to partial memos already buffered too.
    pub fn set_tymeout(&mut self, tymeout: f64) {
        self.tymeout = if tymeout.is_finite() && tymeout > 0.0 {
            tymeout
        } else {
            0.0
        };
        for partial in self.partials.values_mut() {
            let start = partial.tymer.start_tyme();
            partial.tymer.start(Some(self.tymeout), Some(start));
        }
    }

    /// The cap on buffered bytes.
    pub fn max_buffered(&self) -> usize {
        self.budget.max
    }

    /// Caps the bytes held for partial memos (bodies plus a small charge
    /// per gram and per memo). A gram that would pass the cap first evicts
    /// the oldest incomplete memos of the source holding the most (see
    /// [`Reassembler`]); when that is not allowed it is dropped with
    /// [`GramError::Overflow`].
    pub fn set_max_buffered(&mut self, max: usize) {
        self.budget.max = max;
    }

    /// The fixed bound on one source's incomplete memos, in bytes.
    pub fn max_per_source(&self) -> usize {
        self.budget.max_per_source
    }

    /// Bounds the bytes one source's incomplete memos may hold, even when
    /// it is the only source (default [`MAX_PER_SOURCE`](Self::MAX_PER_SOURCE),
    /// the whole default cap). The fair share applies besides.
    ///
    /// ```
    /// use hio::memo::Reassembler;
    /// let mut reasm: Reassembler<&str> = Reassembler::new();
    /// assert_eq!(reasm.share(), Reassembler::<&str>::MAX_BUFFERED);
    /// reasm.set_max_per_source(1 << 20);
    /// assert_eq!(reasm.share(), 1 << 20);
    /// ```
    pub fn set_max_per_source(&mut self, max: usize) {
        self.budget.max_per_source = max;
    }

    /// The share one source may hold now:
    /// `min(max_per_source, max_buffered / max(1, sources))`.
    pub fn share(&self) -> usize {
        self.budget.share(self.budget.holders.len())
    }

    /// Sources that have incomplete memos buffered.
    pub fn sources(&self) -> usize {
        self.budget.holders.len()
    }

    /// Incomplete memos evicted to make room (for other sources or for
    /// newer memos of their own source) since the reassembler was made.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Bytes now charged against the cap.
    pub fn buffered(&self) -> usize {
        self.budget.used
    }

    /// Memos being reassembled (complete ones not yet fused included).
    pub fn pending(&self) -> usize {
        self.partials.len() + self.wholes().count()
    }

    /// True when grams of memo `mid` are buffered.
    pub fn is_pending(&self, mid: &Mid) -> bool {
        self.partials.contains_key(mid) || self.wholes().any(|m| m == mid)
    }

    /// Mids of the one-gram memos waiting to be fused.
    fn wholes(&self) -> impl Iterator<Item = &Mid> {
        self.ready[..self.ready.len().min(WHOLE_SCAN + 1)]
            .iter()
            .filter_map(|(_, ready)| match ready {
                Ready::Whole { mid, .. } => Some(mid),
                Ready::Partial(_) => None,
            })
    }

    /// Re-binds the tymeout clock to `tymth` (the Doist's); partial memos
    /// restart their tymeout on it.
    pub fn wind(&mut self, tymth: &Tymth) {
        self.tymth = tymth.clone();
        for partial in self.partials.values_mut() {
            partial.tymer.wind(tymth);
        }
    }

    /// Drops every buffered memo.
    pub fn clear(&mut self) {
        self.partials.clear();
        self.ready.clear();
        self.budget.used = 0;
        self.budget.ids.clear();
        self.budget.holders.clear();
        self.budget.by_use.clear();
    }
}

impl<A: Clone + fmt::Debug + Eq + Hash> Reassembler<A> {
    /// Takes one received gram from `src` (cloned only for a memo not seen
    /// before); `keep` supplies the keys of `D`/`E` vids. Returns what was
    /// done with it, or why it was dropped. A gram that does not fit may
    /// evict older incomplete memos first (see [`Reassembler`]).
    pub fn accept(&mut self, gram: &[u8], src: &A, keep: &Keep) -> Result<Accepted, GramError> {
        self.budget.short = None;
        let mut result = self.accept_once(gram, src, keep);
        if result == Err(GramError::Overflow)
            && let Some((need, holder)) = self.budget.short.take()
            && let Ok(p) = piece(gram, self.legacy)
        {
            // A one-gram memo is charged to no holder, but its source may
            // be one.
            let requester = holder.or_else(|| self.budget.ids.get(src).copied());
            if self.make_room(need, holder, requester, &p.mid) {
                result = self.accept_once(gram, src, keep);
            }
        }
        if result.is_err()
            && let Some(&id) = self.budget.ids.get(src)
        {
            self.budget.forget_if_idle(id);
        }
        result
    }

    /// Incomplete memos buffered for `src`, in bytes.
    pub fn buffered_by(&self, src: &A) -> usize {
        self.budget.held(self.budget.ids.get(src).copied())
    }

    /// Evicts incomplete memos (never `protect`'s) until `need` more bytes
    /// fit, charged to holder `charged` (if any) for a gram from holder
    /// `requester`; false when they cannot.
    fn make_room(
        &mut self,
        need: usize,
        charged: Option<u64>,
        requester: Option<u64>,
        protect: &Mid,
    ) -> bool {
        if need > self.budget.max || (charged.is_some() && need > self.budget.max_per_source) {
            return false;
        }
        while self.budget.used.saturating_add(need) > self.budget.max {
            // The largest holder that would still hold more than this one.
            let mine = self.budget.held(requester).saturating_add(need);
            let other = self
                .budget
                .by_use
                .iter()
                .rev()
                .take_while(|&&(used, _)| used > mine)
                .filter(|&&(_, id)| Some(id) != requester)
                .find_map(|&(_, id)| self.oldest(id, protect));
            // Failing that, a source that shares the buffer gives up its own.
            let victim = other.or_else(|| {
                let sharing = self.budget.holders.len() > 1;
                requester
                    .filter(|_| sharing)
                    .and_then(|id| self.oldest(id, protect))
            });
            match victim {
                Some(mid) => self.evict(&mid, "buffer cap"),
                None => return false,
            }
        }
        if let Some(id) = charged {
            while self.budget.held(Some(id)).saturating_add(need)
                > self.budget.share(self.budget.holders.len())
            {
                match self.oldest(id, protect) {
                    Some(mid) => self.evict(&mid, "source over its share"),
                    None => return false,
                }
            }
        }
        true
    }

    /// The oldest incomplete memo of holder `id` other than `protect`.
    fn oldest(&self, id: u64, protect: &Mid) -> Option<Mid> {
        let holder = self.budget.holders.get(&id)?;
        holder.memos.values().find(|mid| *mid != protect).copied()
    }

    /// Drops incomplete memo `mid` to make room.
    fn evict(&mut self, mid: &Mid, why: &'static str) {
        let Some(partial) = self.partials.remove(mid) else {
            return;
        };
        self.budget.used -= partial.charged;
        self.budget
            .release(partial.holder, partial.seq, partial.charged);
        self.evicted += 1;
        tracing::warn!(%mid, src = ?partial.src, bytes = partial.charged, why,
            "evicted a partial memo to make room");
    }

    fn accept_once(&mut self, gram: &[u8], src: &A, keep: &Keep) -> Result<Accepted, GramError> {
        let p = piece(gram, self.legacy)?;
        if self.authic && !p.auth {
            return Err(GramError::Unsigned);
        }
        if self.wholes().any(|mid| *mid == p.mid) {
            // Its memo is complete and waiting: a copy of its only gram, or
            // a gram past its count of 1.
            return if p.zeroth {
                Ok(Accepted::Duplicate)
            } else {
                Err(GramError::GramNumber)
            };
        }
        if p.zeroth
            && p.gc == Some(1)
            && self.ready.len() <= WHOLE_SCAN
            && (self.partials.is_empty() || !self.partials.contains_key(&p.mid))
        {
            let head = check_zeroth(&p, keep)?;
            let mut charged = 0;
            self.budget
                .reserve(&mut charged, None, GRAM_COST + p.body.len())?;
            self.seq += 1;
            self.ready.push((
                self.seq,
                Ready::Whole {
                    mid: p.mid,
                    src: src.clone(),
                    vid: head.vid,
                    body: p.body.to_vec(),
                    charged,
                },
            ));
            return Ok(Accepted::Complete);
        }
        let budget = &mut self.budget;
        let partial = match self.partials.entry(p.mid) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => {
                let mut charged = 0;
                let head = if p.zeroth {
                    Some(check_zeroth(&p, keep)?)
                } else {
                    None
                };
                let holder = budget.holder(src);
                let (joined, early) = if let Some(head) = &head {
                    let bytes = PARTIAL_COST + GRAM_COST + p.body.len();
                    budget.reserve(&mut charged, Some(holder), bytes)?;
                    (joined(p.body, head.count, budget), BTreeMap::new())
                } else {
                    let bytes = PARTIAL_COST + GRAM_COST + gram.len();
                    budget.reserve(&mut charged, Some(holder), bytes)?;
                    (Vec::new(), BTreeMap::from([(p.gn, gram.to_vec())]))
                };
                self.seq += 1;
                if let Some(h) = budget.holders.get_mut(&holder) {
                    h.memos.insert(self.seq, p.mid);
                }
                let partial = entry.insert(Partial {
                    seq: self.seq,
                    src: src.clone(),
                    holder,
                    legacy: p.legacy,
                    joined_count: u32::from(head.is_some()),
                    head,
                    joined,
                    bodies: BTreeMap::new(),
                    early,
                    charged,
                    tymer: Tymer::new(&self.tymth, self.tymeout),
                    ready: false,
                });
                return Ok(if partial.head.is_some() {
                    mark_complete(partial, &mut self.ready, budget, p.mid)
                } else {
                    Accepted::Held
                });
            }
        };
        if partial.legacy != p.legacy {
            return Err(GramError::Mixed);
        }
        let result = match (&partial.head, p.zeroth) {
            (Some(_), true) => return Ok(Accepted::Duplicate),
            (Some(_), false) => place(partial, budget, &p)?,
            (None, false) if partial.early.contains_key(&p.gn) => return Ok(Accepted::Duplicate),
            (None, false) => {
                budget.reserve(
                    &mut partial.charged,
                    Some(partial.holder),
                    GRAM_COST + gram.len(),
                )?;
                partial.early.insert(p.gn, gram.to_vec());
                Accepted::Held
            }
            (None, true) => {
                let head = check_zeroth(&p, keep)?;
                budget.reserve(
                    &mut partial.charged,
                    Some(partial.holder),
                    GRAM_COST + p.body.len(),
                )?;
                partial.joined = joined(p.body, head.count, budget);
                partial.joined_count = 1;
                partial.head = Some(head);
                for (gn, raw) in mem::take(&mut partial.early) {
                    budget.refund(
                        &mut partial.charged,
                        Some(partial.holder),
                        GRAM_COST + raw.len(),
                    );
                    let placed = piece(&raw, self.legacy).and_then(|q| {
                        if q.legacy == partial.legacy {
                            place(partial, budget, &q)
                        } else {
                            Err(GramError::Mixed)
                        }
                    });
                    if let Err(err) = placed {
                        tracing::warn!(mid = %p.mid, gn, src = ?partial.src, reason = %err,
                            "dropped a memogram held for its zeroth gram");
                    }
                }
                Accepted::Stored
            }
        };
        if result == Accepted::Duplicate {
            return Ok(result);
        }
        partial.tymer.start(None, None);
        Ok(if result == Accepted::Held {
            result
        } else {
            mark_complete(partial, &mut self.ready, budget, p.mid)
        })
    }

    /// Delivers every complete memo to `emit`, in the arrival order of their
    /// first grams (HIO's pass over `rxgs` with `fuse`), and returns how many
    /// were delivered. A memo that is not valid UTF-8 is dropped and logged.
    pub fn fuse(&mut self, mut emit: impl FnMut(Memo<A>)) -> usize {
        if self.ready.is_empty() {
            return 0;
        }
        let mut ready = mem::take(&mut self.ready);
        if ready.len() > 1 {
            ready.sort_unstable_by_key(|&(seq, _)| seq);
        }
        let mut delivered = 0;
        for (_, entry) in ready.drain(..) {
            let (mid, src, vid, bytes) = match entry {
                Ready::Whole {
                    mid,
                    src,
                    vid,
                    body,
                    charged,
                } => {
                    self.budget.used -= charged;
                    (mid, src, vid, body)
                }
                Ready::Partial(mid) => {
                    let Some(partial) = self.partials.remove(&mid) else {
                        continue;
                    };
                    self.budget.used -= partial.charged;
                    // Complete means every gram is in `joined` (see `place`).
                    debug_assert!(partial.bodies.is_empty());
                    let vid = partial.head.and_then(|head| head.vid);
                    (mid, partial.src, vid, partial.joined)
                }
            };
            match String::from_utf8(bytes) {
                Ok(memo) => {
                    delivered += 1;
                    emit(Memo { memo, src, vid });
                }
                Err(err) => {
                    tracing::warn!(%mid, src = ?src, reason = %err,
                        "dropped a memo that is not valid UTF-8");
                }
            }
        }
        // Keep the allocation for the next pass.
        self.ready = ready;
        delivered
    }

    /// Drops every partial memo that stored nothing new for the tymeout
    /// (HIO has no such limit), and returns how many were dropped. Complete
    /// memos waiting for [`fuse`](Self::fuse) never expire.
    pub fn expire(&mut self) -> usize {
        if self.tymeout <= 0.0 {
            return 0;
        }
        let budget = &mut self.budget;
        let before = self.partials.len();
        self.partials.retain(|mid, partial| {
            let keep = partial.ready || !partial.tymer.expired();
            if !keep {
                budget.used -= partial.charged;
                budget.release(partial.holder, partial.seq, partial.charged);
                tracing::warn!(%mid, src = ?partial.src,
                    grams = partial.joined_count as usize + partial.bodies.len() + partial.early.len(),
                    "dropped a partial memo after its reassembly tymeout");
            }
            keep
        });
        before - self.partials.len()
    }
}

/// Queues `partial` for fusing when all its grams are in; its source is no
/// longer charged for it (a complete memo is never evicted).
fn mark_complete<A: Eq + Hash>(
    partial: &mut Partial<A>,
    ready: &mut Vec<(u64, Ready<A>)>,
    budget: &mut Budget<A>,
    mid: Mid,
) -> Accepted {
    let complete = partial
        .head
        .as_ref()
        .is_some_and(|head| partial.joined_count == head.count);
    if complete && !partial.ready {
        partial.ready = true;
        budget.release(partial.holder, partial.seq, partial.charged);
        ready.push((partial.seq, Ready::Partial(mid)));
        Accepted::Complete
    } else {
        Accepted::Stored
    }
}

/// Checks a zeroth gram (its signature, if signed) and reads its head.
fn check_zeroth(p: &Piece<'_>, keep: &Keep) -> Result<Head, GramError> {
    let count = p.gc.unwrap_or(1).max(1);
    if !p.auth {
        return Ok(Head {
            count,
            vid: None,
            verkey: None,
            auth: false,
        });
    }
    let vid = p.vid.ok_or(GramError::BadVid)?;
    let sig = p.sig.ok_or(GramError::BadSignature)?;
    let verkey = keep.verkey(&vid)?;
    verify(&verkey, &sig, p.signed)?;
    Ok(Head {
        count,
        vid: Some(vid),
        verkey: Some(Box::new(verkey)),
        auth: true,
    })
}

/// Stores a later gram of a memo whose zeroth gram is in.
fn place<A>(
    partial: &mut Partial<A>,
    budget: &mut Budget<A>,
    p: &Piece<'_>,
) -> Result<Accepted, GramError> {
    let Some(head) = &partial.head else {
        return Err(GramError::GramNumber);
    };
    if p.auth != head.auth {
        return Err(GramError::Mixed);
    }
    if p.gn >= head.count {
        return Err(GramError::GramNumber);
    }
    if p.gn < partial.joined_count || partial.bodies.contains_key(&p.gn) {
        return Ok(Accepted::Duplicate);
    }
    if p.auth {
        if p.legacy && p.vid != head.vid {
            return Err(GramError::Mixed);
        }
        let (Some(verkey), Some(sig)) = (&head.verkey, &p.sig) else {
            return Err(GramError::BadSignature);
        };
        verify(verkey, sig, p.signed)?;
    }
    budget.reserve(
        &mut partial.charged,
        Some(partial.holder),
        GRAM_COST + p.body.len(),
    )?;
    if p.gn == partial.joined_count {
        partial.joined.extend_from_slice(p.body);
        partial.joined_count += 1;
        while let Some(body) = partial.bodies.remove(&partial.joined_count) {
            partial.joined.extend_from_slice(&body);
            partial.joined_count += 1;
        }
    } else {
        partial.bodies.insert(p.gn, p.body.to_vec());
    }
    Ok(Accepted::Stored)
}

/// The buffer a memo is joined in, starting with its zeroth body and room
/// for an estimate of the rest (bounded, since the count comes from the
/// network).
fn joined<A>(zeroth: &[u8], count: u32, budget: &Budget<A>) -> Vec<u8> {
    const MAX_RESERVE: usize = 4 << 20;
    let estimate = (count as usize)
        .saturating_sub(1)
        .saturating_mul(zeroth.len() + 88);
    let room = budget.max.saturating_sub(budget.used).min(MAX_RESERVE);
    let mut joined = Vec::with_capacity(zeroth.len() + estimate.min(room));
    joined.extend_from_slice(zeroth);
    joined
}
