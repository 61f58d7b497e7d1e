#!/usr/bin/env python3
"""Scheduler benchmark: hio-rs beside Python HIO, in the same run.

    python3 tools/bench_sched.py [--py /tmp/hio-py/bin/python] [--reps 3]

Runs `hio bench sched` (target/release/hio) and Python HIO's
../shared/pybench/sched_bench.py and mem_bench.py with the same workloads,
alternating them, and prints a Markdown table of medians and ratios.
Python HIO: python3 -m venv /tmp/hio-py && /tmp/hio-py/bin/pip install hio==0.6.10
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
PYBENCH = os.path.join(ROOT, "..", "shared", "pybench")
HIO = os.path.join(ROOT, "target", "release", "hio")

# (label, hio args, python script + args, metric)
CASES = [
    ("Doer, N=1", ["--kind", "doer", "--n", "1"], ["sched_bench.py", "--mode", "doer", "--n", "1"], "ns_per_recur"),
    ("Doer, N=100", ["--kind", "doer", "--n", "100"], ["sched_bench.py", "--mode", "doer", "--n", "100"], "ns_per_recur"),
    ("Doer, N=10,000", ["--kind", "doer", "--n", "10000"], ["sched_bench.py", "--mode", "doer", "--n", "10000"], "ns_per_recur"),
    ("coroutine (doify), N=1", ["--kind", "coroutine", "--n", "1"], ["sched_bench.py", "--mode", "gen", "--n", "1"], "ns_per_recur"),
    ("coroutine (doify), N=100", ["--kind", "coroutine", "--n", "100"], ["sched_bench.py", "--mode", "gen", "--n", "100"], "ns_per_recur"),
    ("coroutine (doify), N=10,000", ["--kind", "coroutine", "--n", "10000"], ["sched_bench.py", "--mode", "gen", "--n", "10000"], "ns_per_recur"),
    ("nested 3×10, per leaf recur", ["--kind", "nested"], ["sched_bench.py", "--mode", "nested", "--depth", "3", "--fanout", "10"], "ns_per_recur"),
    ("nested 3×10, per resume", ["--kind", "nested"], ["sched_bench.py", "--mode", "nested", "--depth", "3", "--fanout", "10"], "ns_per_resume"),
    ("100k idle Doers, bytes/doer", ["--kind", "memory", "--n", "100000"], ["mem_bench.py", "--kind", "doer", "--n", "100000"], "bytes_per_doer"),
    ("100k idle coroutines, bytes/doer", ["--kind", "memory-coroutine", "--n", "100000"], ["mem_bench.py", "--kind", "gen", "--n", "100000"], "bytes_per_doer"),
]


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--py", default="/tmp/hio-py/bin/python")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--total", type=int, default=2_000_000)
    a = ap.parse_args()
    if not os.path.exists(HIO):
        sys.exit("build first: cargo build --release -p hio-cli")
    rows = []
    for label, hargs, pargs, metric in CASES:
        rs, ps = [], []
        for _ in range(a.reps):
            rs.append(run_json([HIO, "bench", "sched", "--total", str(a.total)] + hargs)[metric])
            extra = ["--total", str(a.total)] if pargs[0] == "sched_bench.py" else []
            ps.append(run_json([a.py, os.path.join(PYBENCH, pargs[0])] + pargs[1:] + extra)[metric])
        r, p = statistics.median(rs), statistics.median(ps)
        rows.append((label, metric, r, p, p / r if r else float("nan")))
        print(f"{label}: hio-rs {r:.2f}, Python {p:.1f}, ratio {p / r:.0f}x", file=sys.stderr, flush=True)
    print("| workload | metric | hio-rs | Python HIO 0.6.10 | Python / hio-rs |")
    print("|---|---|---|---|---|")
    for label, metric, r, p, ratio in rows:
        print(f"| {label} | {metric} | {r:.2f} | {p:.1f} | {ratio:.0f}× |")


if __name__ == "__main__":
    main()
