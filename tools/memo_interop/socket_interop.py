#!/usr/bin/env python3
"""Socket-level memogram interop: `hio memo send`/`listen` against Python HIO 0.7.20.

    cargo build -p hio-cli
    /tmp/hio-venv/bin/python tools/memo_interop/socket_interop.py [--hio target/debug/hio]

For UDP and UXD, unsigned text, unsigned binary, signed text and signed binary:
  py->rs  a Python `udp.PeerMemoer` / `uxd.PeerMemoer` sends memos to `hio memo listen`;
  rs->py  `hio memo send` sends memos to a Python PeerMemoer.
Each memo must arrive intact with the right vid. Prints one line per case and a summary;
exits 1 if any case fails. Not run in CI (needs Python HIO 0.7.20 and pysodium).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

try:
    import pysodium
    from hio.core.memo.memoing import Keyage, Memoer
    from hio.core.udp import peermemoing as udppm
    from hio.core.uxd import peermemoing as uxdpm
except ImportError as ex:  # pragma: no cover
    sys.exit(f"needs Python HIO 0.7.20 and pysodium ({ex}); see the docstring")

SEED = bytes(range(32))
SIZE = 250
MEMOS = [
    "hello from the other side",  # > 8 bytes: avoids Python's count-0 binary bug
    "ünïcödé memo 🚀 with \"quotes\" and \\ backslashes",
    "long " + "abcdefghijklmnopqrstuvwxyz0123456789" * 40,  # many grams
]


def keyed():
    verkey, _ = pysodium.crypto_sign_seed_keypair(SEED)
    vid = Memoer._encodeVID(raw=verkey)
    return vid, {vid: Keyage(qvk=vid, qss=Memoer._encodeQSS(raw=SEED))}


VID, KEEP = keyed()


def py_kwa(signed, curt):
    kwa = dict(size=SIZE, curt=curt)
    if signed:
        kwa.update(code="bAAC", vid=VID, keep=dict(KEEP))
    return kwa


def open_py(transport, name, signed, curt):
    """A context manager giving an open Python PeerMemoer."""
    if transport == "udp":
        return udppm.openPM(name=name, temp=True, port=0, **py_kwa(signed, curt))
    return uxdpm.openPM(name=name, temp=True, **py_kwa(signed, curt))


def rs_flags(signed, curt):
    flags = ["--size", str(SIZE)]
    if curt:
        flags.append("--curt")
    if signed:
        flags += ["--sign", SEED.hex()]
    return flags


def py_to_rs(hio, transport, signed, curt, tmp):
    if transport == "udp":
        at = ["--udp", "0"]
    else:
        at = ["--uxd", os.path.join(tmp, f"rs-{int(signed)}{int(curt)}.uxd")]
    listen = subprocess.Popen(
        [hio, "memo", "listen", *at, "--count", str(len(MEMOS)), "--duration", "15"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = listen.stderr.readline().strip()
    where = line.rsplit(" ", 1)[-1]
    if transport == "udp":
        host, port = where.rsplit(":", 1)
        dst = ("127.0.0.1", int(port))
    else:
        dst = where
    with open_py(transport, f"pysend{int(signed)}{int(curt)}", signed, curt) as peer:
        for memo in MEMOS:
            peer.memoit(memo, dst)
        # Python HIO loses a gram whose send would block (spec §7.8), which a
        # UXD socket does often (its queue holds net.unix.max_dgram_qlen,
        # often 10, datagrams): retry such sends here, one gram per ms.
        send = peer.send

        def patient_send(gram, dst, **kwa):
            end = time.time() + 2
            while not (cnt := send(gram, dst, **kwa)) and time.time() < end:
                time.sleep(0.001)
            return cnt

        peer.send = patient_send
        peer.serviceTxMemos()
        end = time.time() + 10
        while (peer.txgs or peer.txbs[1] is not None) and time.time() < end:
            peer.serviceTxGramsOnce()
            time.sleep(0.001)
        out, err = listen.communicate(timeout=20)
    got = [json.loads(l) for l in out.splitlines()]
    want_vid = VID if signed else None
    ok = ([g["memo"] for g in got] == MEMOS and all(g["vid"] == want_vid for g in got))
    return ok, f"{len(got)}/{len(MEMOS)} memos" + ("" if ok else f" got={got!r} err={err!r}")


def rs_to_py(hio, transport, signed, curt, tmp):
    with open_py(transport, f"pyrecv{int(signed)}{int(curt)}", signed, curt) as peer:
        if transport == "udp":
            to = ["--udp", f"127.0.0.1:{peer.ha[1]}"]
        else:
            to = ["--uxd", peer.path]
        # The receiver keeps servicing while `send` runs: our sender waits
        # (and retries) when the receiver's socket queue is full.
        send = subprocess.Popen([hio, "memo", "send", *to, *rs_flags(signed, curt)],
                                stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        send.stdin.write("".join(m + "\n" for m in MEMOS))
        send.stdin.close()
        end = time.time() + 15
        while (len(peer.inbox) < len(MEMOS) or send.poll() is None) and time.time() < end:
            peer.service()
            time.sleep(0.0005)
        if send.wait(timeout=10) != 0:
            return False, f"send failed: {send.stderr.read().strip()}"
        got = list(peer.inbox)
    want_vid = VID if signed else None
    ok = ([m for m, _, _ in got] == MEMOS and all(v == want_vid for _, _, v in got))
    return ok, f"{len(got)}/{len(MEMOS)} memos" + ("" if ok else f" got={got!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--hio", default=os.path.join(root, "target", "debug", "hio"))
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="hio-sock-") as tmp:
        for transport in ("udp", "uxd"):
            for signed in (False, True):
                for curt in (False, True):
                    for name, case in (("py->rs", py_to_rs), ("rs->py", rs_to_py)):
                        label = (f"{transport} {'signed' if signed else 'unsigned'} "
                                 f"{'binary' if curt else 'text'} {name}")
                        try:
                            ok, note = case(args.hio, transport, signed, curt, tmp)
                        except Exception as ex:  # noqa: BLE001 - report and go on
                            ok, note = False, f"{type(ex).__name__}: {ex}"
                        results.append(ok)
                        print(f"{'PASS' if ok else 'FAIL'}  {label:36} {note}", flush=True)
    passed = sum(results)
    print(f"\n{passed}/{len(results)} cases passed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
