#!/usr/bin/env python3
"""HTTP benchmark: hio's `http_hello` example beside hyper (current_thread) and
Python HIO 0.6.10, in one run, with wrk.

    python3 tools/bench_http.py [--secs 5] [--servers hio,hyper,python] [--reps 1]

Needs: `apt-get install -y wrk`, `cargo build --release -p hio --example http_hello`,
the shared peers (`CARGO_TARGET_DIR=/tmp/hio-tools cargo build --release --manifest-path
../shared/peers/Cargo.toml`) and Python HIO (`/tmp/hio-py`, see ../shared/README.md).

Each server is pinned to CPU 0 and wrk (-t1) to CPU 1. Loads: keep-alive at -c10 and
-c100, and `Connection: close` at -c10. Loopback only; every server stops by itself.
"""
import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(ROOT, "..", "shared")


def server_cmd(kind, port, secs, py):
    if kind == "hio":
        return [os.path.join(ROOT, "target", "release", "examples", "http_hello"), "--port", str(port)]
    if kind == "hyper":
        return ["/tmp/hio-tools/release/hyper_hello", "--port", str(port), "--duration", str(secs), "--flavor", "current"]
    if kind == "python":
        return [py, os.path.join(SHARED, "pybench", "http_server.py"), "--port", str(port), "--duration", str(secs)]
    raise SystemExit("unknown server " + kind)


def wait_listening(port, proc):
    end = time.time() + 10
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("no listener on %d" % port)


def wrk(port, conns, secs, close):
    cmd = ["taskset", "-c", "1", "wrk", "-t1", "-c%d" % conns, "-d%ds" % secs]
    if close:
        cmd += ["-H", "Connection: close"]
    cmd.append("http://127.0.0.1:%d/" % port)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 60).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    lat = re.search(r"Latency\s+([\d.]+)(\w+)", out)
    rps = float(m.group(1)) if m else 0.0
    return rps, (lat.group(1) + lat.group(2)) if lat else "?"


def bench(kind, port, secs, py):
    proc = subprocess.Popen(["taskset", "-c", "0"] + server_cmd(kind, port, 3 * secs + 60, py),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        res = {"server": kind}
        res["ka10"], res["ka10_lat"] = wrk(port, 10, secs, False)
        res["ka100"], res["ka100_lat"] = wrk(port, 100, secs, False)
        res["close10"], res["close10_lat"] = wrk(port, 10, secs, True)
        return res
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--secs", type=int, default=5)
    ap.add_argument("--servers", default="hio,hyper,python")
    ap.add_argument("--py", default="/tmp/hio-py/bin/python")
    ap.add_argument("--port", type=int, default=27900)
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    kinds = a.servers.split(",")
    runs = {k: [] for k in kinds}
    port = a.port
    for _ in range(a.reps):
        for k in kinds:
            port += 1
            r = bench(k, port, a.secs, a.py)
            print(r, file=sys.stderr, flush=True)
            runs[k].append(r)
    med = {k: {key: statistics.median([r[key] for r in runs[k]]) for key in ("ka10", "ka100", "close10")} for k in kinds}
    print("| server | keep-alive -c10 req/s | keep-alive -c100 req/s | Connection: close -c10 req/s |")
    print("|---|---|---|---|")
    for k in kinds:
        m = med[k]
        print("| %s | %.0fk | %.0fk | %.1fk |" % (k, m["ka10"] / 1e3, m["ka100"] / 1e3, m["close10"] / 1e3))
    if "hio" in kinds:
        for k in kinds:
            if k != "hio":
                print("\nhio / %s: keep-alive c10 %.2fx, c100 %.2fx, close %.2fx" % (
                    k, med["hio"]["ka10"] / max(med[k]["ka10"], 1), med["hio"]["ka100"] / max(med[k]["ka100"], 1),
                    med["hio"]["close10"] / max(med[k]["close10"], 1)))


if __name__ == "__main__":
    main()
