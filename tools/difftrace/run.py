#!/usr/bin/env python3
"""Differential test: random scenarios, Python HIO 0.7.20 (pytrace.py) vs `hio trace`.

    run.py [-n N] [--start S] [--hio PATH] [--dir DIR] [--jobs J] [--minimize OUTDIR]

1. gen.py writes N scenarios (seeds S..S+N-1) into DIR (default: a fresh temp dir);
2. pytrace.py (in-process, 5 s / 20000-row budget per scenario) writes NAME.expected.jsonl
   beside each one; scenarios over budget (non-terminating) are deleted;
3. /work/shared/tools/trace_check.py compares the hio binary against them and its
   failure lines are printed;
4. with --minimize OUTDIR each failing scenario is shrunk by minimize.py into
   OUTDIR/min-SEED.json + .expected.jsonl.
Must run under the Python that has HIO 0.7.20 installed (see README.md).
"""
import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen  # noqa: E402
import oracle  # noqa: E402

CHECK = "/work/shared/tools/trace_check.py"


def make_one(args):
    seed, out = args
    sc = gen.generate(seed)
    exp = oracle.expected(sc)
    stem = os.path.join(out, "gen-%06d" % seed)
    if exp is None:
        return seed, False
    with open(stem + ".json", "w") as f:
        json.dump(sc, f, indent=1)
        f.write("\n")
    with open(stem + ".expected.jsonl", "w") as f:
        f.write(oracle.dump_jsonl(exp))
    return seed, True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--hio", default=os.path.join(HERE, "..", "..", "target", "release", "hio"))
    ap.add_argument("--dir")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--minimize", metavar="OUTDIR")
    a = ap.parse_args()

    out = a.dir or tempfile.mkdtemp(prefix="difftrace-")
    os.makedirs(out, exist_ok=True)
    with multiprocessing.Pool(a.jobs) as pool:
        results = pool.map(make_one, [(s, out) for s in range(a.start, a.start + a.n)], chunksize=8)
    kept = sum(ok for _, ok in results)
    print("generated %d scenarios in %s; %d kept, %d dropped (non-terminating in Python)"
          % (a.n, out, kept, a.n - kept), flush=True)

    res = subprocess.run([sys.executable, CHECK, os.path.abspath(a.hio), out],
                         capture_output=True, text=True)
    lines = res.stdout.splitlines()
    for line in lines:
        print(line)
    failing = [l.split(".json:")[0] for l in lines if ".json:" in l]
    if a.minimize and failing:
        os.makedirs(a.minimize, exist_ok=True)
        for stem in failing:
            seed = stem.split("-")[-1]
            subprocess.run([sys.executable, os.path.join(HERE, "minimize.py"), os.path.abspath(a.hio),
                            os.path.join(out, stem + ".json"),
                            os.path.join(a.minimize, "min-" + seed), "--same-diff"])
    sys.exit(res.returncode)


if __name__ == "__main__":
    main()
