//! `hio bench`: the scheduler workloads of Python HIO's `pybench`
//! (`sched_bench.py`, `mem_bench.py`), so the same figures can be measured
//! here, and a memo round trip over UXD. Each prints JSON lines.

use std::process::ExitCode;
use std::time::Instant;

use clap::{Subcommand, ValueEnum};
use hio::{Cx, DoDoer, Doer, Doist, Done, Error, Handle, Result, doify};

/// `hio bench`'s subcommands.
#[derive(Subcommand)]
pub enum Args {
    /// Memo round trips per second between two UXD PeerMemoers (one JSON line).
    MemoUxd {
        /// Round trips.
        #[arg(long, default_value_t = 2000)]
        n: usize,
        /// Memo length in bytes.
        #[arg(long, default_value_t = 100)]
        size: usize,
    },
    /// Scheduler overhead (the pybench sched_bench/mem_bench workloads).
    Sched {
        /// Workload.
        #[arg(long, value_enum, default_value_t = Kind::Doer)]
        kind: Kind,
        /// Number of doers (leaves for `nested`).
        #[arg(long, default_value_t = 100)]
        n: usize,
        /// Total recurs; each doer recurs total / n times.
        #[arg(long, default_value_t = 2_000_000)]
        total: u64,
        /// Nesting depth for `nested`.
        #[arg(long, default_value_t = 3)]
        depth: u32,
        /// Fan-out per level for `nested`.
        #[arg(long, default_value_t = 10)]
        fanout: usize,
        /// Repetitions (one JSON line each).
        #[arg(long, default_value_t = 1)]
        reps: u32,
    },
}

/// `hio bench sched --kind`.
#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    Doer,
    Coroutine,
    Nested,
    Memory,
    MemoryCoroutine,
}

/// Runs `hio bench`, printing JSON lines on stdout.
pub fn main(args: Args) -> ExitCode {
    match args {
        Args::MemoUxd { n, size } => crate::exit(
            "bench",
            memo_uxd_round_trips(n, size).map(|rate| {
                println!(
                    "{{\"bench\":\"memo_uxd\",\"impl\":\"hio-rs\",\"n\":{n},\"size\":{size},\"round_trips_per_s\":{rate:.1}}}"
                );
            }),
        ),
        Args::Sched {
            kind,
            n,
            total,
            depth,
            fanout,
            reps,
        } => {
            let workload = match kind {
                Kind::Doer => Workload::Doer { n },
                Kind::Coroutine => Workload::Coroutine { n },
                Kind::Nested => Workload::Nested { depth, fanout },
                Kind::Memory => Workload::Memory {
                    n,
                    coroutine: false,
                },
                Kind::MemoryCoroutine => Workload::Memory { n, coroutine: true },
            };
            let reports = (0..reps).try_for_each(|rep| {
                run(workload, total).map(|report| println!("{}", report.to_json(rep)))
            });
            crate::exit("bench", reports)
        }
    }
}

/// One workload.
#[derive(Clone, Copy, Debug)]
enum Workload {
    /// `n` class doers, each complete after `total / n` recurs.
    Doer {
        /// Number of doers.
        n: usize,
    },
    /// `n` coroutine doers, each complete after `total / n` resumes.
    Coroutine {
        /// Number of doers.
        n: usize,
    },
    /// DoDoers `depth` levels deep, `fanout` wide, with class-doer leaves.
    Nested {
        /// Levels of DoDoers above the leaves.
        depth: u32,
        /// Children per DoDoer (and DoDoers at the top).
        fanout: usize,
    },
    /// `n` idle doers entered and run for 10 passes; reports RSS per doer.
    Memory {
        /// Number of doers.
        n: usize,
        /// Coroutine doers instead of class doers.
        coroutine: bool,
    },
}

/// What a workload measured.
#[derive(Clone, Debug)]
struct Report {
    /// Workload name (`doer`, `coroutine`, `nested`, `memory`).
    kind: &'static str,
    /// Doers (leaves for `nested`).
    n: usize,
    /// Recurs per doer.
    k: u64,
    /// Leaf recurs in all.
    recurs: u64,
    /// DoDoers (for `nested`).
    dodoers: usize,
    /// Wall seconds of the timed region (the whole `run`).
    elapsed_s: f64,
    /// Nanoseconds per leaf recur.
    ns_per_recur: f64,
    /// Nanoseconds per resume, DoDoers included (for `nested`).
    ns_per_resume: f64,
    /// Doist passes per second.
    ticks_per_s: f64,
    /// RSS growth per doer (for `memory`).
    bytes_per_doer: Option<f64>,
}

impl Report {
    /// One JSON line in the shape of pybench's output.
    fn to_json(&self, rep: u32) -> String {
        let bytes = self
            .bytes_per_doer
            .map_or("null".to_string(), |b| format!("{b:.1}"));
        format!(
            concat!(
                "{{\"bench\":\"sched\",\"impl\":\"hio-rs\",\"mode\":\"{}\",\"rep\":{},\"n\":{},\"k\":{},",
                "\"dodoers\":{},\"elapsed_s\":{:.6},\"ns_per_recur\":{:.3},\"ns_per_resume\":{:.3},",
                "\"ticks_per_s\":{:.1},\"bytes_per_doer\":{}}}"
            ),
            self.kind,
            rep,
            self.n,
            self.k,
            self.dodoers,
            self.elapsed_s,
            self.ns_per_recur,
            self.ns_per_resume,
            self.ticks_per_s,
            bytes
        )
    }
}

/// Counts its recurs; complete after `k`.
struct CountDoer {
    k: u64,
    count: u64,
}

impl Doer for CountDoer {
    fn enter(&mut self, _: &mut Cx<'_>) -> Result<()> {
        self.count = 0;
        Ok(())
    }
    #[inline]
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        self.count += 1;
        Ok(self.count >= self.k)
    }
}

/// Never completes.
struct IdleDoer;

impl Doer for IdleDoer {
    fn recur(&mut self, _: &mut Cx<'_>) -> Result<bool> {
        Ok(false)
    }
}

fn check(ok: bool, what: &str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!("benchmark check failed: {what}")))
    }
}

/// Runs `doist` to completion and times it.
fn timed(doist: &mut Doist) -> Result<f64> {
    let t0 = Instant::now();
    let done = doist.run()?;
    let elapsed = t0.elapsed().as_secs_f64();
    check(done == Done::Complete, "the Doist did not complete")?;
    Ok(elapsed)
}

/// Resident set size in KiB, from `/proc/self/status`.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs one workload with `total` leaf recurs (ignored by `Memory`).
fn run(workload: Workload, total: u64) -> Result<Report> {
    let mut doist = Doist::new(0.03125);
    let mut report = Report {
        kind: "",
        n: 0,
        k: 0,
        recurs: 0,
        dodoers: 0,
        elapsed_s: 0.0,
        ns_per_recur: 0.0,
        ns_per_resume: 0.0,
        ticks_per_s: 0.0,
        bytes_per_doer: None,
    };
    let (n, dodoers) = match workload {
        Workload::Doer { n } => {
            check(n > 0, "n must be positive")?;
            let k = (total / n as u64).max(1);
            let handles: Vec<Handle<CountDoer>> = (0..n)
                .map(|_| doist.add(CountDoer { k, count: 0 }))
                .collect();
            report.kind = "doer";
            report.k = k;
            report.elapsed_s = timed(&mut doist)?;
            check(
                handles.iter().all(|&h| {
                    doist.get(h).is_some_and(|d| d.count == k) && doist.done_of(h).is_complete()
                }),
                "every doer recurs k times and completes",
            )?;
            (n, 0)
        }
        Workload::Coroutine { n } => {
            check(n > 0, "n must be positive")?;
            let k = (total / n as u64).max(1);
            let handles: Vec<_> = (0..n)
                .map(|_| {
                    doist.add(doify(move |co| async move {
                        let mut count = 0;
                        loop {
                            co.yield_tock(0.0).await?;
                            count += 1;
                            if count >= k {
                                return Ok::<_, Error>(true);
                            }
                        }
                    }))
                })
                .collect();
            report.kind = "coroutine";
            report.k = k;
            report.elapsed_s = timed(&mut doist)?;
            check(
                handles.iter().all(|&h| doist.done_of(h).is_complete()),
                "every coroutine completes",
            )?;
            (n, 0)
        }
        Workload::Nested { depth, fanout } => {
            check(depth > 0 && fanout > 0, "depth and fanout must be positive")?;
            let leaves = fanout.pow(depth);
            let k = (total / leaves as u64).max(1);
            let mut dodoers = 0;
            for _ in 0..fanout {
                let top = nest(1, depth, fanout, k, &mut dodoers);
                match top {
                    Node::Leaf(d) => {
                        doist.add(d);
                    }
                    Node::Group(g) => {
                        doist.add(g);
                    }
                }
            }
            report.kind = "nested";
            report.k = k;
            report.elapsed_s = timed(&mut doist)?;
            (leaves, dodoers)
        }
        Workload::Memory { n, coroutine } => {
            check(n > 0, "n must be positive")?;
            let base = rss_kib();
            for _ in 0..n {
                if coroutine {
                    doist.add(doify(|co| async move {
                        loop {
                            co.yield_tock(0.0).await?;
                        }
                        #[allow(unreachable_code)]
                        Ok::<_, Error>(())
                    }));
                } else {
                    doist.add(IdleDoer);
                }
            }
            let t0 = Instant::now();
            doist.enter()?;
            const PASSES: u64 = 10;
            for _ in 0..PASSES {
                doist.recur()?;
            }
            report.elapsed_s = t0.elapsed().as_secs_f64();
            check(doist.deed_count() == n, "every idle doer stays running")?;
            let ran = rss_kib();
            doist.exit()?;
            report.kind = "memory";
            report.k = PASSES;
            report.bytes_per_doer = match (base, ran) {
                (Some(b), Some(r)) => Some(r.saturating_sub(b) as f64 * 1024.0 / n as f64),
                _ => None,
            };
            (n, 0)
        }
    };
    report.n = n;
    report.dodoers = dodoers;
    report.recurs = n as u64 * report.k;
    report.ns_per_recur = report.elapsed_s * 1e9 / report.recurs as f64;
    report.ns_per_resume = report.elapsed_s * 1e9 / ((n + dodoers) as u64 * report.k) as f64;
    report.ticks_per_s = report.k as f64 / report.elapsed_s;
    Ok(report)
}

enum Node {
    Leaf(CountDoer),
    Group(DoDoer),
}

fn nest(level: u32, depth: u32, fanout: usize, k: u64, dodoers: &mut usize) -> Node {
    if level == depth {
        return Node::Leaf(CountDoer { k, count: 0 });
    }
    let mut group = DoDoer::new();
    for _ in 0..fanout {
        match nest(level + 1, depth, fanout, k, dodoers) {
            Node::Leaf(d) => {
                group.add(d);
            }
            Node::Group(g) => {
                group.add(g);
            }
        }
    }
    *dodoers += 1;
    Node::Group(group)
}

/// Memo round trips per second between two UXD [`PeerMemoer`]s in one
/// process: A sends a memo of `memo_len` bytes, B echoes it, A receives
/// it; `n` times, one in flight. The same workload runs under Python HIO
/// in `tools/memo_interop/uxd_round_trip.py`.
fn memo_uxd_round_trips(n: usize, memo_len: usize) -> Result<f64> {
    use hio::uxd::{Peer, PeerMemoer};
    let mut a = PeerMemoer::new(Peer::temp("bench_a")?);
    let mut b = PeerMemoer::new(Peer::temp("bench_b")?);
    a.transport_mut().open()?;
    b.transport_mut().open()?;
    let b_path = b
        .transport()
        .path()
        .ok_or_else(|| Error::Invalid("UXD peer has no path".into()))?
        .to_path_buf();
    let memo: String = "m".repeat(memo_len.max(1));
    let t0 = Instant::now();
    for i in 0..n {
        a.memoit(memo.clone(), b_path.clone());
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        loop {
            a.service()?;
            b.service()?;
            while let Some(m) = b.inbox_mut().pop_front() {
                b.memoit(m.memo, m.src);
            }
            if let Some(back) = a.inbox_mut().pop_front() {
                check(back.memo.len() == memo.len(), "the echo matches")?;
                break;
            }
            check(
                Instant::now() < deadline,
                &format!("round trip {i} timed out"),
            )?;
        }
    }
    let rate = n as f64 / t0.elapsed().as_secs_f64();
    a.transport_mut().close_and_clear()?;
    b.transport_mut().close_and_clear()?;
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_doer_workload_counts_every_recur() {
        let report = run(Workload::Doer { n: 10 }, 1_000).unwrap();
        assert_eq!(report.recurs, 1_000);
        assert!(report.ns_per_recur > 0.0);
    }

    #[test]
    fn bench_memo_uxd_round_trips() {
        assert!(memo_uxd_round_trips(20, 100).unwrap() > 0.0);
    }
}
