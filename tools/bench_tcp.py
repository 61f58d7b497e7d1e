#!/usr/bin/env python3
"""TCP echo benchmark: `hio echo` beside tokio (current_thread), mio and Python
HIO 0.6.10, in one run, with the shared native load generator.

    python3 tools/bench_tcp.py [--secs 5] [--servers hio,tokio,mio,python] [--reps 1]

Needs (see ../shared/README.md):
    CARGO_TARGET_DIR=/tmp/hio-tools cargo build --release --manifest-path ../shared/loadgen/Cargo.toml
    CARGO_TARGET_DIR=/tmp/hio-tools cargo build --release --manifest-path ../shared/peers/Cargo.toml
    cargo build --release -p hio-cli
    python3 -m venv /tmp/hio-py && /tmp/hio-py/bin/pip install hio==0.6.10

Each server runs pinned to CPU 0 and the load generator to CPU 1. Per server:
rr at C=10 and C=100 (64-byte messages, one in flight per connection), bulk
(1 MiB x 200), then 10,000 idle connections held open while rr C=10 runs
beside them, with the server's RSS sampled while they are held. Loopback
only; every run is bounded and every server stops by itself.
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(ROOT, "..", "shared")
TOOLS = "/tmp/hio-tools/release"
LOADGEN = os.path.join(TOOLS, "loadgen")


def server_cmd(kind, port, secs, py):
    if kind == "hio":
        return [os.path.join(ROOT, "target", "release", "hio"), "echo", "--port", str(port), "--duration", str(secs)]
    if kind == "tokio":
        return [os.path.join(TOOLS, "tokio_echo"), "--port", str(port), "--duration", str(secs), "--flavor", "current"]
    if kind == "mio":
        return [os.path.join(TOOLS, "mio_echo"), "--port", str(port), "--duration", str(secs)]
    if kind == "python":
        return [py, os.path.join(SHARED, "pybench", "tcp_echo_server.py"), "--port", str(port), "--duration", str(secs)]
    raise SystemExit("unknown server " + kind)


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


def loadgen(port, *args):
    cmd = ["taskset", "-c", "1", LOADGEN, "--port", str(port)] + [str(a) for a in args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise RuntimeError("loadgen failed: %s %s" % (out.stdout[-300:], out.stderr[-300:]))
    return json.loads(lines[-1])


def wait_listening(port, proc, timeout=10.0):
    import socket
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited early")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not listen on %d" % port)


def bench_server(kind, port, secs, py):
    budget = 4 * secs + 90
    proc = subprocess.Popen(["taskset", "-c", "0"] + server_cmd(kind, port, budget, py),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    res = {"server": kind}
    try:
        wait_listening(port, proc)
        base_rss = rss_kib(proc.pid)
        for c in (10, 100):
            r = loadgen(port, "--mode", "rr", "--conns", c, "--size", 64, "--warmup", 0.5, "--duration", secs)
            res["rr%d" % c] = r["rt_per_s"]
            res["rr%d_p50_us" % c] = r["lat_p50_us"]
            res["rr%d_p99_us" % c] = r["lat_p99_us"]
        r = loadgen(port, "--mode", "bulk", "--bulk-bytes", 1 << 20, "--bulk-reps", 200, "--duration", 60)
        res["bulk_mib_s"] = r.get("mib_per_s", r.get("payload_mib_per_s"))
        # 10,000 idle connections held open while 10 stay busy.
        hold = secs + 20
        holder = subprocess.Popen(["taskset", "-c", "1", LOADGEN, "--port", str(port), "--mode", "conns",
                                   "--max-conns", "10000", "--hold", str(hold), "--duration", "30"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        end = time.time() + 60
        while fds(proc.pid) < 10000 and time.time() < end and holder.poll() is None:
            time.sleep(0.2)
        res["idle_conns_open"] = fds(proc.pid)
        res["rss_10k_mib"] = (rss_kib(proc.pid) or 0) / 1024.0
        res["rss_base_mib"] = (base_rss or 0) / 1024.0
        r = loadgen(port, "--mode", "rr", "--conns", 10, "--size", 64, "--warmup", 0.5, "--duration", secs)
        # A server too slow to answer during the run reports no rate.
        res["rr10_with_10k_idle"] = r.get("rt_per_s", 0.0)
        out, _ = holder.communicate(timeout=hold + 120)
        lines = [l for l in out.splitlines() if l.startswith("{")]
        if lines:
            h = json.loads(lines[-1])
            res["idle_held_verified"] = h.get("held")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--secs", type=float, default=5.0)
    ap.add_argument("--servers", default="hio,tokio,mio,python")
    ap.add_argument("--py", default="/tmp/hio-py/bin/python")
    ap.add_argument("--port", type=int, default=27500)
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    kinds = a.servers.split(",")
    runs = {k: [] for k in kinds}
    port = a.port
    for _ in range(a.reps):
        for k in kinds:
            port += 1
            r = bench_server(k, port, a.secs, a.py)
            print(json.dumps(r), file=sys.stderr, flush=True)
            runs[k].append(r)
    keys = ["rr10", "rr10_p50_us", "rr10_p99_us", "rr100", "rr100_p50_us", "rr100_p99_us", "bulk_mib_s",
            "rr10_with_10k_idle", "rss_10k_mib", "idle_held_verified"]
    med = {k: {key: statistics.median([r[key] for r in runs[k] if r.get(key) is not None] or [0]) for key in keys}
           for k in kinds}
    print("runs: %s" % json.dumps(runs), file=sys.stderr)
    print("| server | rt/s C=10 | p50/p99 µs | rt/s C=100 | p50/p99 µs | bulk MiB/s | rt/s C=10 + 10k idle | RSS with 10k idle |")
    print("|---|---|---|---|---|---|---|---|")
    for k in kinds:
        m = med[k]
        print("| %s | %.0fk | %.0f / %.0f | %.0fk | %.0f / %.0f | %.0f | %.0fk | %.1f MiB |" % (
            k, m["rr10"] / 1e3, m["rr10_p50_us"], m["rr10_p99_us"], m["rr100"] / 1e3, m["rr100_p50_us"],
            m["rr100_p99_us"], m["bulk_mib_s"], m["rr10_with_10k_idle"] / 1e3, m["rss_10k_mib"]))
    if "hio" in kinds:
        h = med["hio"]
        for k in kinds:
            if k == "hio":
                continue
            m = med[k]
            print("\nhio / %s: rr10 %.2fx, rr100 %.2fx, bulk %.2fx, rr10 with 10k idle %.2fx" % (
                k, h["rr10"] / max(m["rr10"], 1), h["rr100"] / max(m["rr100"], 1),
                h["bulk_mib_s"] / max(m["bulk_mib_s"], 1), h["rr10_with_10k_idle"] / max(m["rr10_with_10k_idle"], 1)))
        print("hio with 10k idle / without: %.2f" % (h["rr10_with_10k_idle"] / max(h["rr10"], 1)))


if __name__ == "__main__":
    main()
