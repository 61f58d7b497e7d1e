//! Memogram benchmarks: rend (memo → grams) and reassembly (grams → memo),
//! in memos/s and MB/s. Run with `cargo bench -p hio --bench memo`.
//!
//! With `HIO_MEMO_BENCH_JSON=1` in the environment the same workloads are
//! timed with a plain loop instead and printed as JSON lines, one per
//! workload (`name`, `op`, `bytes`, `ns_per_memo`), for
//! `tools/memo_interop/memo_interop.py bench`, which times Python HIO on the
//! same workloads in the same run and prints the ratios.

use std::hint::black_box;
use std::time::{Duration, Instant};

use divan::Bencher;
use divan::counter::{BytesCount, ItemsCount};
use hio::memo::{Code, Keep, Memoer, MemoerOpts, Reassembler};
use hio::testing::{LoopNet, LoopPort};

/// A workload: a memo of `len` bytes rent with `code`, `curt` and `size`.
struct Workload {
    name: &'static str,
    len: usize,
    code: Code,
    curt: bool,
    size: usize,
}

const WORKLOADS: [Workload; 6] = [
    Workload {
        name: "small_11B",
        len: 11,
        code: Code::GramZero,
        curt: false,
        size: 65535,
    },
    Workload {
        name: "text_64KiB_udp",
        len: 65536,
        code: Code::GramZero,
        curt: false,
        size: 1240,
    },
    Workload {
        name: "binary_64KiB_udp",
        len: 65536,
        code: Code::GramZero,
        curt: true,
        size: 1240,
    },
    Workload {
        name: "text_1MiB_uxd",
        len: 1 << 20,
        code: Code::GramZero,
        curt: false,
        size: 65535,
    },
    Workload {
        name: "signed_small_11B",
        len: 11,
        code: Code::GramAuthZero,
        curt: false,
        size: 65535,
    },
    Workload {
        name: "signed_4KiB_udp",
        len: 4096,
        code: Code::GramAuthZero,
        curt: false,
        size: 1240,
    },
];

const NAMES: [&str; 6] = [
    "small_11B",
    "text_64KiB_udp",
    "binary_64KiB_udp",
    "text_1MiB_uxd",
    "signed_small_11B",
    "signed_4KiB_udp",
];

/// The seed of the signing key in signed workloads (the spec's S5 seed).
const SEED: [u8; 32] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
    26, 27, 28, 29, 30, 31,
];

fn workload(name: &str) -> &'static Workload {
    WORKLOADS
        .iter()
        .find(|w| w.name == name)
        .expect("known workload")
}

/// The memo of a workload: "Hello There" for 11 bytes, else a repeating
/// printable pattern (the Python side builds the same).
fn memo(w: &Workload) -> String {
    if w.len == 11 {
        return "Hello There".to_owned();
    }
    (0..w.len)
        .map(|i| char::from(b' ' + (i % 95) as u8))
        .collect()
}

fn memoer(w: &Workload) -> Memoer<LoopPort> {
    let mut keep = Keep::new();
    let vid = keep.insert_seed(&SEED);
    let options = MemoerOpts {
        code: w.code,
        curt: w.curt,
        size: Some(w.size),
        vid: Some(vid),
        keep,
        ..Default::default()
    };
    Memoer::with_options(LoopNet::new().port("bench"), options).expect("valid options")
}

/// Rends one memo (fresh mid each time, as HIO's `rend` does).
fn rend_once(memoer: &mut Memoer<LoopPort>, memo: &str) -> Vec<Vec<u8>> {
    memoer.rend(memo, None).expect("rend")
}

/// Reassembles one memo's grams and returns its length.
fn reassemble_once(reasm: &mut Reassembler<u16>, keep: &Keep, grams: &[Vec<u8>]) -> usize {
    for gram in grams {
        let _ = reasm.accept(gram, &6101, keep);
    }
    let mut len = 0;
    reasm.fuse(|memo| len += memo.memo.len());
    len
}

#[divan::bench(args = NAMES)]
fn rend(bencher: Bencher, name: &str) {
    let w = workload(name);
    let memo = memo(w);
    let mut memoer = memoer(w);
    bencher
        .counter(ItemsCount::new(1usize))
        .counter(BytesCount::new(memo.len()))
        .bench_local(|| rend_once(&mut memoer, black_box(&memo)));
}

#[divan::bench(args = NAMES)]
fn reassembly(bencher: Bencher, name: &str) {
    let w = workload(name);
    let memo = memo(w);
    let grams = rend_once(&mut memoer(w), &memo);
    let mut reasm = Reassembler::new();
    let keep = Keep::new();
    bencher
        .counter(ItemsCount::new(1usize))
        .counter(BytesCount::new(memo.len()))
        .bench_local(|| reassemble_once(&mut reasm, &keep, black_box(&grams)));
}

/// Times `f` for about `budget`, returning nanoseconds per call (the best
/// of five batches).
fn time_per_call(budget: Duration, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < budget / 10 {
        f();
        calls += 1;
    }
    let batch = (calls * 2).max(1);
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..batch {
            f();
        }
        best = best.min(t.elapsed().as_nanos() as f64 / batch as f64);
    }
    best
}

fn json_mode() {
    let budget = Duration::from_millis(
        std::env::var("HIO_MEMO_BENCH_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .unwrap_or(500),
    );
    for w in &WORKLOADS {
        let memo = memo(w);
        let mut memoer = memoer(w);
        let ns = time_per_call(budget, || {
            black_box(rend_once(&mut memoer, black_box(&memo)));
        });
        println!(
            r#"{{"name": "{}", "op": "rend", "bytes": {}, "ns_per_memo": {ns:.1}}}"#,
            w.name,
            memo.len()
        );
        let grams = rend_once(&mut memoer, &memo);
        let mut reasm = Reassembler::new();
        let keep = Keep::new();
        let ns = time_per_call(budget, || {
            let len = reassemble_once(&mut reasm, &keep, black_box(&grams));
            assert_eq!(len, memo.len());
        });
        println!(
            r#"{{"name": "{}", "op": "reassembly", "bytes": {}, "ns_per_memo": {ns:.1}}}"#,
            w.name,
            memo.len()
        );
    }
}

/// Frees a large allocation once, so that glibc's malloc raises its
/// dynamic mmap and trim thresholds (as a Python interpreter has long done
/// by the time it runs a benchmark). Without it, every 1 MiB rend would
/// return the heap top to the kernel on free and page-fault it back in on
/// the next run, and the bench would time the kernel, not the codec.
fn warm_allocator() {
    let block = black_box(vec![1u8; 8 << 20]);
    drop(block);
}

fn main() {
    warm_allocator();
    if std::env::var_os("HIO_MEMO_BENCH_JSON").is_some() {
        json_mode();
    } else {
        divan::main();
    }
}
