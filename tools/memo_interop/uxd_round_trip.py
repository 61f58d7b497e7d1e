#!/usr/bin/env python3
"""Memo round trips between two UXD PeerMemoers, hio-rs beside Python HIO
0.7.20, in the same run.

    /tmp/hio-venv/bin/python tools/memo_interop/uxd_round_trip.py [--n 2000] [--size 100] [--reps 3]

hio-rs: `hio bench memo-uxd` (target/release/hio; build it first). Python: two
`uxd.PeerMemoer`s in one process, serviced by hand in the same ping-pong loop:
A sends a memo, B echoes it, A receives it, one in flight. Needs a Python
with HIO 0.7.20 installed (see tools/memo_interop/memo_interop.py).
"""
import argparse
import json
import os
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def python_round_trips(n, size):
    from hio.core.uxd import peermemoing as uxdpm
    memo = "m" * size
    with uxdpm.openPM(name="pybench_a", temp=True) as a, uxdpm.openPM(name="pybench_b", temp=True) as b:
        t0 = time.perf_counter()
        for i in range(n):
            a.memoit(memo, b.path)
            deadline = time.perf_counter() + 5
            while True:
                a.service()
                b.service()
                while b.inbox:
                    m, src, _vid = b.inbox.popleft()
                    b.memoit(m, src)
                if a.inbox:
                    back = a.inbox.popleft()
                    assert len(back[0]) == size
                    break
                if time.perf_counter() > deadline:
                    raise SystemExit("python round trip %d timed out" % i)
        return n / (time.perf_counter() - t0)


def rust_round_trips(n, size):
    out = subprocess.run([os.path.join(ROOT, "target", "release", "hio"), "bench", "memo-uxd",
                          "--n", str(n), "--size", str(size)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["round_trips_per_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--size", type=int, default=100)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    rs, py = [], []
    for _ in range(a.reps):
        rs.append(rust_round_trips(a.n, a.size))
        py.append(python_round_trips(a.n, a.size))
    r, p = statistics.median(rs), statistics.median(py)
    print("| memo size | hio-rs round trips/s | Python HIO 0.7.20 | ratio |")
    print("|---|---|---|---|")
    print("| %d B | %.0f | %.0f | %.0f× |" % (a.size, r, p, r / p))


if __name__ == "__main__":
    main()
