//! Memogram helpers: the spec's message id and fusing a reassembler.

use std::fmt::Debug;
use std::hash::Hash;

use hio::memo::{Memo, Mid, Reassembler};

/// The message id of the spec's scenarios (hio-io §14).
pub const MID: &str = "0AD5s502N14R8bWw8qyvRW-S";

/// [`MID`], parsed.
pub fn mid() -> Mid {
    MID.parse().expect("valid mid")
}

/// Every memo `reasm` can fuse now, in order.
pub fn fused<A: Clone + Debug + Eq + Hash>(reasm: &mut Reassembler<A>) -> Vec<Memo<A>> {
    let mut memos = Vec::new();
    reasm.fuse(|memo| memos.push(memo));
    memos
}
