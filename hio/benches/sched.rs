//! Scheduler benchmarks, the workloads of Python HIO's `pybench`
//! `sched_bench.py`, with tokio's current-thread runtime measured in the
//! same run for comparison. Run with `cargo bench -p hio --bench sched`.
//!
//! Each `hio_*` bench times one Doist pass over `n` doers that never finish
//! (throughput is per doer step); `tokio_yield` times `n` tasks that each
//! `yield_now` 100 times (throughput per task step).

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use hio::{Cx, DoDoer, Doer, Doist, Error, Result, doify};

fn main() {
    divan::main();
}

const SIZES: [usize; 3] = [1, 100, 10_000];

/// Counts its recurs and never completes.
struct Count(u64);

impl Doer for Count {
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        self.0 += 1;
        Ok(false)
    }
}

/// A Doist already entered, so the bench times passes only.
fn entered(doist: Doist) -> Doist {
    let mut doist = doist;
    doist.enter().expect("enter");
    doist
}

#[divan::bench(args = SIZES)]
fn hio_doer(bencher: Bencher, n: usize) {
    let mut doist = Doist::new(0.03125);
    for _ in 0..n {
        doist.add(Count(0));
    }
    let mut doist = entered(doist);
    bencher
        .counter(ItemsCount::new(n))
        .bench_local(|| doist.recur().expect("pass"));
}

#[divan::bench(args = SIZES)]
fn hio_coroutine(bencher: Bencher, n: usize) {
    let mut doist = Doist::new(0.03125);
    for _ in 0..n {
        doist.add(doify(|co| async move {
            let mut count = 0u64;
            loop {
                co.yield_tock(0.0).await?;
                count += 1;
                black_box(count);
            }
            #[allow(unreachable_code)]
            Ok::<_, Error>(())
        }));
    }
    let mut doist = entered(doist);
    bencher
        .counter(ItemsCount::new(n))
        .bench_local(|| doist.recur().expect("pass"));
}

/// Depth 3 × fan-out 10: 10 + 100 DoDoers over 1,000 leaves; throughput is
/// per resume (leaves and DoDoers).
#[divan::bench]
fn hio_nested(bencher: Bencher) {
    let mut doist = Doist::new(0.03125);
    for _ in 0..10 {
        let mut mid = DoDoer::new();
        for _ in 0..10 {
            let mut low = DoDoer::new();
            for _ in 0..10 {
                low.add(Count(0));
            }
            mid.add(low);
        }
        doist.add(mid);
    }
    let mut doist = entered(doist);
    bencher
        .counter(ItemsCount::new(1_110usize))
        .bench_local(|| doist.recur().expect("pass"));
}

#[divan::bench(args = SIZES)]
fn tokio_yield(bencher: Bencher, n: usize) {
    const K: usize = 100;
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    bencher.counter(ItemsCount::new(n * K)).bench_local(|| {
        rt.block_on(async {
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    tokio::task::spawn(async {
                        for _ in 0..K {
                            tokio::task::yield_now().await;
                        }
                    })
                })
                .collect();
            for t in tasks {
                t.await.expect("task");
            }
        })
    });
}
