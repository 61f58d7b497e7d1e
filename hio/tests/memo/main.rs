//! Memograms (feature `memo`): the codec byte for byte, signing, the
//! legacy format, reassembly, the Memoer, real transports, properties,
//! interop vectors, the fuzz corpus and the flood regressions (hio-io §14
//! memogram scenarios are `memo_sNN_…`).

#[path = "../util/mod.rs"]
mod util;

mod codec;
mod corpus;
mod interop;
mod legacy;
mod memoer;
mod props;
mod reasm;
mod regression_flood;
mod sign;
mod transport;
