#!/usr/bin/env python3
"""Memogram interop and speed: hio-rs against Python HIO 0.7.20.

    python3 tools/memo_interop/memo_interop.py check   [--cases 5000] [--seed 1]
    python3 tools/memo_interop/memo_interop.py vectors [--cases 120]  [--seed 7]
    python3 tools/memo_interop/memo_interop.py corpus
    python3 tools/memo_interop/memo_interop.py bench   [--reps 3] [--ms 500]

Run it with a Python that has HIO 0.7.20 (the snapshot head) installed:

    git --git-dir=<mirror of ioflo/hio> archive HEAD | tar -x -C /tmp/hio-snap
    python3.13 -m venv /tmp/hio-venv
    /tmp/hio-venv/bin/pip install --ignore-requires-python /tmp/hio-snap
    /tmp/hio-venv/bin/python tools/memo_interop/memo_interop.py check

check    random (memo, size, code, curt, signer, mid) cases: Python renders,
         hio-rs renders the same case and must match byte for byte (except
         the one deliberate difference: binary unsigned memos of 1-8 bytes,
         where Python writes gram count 0 and hio-rs writes 1); each side
         then decodes the other's grams. hio-rs runs as the ignored test
         `interop_live` in hio/tests/memo/interop.rs.
vectors  writes tools/memo_interop/vectors.txt, the cases that
         hio/tests/memo/interop.rs replays on every `cargo test`.
corpus   writes the seed corpus of the fuzz target memo_grams.
bench    runs `cargo bench --bench memo` in JSON mode and times Python HIO's
         rend and reassembly on the same workloads, alternating, and prints a
         table of medians and ratios.

Case file format (one case per line, space separated, `-` for empty):
    id code curt size mid seed_hex memo_hex gram_hex,gram_hex,...
"""
import argparse
import base64
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

try:
    import pysodium
    from hio.core.memo import memoing
    from hio.core.memo.memoing import Keyage
except ImportError as ex:  # pragma: no cover
    sys.exit(f"needs Python HIO 0.7.20 and pysodium ({ex}); see the docstring")

Memoer = memoing.Memoer
ZEROTH = ["bAAA", "bAAC", "bAAE", "bAAG"]
SIGNED = {"bAAC", "bAAG"}

# makeMID is replaced so that each case renders with a chosen mid.
_MID = ["0AD5s502N14R8bWw8qyvRW-S"]
Memoer.makeMID = classmethod(lambda cls, code="0A": _MID[0])


def mid_of(raw16):
    """The 0A mid of 16 raw bytes, as Python HIO builds it from a uuid."""
    return "0A" + base64.urlsafe_b64encode(bytes(2) + raw16)[2:].decode()


def overhead(code, curt):
    oz = 32 + (44 + 88 if code in ("bAAC", "bAAG") else 0)
    return oz * 3 // 4 if curt else oz


def keyed(seed):
    verkey, _ = pysodium.crypto_sign_seed_keypair(seed)
    vid = Memoer._encodeVID(raw=verkey)
    return vid, {vid: Keyage(qvk=vid, qss=Memoer._encodeQSS(raw=seed))}


CHARS = [
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?-_'\"",
    "éèêëàâäôöûüçñßøåÆŒ",
    "漢字かなカナ한국어中文",
    "😀🚀🌍🎉🔑",
]


def random_memo(rng, maxlen):
    n = rng.choice([0, 1, 2, 5, 8, 9, 10, rng.randint(0, 40), rng.randint(0, maxlen), rng.randint(0, maxlen)])
    pools = rng.sample(CHARS, rng.randint(1, len(CHARS)))
    alphabet = "".join(pools)
    return "".join(rng.choice(alphabet) for _ in range(n))


def random_case(rng, ident, maxlen):
    code = rng.choice(ZEROTH)
    curt = rng.random() < 0.5
    floor = overhead(code, curt) + 1
    if curt and code not in SIGNED:
        floor = 33  # Python HIO divides by zero or loops forever below 33 here
    roll = rng.random()
    if roll < 0.6:
        size = floor + rng.randint(0, 120)
    elif roll < 0.9:
        size = rng.randint(floor, 1500)
    else:
        size = rng.randint(floor, 65535)
    memo = random_memo(rng, maxlen)
    seed = rng.randbytes(32) if code in SIGNED else None
    return dict(id=ident, code=code, curt=curt, size=size, mid=mid_of(rng.randbytes(16)), seed=seed, memo=memo)


class PythonCrash(Exception):
    """Python HIO raised while rendering (binary unsigned memos of 1-8 bytes
    at small sizes make its gram count negative: OverflowError)."""


def python_rend(case):
    _MID[0] = case["mid"]
    kwa = dict(code=case["code"], curt=case["curt"], size=case["size"])
    if case["seed"] is not None:
        vid, keep = keyed(case["seed"])
        kwa.update(vid=vid, keep=keep)
    m = Memoer(**kwa)
    try:
        return [bytes(g) for g in m.rend(case["memo"])]
    except Exception as ex:
        raise PythonCrash(f"{type(ex).__name__}: {ex}") from ex


def rendered_cases(rng, count, maxlen, fix=None):
    """`count` random cases with Python's grams, skipping (and counting) the
    cases where Python HIO itself raises."""
    cases, crashes = [], 0
    while len(cases) < count:
        case = random_case(rng, len(cases), maxlen)
        if fix:
            fix(case, rng)
        try:
            cases.append((case, python_rend(case)))
        except PythonCrash:
            crashes += 1
    return cases, crashes


def python_decode(grams, rng):
    """Python HIO's receive path; the zeroth gram first (Python drops signed
    later grams that come before it), the rest shuffled."""
    r = Memoer(echoic=True)
    r.opened = True
    rest = grams[1:]
    rng.shuffle(rest)
    for gram in grams[:1] + rest:
        r.echos.append((gram, "rust"))
    r.serviceAllRx()
    return list(r.inbox)


def fmt_line(case, grams):
    return " ".join([
        str(case["id"]), case["code"], "1" if case["curt"] else "0", str(case["size"]), case["mid"],
        case["seed"].hex() if case["seed"] is not None else "-",
        case["memo"].encode().hex() or "-",
        ",".join(g.hex() for g in grams) or "-",
    ])


def parse_rust_out(path):
    out = {}
    with open(path) as f:
        for line in f:
            ident, status, grams = line.split()
            out[int(ident)] = (status, [] if grams == "-" else [bytes.fromhex(g) for g in grams.split(",")])
    return out


def cmd_check(a):
    rng = random.Random(a.seed)
    t0 = time.time()
    rendered, crashes = rendered_cases(rng, a.cases, a.maxlen)
    cases = [case for case, _ in rendered]
    print(f"python rendered {len(cases)} cases in {time.time() - t0:.1f}s "
          f"(skipped {crashes} on which Python HIO raises)", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        cin, cout = os.path.join(tmp, "cases.txt"), os.path.join(tmp, "rust.txt")
        with open(cin, "w") as f:
            for case, grams in rendered:
                f.write(fmt_line(case, grams) + "\n")
        env = dict(os.environ, HIO_MEMO_INTEROP_IN=cin, HIO_MEMO_INTEROP_OUT=cout)
        cmd = ["cargo", "test", "-q", "-p", "hio", "--release", "--test", "memo", "--",
               "--ignored", "--exact", "interop::interop_live", "--nocapture"]
        run = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        sys.stderr.write(run.stdout[-3000:] + run.stderr[-3000:])
        if not os.path.exists(cout):
            sys.exit("hio-rs produced no output")
        rust = parse_rust_out(cout)
    statuses = {}
    py_decode_ok = py_decode_bad = 0
    drng = random.Random(a.seed + 1)
    for case in cases:
        status, grams = rust[case["id"]]
        statuses[status] = statuses.get(status, 0) + 1
        inbox = python_decode(grams, drng) if grams else []
        want_vid = keyed(case["seed"])[0] if case["seed"] is not None else None
        want = [(case["memo"], "rust", want_vid)] if case["memo"] else []
        if inbox == want:
            py_decode_ok += 1
        else:
            py_decode_bad += 1
            print(f"case {case['id']}: Python decoded {inbox!r:.200} from hio-rs grams", file=sys.stderr)
    print(json.dumps(dict(cases=len(cases), python_raised_skipped=crashes, rust=statuses, python_decodes_rust_ok=py_decode_ok,
                          python_decodes_rust_bad=py_decode_bad, cargo_exit=run.returncode)))
    return 0 if run.returncode == 0 and py_decode_bad == 0 else 1


def cmd_vectors(a):
    def smaller(case, rng):
        if case["size"] > 2000:
            case["size"] = rng.randint(overhead(case["code"], case["curt"]) + 1, 2000)
            if case["curt"] and case["code"] not in SIGNED:
                case["size"] = max(case["size"], 33)

    rendered, _ = rendered_cases(random.Random(a.seed), a.cases, a.maxlen, smaller)
    with open(a.out, "w") as f:
        for case, grams in rendered:
            f.write(fmt_line(case, grams) + "\n")
    print(f"wrote {a.cases} cases to {a.out}", file=sys.stderr)


def frame(grams, flags=0):
    out = bytearray([flags])
    for g in grams:
        out += len(g).to_bytes(2, "big") + g
    return bytes(out)


# HIO v0.7.19 (legacy format), code "_-", binary, size 140, seed 00..1f,
# memo "Hello There, how are you?".
LEGACY_SIGNED_BINARY = [
    "ffe0f9b39d36375e11f1b5b0f2acaf456f920403a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1d"
    "dc8664125531b800000000000248656c6c6f2054686572652c20686f7720d010fda122d129e590fa502b53c6"
    "45581004602896760203a4b9475d6b31b15ef557b75fca33e0fbae5199d0febab88765427bc511277949d091"
    "1a8381d0f1807702",
    "ffe0f9b39d36375e11f1b5b0f2acaf456f920403a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1d"
    "dc8664125531b800000161726520796f753fd01099254635acf2a9817a650cb51110fd082662c543d9870c2c"
    "e6c0da629ab46ae3e46b1bc21fb3f69fa46ddd5c89c9994d400307afa0f9763821546d8ded83b60b",
]


def cmd_corpus(a):
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(3)
    seeds = {}
    # Python HIO grams of every zeroth code, both encodings, in and out of order.
    def smaller(case, rng):
        case["size"] = min(case["size"], 400)
        if case["curt"] and case["code"] not in SIGNED:
            case["size"] = max(case["size"], 33)

    for i, (case, grams) in enumerate(rendered_cases(rng, 24, 200, smaller)[0]):
        if i % 3 == 1:
            grams = grams[::-1]
        seeds[f"py_{case['code']}_{int(case['curt'])}_{i}"] = frame(grams, flags=i % 16)
    # The spec's scenarios.
    mid = "0AD5s502N14R8bWw8qyvRW-S"
    seeds["s2_text_segments"] = frame([f"bAAAAAAD{mid}See ya".encode(), f"bAABAAAB{mid} later".encode(),
                                       f"bAABAAAC{mid}!".encode()])
    seeds["s4_out_of_order"] = frame([f"bAABAAAB{mid} there".encode(), f"bAAAAAAC{mid}hello".encode()])
    seeds["s9_unknown_code"] = frame([f"bXYZAAAB{mid}hello".encode()])
    seeds["s9_bad_neck"] = frame([f"bAAAAA=B{mid}hello".encode()])
    seeds["s9_hole"] = frame([f"bAAAAAAC{mid}hello".encode(), f"bAABAAAC{mid} world".encode()])
    seeds["s9_bad_utf8"] = frame([f"bAAAAAAB{mid}".encode() + b"\xc3\x28"])
    seeds["s9_ack"] = frame([f"bAAIAAAB{mid}".encode()])
    seeds["s10_count_zero"] = frame([bytes.fromhex("6c0000000000d000f9b39d36375e11f1b5b0f2acaf456f924869")])
    seeds["s14_legacy_signed_binary"] = frame([bytes.fromhex(LEGACY_SIGNED_BINARY[1]),
                                               bytes.fromhex(LEGACY_SIGNED_BINARY[0])], flags=3)
    seeds["s14_legacy"] = frame([b"__D5s502N14R8bWw8qyvRW-SAAAAAAACSee ya", b"__D5s502N14R8bWw8qyvRW-SAAAB later!"], flags=1)
    # Round-trip mode seeds: flags 0x10, code/curt byte, size, memo.
    for n, (cc, size, memo) in enumerate([(0, 38, b"See ya later!"), (4, 38, b"See ya later alligator!"),
                                          (1, 170, b"Hello There, how are you?"), (5, 130, "h\u00e9llo w\u00f6rld".encode()),
                                          (2, 40, b"\xff\xfe not utf-8"), (3, 200, b"x" * 700)]):
        seeds[f"roundtrip_{n}"] = bytes([0x10 | n]) + bytes([cc]) + size.to_bytes(2, "big") + memo
    for name, data in seeds.items():
        with open(os.path.join(a.out, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {a.out}", file=sys.stderr)


# ---- bench ----

WORKLOADS = [  # must match hio/benches/memo.rs
    ("small_11B", 11, "bAAA", False, 65535),
    ("text_64KiB_udp", 65536, "bAAA", False, 1240),
    ("binary_64KiB_udp", 65536, "bAAA", True, 1240),
    ("text_1MiB_uxd", 1 << 20, "bAAA", False, 65535),
    ("signed_small_11B", 11, "bAAC", False, 65535),
    ("signed_4KiB_udp", 4096, "bAAC", False, 1240),
]


def bench_memo(n):
    if n == 11:
        return "Hello There"
    return "".join(chr(32 + i % 95) for i in range(n))


def time_per_call(budget, f):
    """Best of five batches, after a calibration run of budget/10."""
    t0 = time.perf_counter()
    calls = 0
    while time.perf_counter() - t0 < budget / 10:
        f()
        calls += 1
    batch = max(1, calls * 2)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(batch):
            f()
        best = min(best, (time.perf_counter() - t) / batch)
    return best * 1e9


def python_bench(budget):
    seed = bytes(range(32))
    vid, keep = keyed(seed)
    results = {}
    for name, n, code, curt, size in WORKLOADS:
        memo = bench_memo(n)
        m = Memoer(code=code, curt=curt, size=size, vid=vid, keep=keep)
        results[(name, "rend")] = time_per_call(budget, lambda: m.rend(memo))
        grams = m.rend(memo)
        r = Memoer(echoic=True)
        r.opened = True

        def reassemble():
            r.echos.extend((g, ("127.0.0.1", 6101)) for g in grams)
            r.serviceAllRx()
            assert len(r.inbox.popleft()[0]) == len(memo)

        results[(name, "reassembly")] = time_per_call(budget, reassemble)
    return results


def rust_bench(ms):
    env = dict(os.environ, HIO_MEMO_BENCH_JSON="1", HIO_MEMO_BENCH_MS=str(ms))
    out = subprocess.run(["cargo", "bench", "-q", "-p", "hio", "--bench", "memo"], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout
    results = {}
    for line in out.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            results[(row["name"], row["op"])] = row["ns_per_memo"]
    return results


def cmd_bench(a):
    # uuid1-based mids, as in production (undo the interop patch).
    import uuid

    def make_mid(cls, code="0A"):
        return code + base64.urlsafe_b64encode(bytes(2) + uuid.uuid1().bytes)[2:].decode()
    Memoer.makeMID = classmethod(make_mid)
    rs, ps = {}, {}
    for rep in range(a.reps):
        for k, v in rust_bench(a.ms).items():
            rs.setdefault(k, []).append(v)
        for k, v in python_bench(a.ms / 1000).items():
            ps.setdefault(k, []).append(v)
        print(f"rep {rep + 1}/{a.reps} done", file=sys.stderr, flush=True)
    sizes = {name: n for name, n, *_ in WORKLOADS}
    print("| workload | op | hio-rs memos/s | hio-rs MB/s | Python memos/s | Python MB/s | Python / hio-rs |")
    print("|---|---|---|---|---|---|---|")
    for name, *_ in WORKLOADS:
        for op in ("rend", "reassembly"):
            r, p = statistics.median(rs[(name, op)]), statistics.median(ps[(name, op)])
            n = sizes[name]
            print(f"| {name} | {op} | {1e9 / r:,.0f} | {n * 1e3 / r:,.1f} | {1e9 / p:,.0f} | {n * 1e3 / p:,.1f} | {p / r:.0f}× |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("--cases", type=int, default=5000)
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--maxlen", type=int, default=3000)
    v = sub.add_parser("vectors")
    v.add_argument("--cases", type=int, default=120)
    v.add_argument("--seed", type=int, default=7)
    v.add_argument("--maxlen", type=int, default=300)
    v.add_argument("--out", default=os.path.join(HERE, "vectors.txt"))
    k = sub.add_parser("corpus")
    k.add_argument("--out", default=os.path.join(ROOT, "fuzz", "corpus", "memo_grams"))
    b = sub.add_parser("bench")
    b.add_argument("--reps", type=int, default=3)
    b.add_argument("--ms", type=int, default=500)
    a = ap.parse_args()
    return {"check": cmd_check, "vectors": cmd_vectors, "corpus": cmd_corpus, "bench": cmd_bench}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
