//! Reassembly: grams in, memos out (HIO's `pick` bookkeeping and `fuse`).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
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

/// Buffer accounting shared by every partial memo.
struct Budget {
    used: usize,
    max: usize,
}

impl Budget {
    fn reserve(&mut self, charged: &mut usize, bytes: usize) -> Result<(), GramError> {
        if self.used.saturating_add(bytes) > self.max {
            return Err(GramError::Overflow);
        }
        self.used += bytes;
        *charged += bytes;
        Ok(())
    }

    fn refund(&mut self, charged: &mut usize, bytes: usize) {
        self.used -= bytes;
        *charged -= bytes;
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
    budget: Budget,
}

impl<A> fmt::Debug for Reassembler<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reassembler")
            .field("authic", &self.authic)
            .field("legacy", &self.legacy)
            .field("tymeout", &self.tymeout)
            .field("pending", &self.pending())
            .field("buffered", &self.budget.used)
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
            budget: Budget {
                used: 0,
                max: Self::MAX_BUFFERED,
            },
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
    /// per gram and per memo); a gram that would pass the cap is dropped
    /// with [`GramError::Overflow`].
    pub fn set_max_buffered(&mut self, max: usize) {
        self.budget.max = max;
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
    }
}

impl<A: Clone + fmt::Debug> Reassembler<A> {
    /// Takes one received gram from `src` (cloned only for a memo not seen
    /// before); `keep` supplies the keys of `D`/`E` vids. Returns what was
    /// done with it, or why it was dropped.
    pub fn accept(&mut self, gram: &[u8], src: &A, keep: &Keep) -> Result<Accepted, GramError> {
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
                .reserve(&mut charged, GRAM_COST + p.body.len())?;
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
                let (head, joined, early) = if p.zeroth {
                    let head = check_zeroth(&p, keep)?;
                    budget.reserve(&mut charged, PARTIAL_COST + GRAM_COST + p.body.len())?;
                    let joined = joined(p.body, head.count, budget);
                    (Some(head), joined, BTreeMap::new())
                } else {
                    budget.reserve(&mut charged, PARTIAL_COST + GRAM_COST + gram.len())?;
                    (None, Vec::new(), BTreeMap::from([(p.gn, gram.to_vec())]))
                };
                self.seq += 1;
                let partial = entry.insert(Partial {
                    seq: self.seq,
                    src: src.clone(),
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
                    mark_complete(partial, &mut self.ready, p.mid)
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
                budget.reserve(&mut partial.charged, GRAM_COST + gram.len())?;
                partial.early.insert(p.gn, gram.to_vec());
                Accepted::Held
            }
            (None, true) => {
                let head = check_zeroth(&p, keep)?;
                budget.reserve(&mut partial.charged, GRAM_COST + p.body.len())?;
                partial.joined = joined(p.body, head.count, budget);
                partial.joined_count = 1;
                partial.head = Some(head);
                for (gn, raw) in mem::take(&mut partial.early) {
                    budget.refund(&mut partial.charged, GRAM_COST + raw.len());
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
            mark_complete(partial, &mut self.ready, p.mid)
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
                tracing::warn!(%mid, src = ?partial.src,
                    grams = partial.joined_count as usize + partial.bodies.len() + partial.early.len(),
                    "dropped a partial memo after its reassembly tymeout");
            }
            keep
        });
        before - self.partials.len()
    }
}

/// Queues `partial` for fusing when all its grams are in.
fn mark_complete<A>(
    partial: &mut Partial<A>,
    ready: &mut Vec<(u64, Ready<A>)>,
    mid: Mid,
) -> Accepted {
    let complete = partial
        .head
        .as_ref()
        .is_some_and(|head| partial.joined_count == head.count);
    if complete && !partial.ready {
        partial.ready = true;
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
    budget: &mut Budget,
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
    budget.reserve(&mut partial.charged, GRAM_COST + p.body.len())?;
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
fn joined(zeroth: &[u8], count: u32, budget: &Budget) -> Vec<u8> {
    const MAX_RESERVE: usize = 4 << 20;
    let estimate = (count as usize)
        .saturating_sub(1)
        .saturating_mul(zeroth.len() + 88);
    let room = budget.max.saturating_sub(budget.used).min(MAX_RESERVE);
    let mut joined = Vec::with_capacity(zeroth.len() + estimate.min(room));
    joined.extend_from_slice(zeroth);
    joined
}
