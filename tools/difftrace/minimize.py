#!/usr/bin/env python3
"""Shrink a scenario on which `hio trace` and Python HIO differ.

    minimize.py HIO_BINARY SCENARIO.json OUT_STEM [--same-diff]

Greedily applies reductions (drop doers, runs, keys, actions, remove names; flatten
dodoers; shrink counts, limits and tocks) while the traces still differ, then writes
OUT_STEM.json and OUT_STEM.expected.jsonl (the Python trace). With --same-diff a
reduction is kept only when the kind of the first differing line stays the same
(its ctx / end key), so that one bug is not swapped for another.
"""
import copy
import json
import sys

import oracle


def walk(ds, fn, parent=None):
    """Call fn(list, index, doer) for every doer (pre-order)."""
    for i, d in enumerate(list(ds)):
        fn(ds, i, d)
        if "extend" in d:
            walk(d["extend"]["doers"], fn, d)
        if d.get("kind") == "dodoer":
            walk(d.get("doers", []), fn, d)


def all_doers(sc):
    out = []
    walk(sc["doers"], lambda ds, i, d: out.append(d))
    return out


def names(sc):
    return {d["name"] for d in all_doers(sc)}


def prune_removes(sc):
    """Drop remove names that no longer exist; drop empty removes."""
    live = names(sc)
    for d in all_doers(sc):
        if "remove" in d:
            d["remove"]["names"] = [n for n in d["remove"]["names"] if n in live]
            if not d["remove"]["names"]:
                del d["remove"]
        if "extend" in d and not d["extend"]["doers"]:
            del d["extend"]
    return sc


def locate(sc, path):
    """path: tuple of (key, index) steps from the root -> (list, index)."""
    ds = sc["doers"]
    for (_, idx), (key, _) in zip(path, path[1:]):  # key says which list of ds[idx] holds the next step
        d = ds[idx]
        ds = d["extend"]["doers"] if key == "x" else d["doers"]
    return ds, path[-1][1]


def paths(sc):
    out = []

    def rec(ds, prefix, key):
        for i, d in enumerate(ds):
            p = prefix + ((key, i),)
            out.append(p)
            if "extend" in d:
                rec(d["extend"]["doers"], p, "x")
            if d.get("kind") == "dodoer":
                rec(d.get("doers", []), p, "c")

    rec(sc["doers"], (), "c")
    return out


def candidates(sc):
    """Yield smaller variants of sc (deep copies)."""
    # drop runs / whole run list
    if "runs" in sc:
        for i in range(len(sc["runs"])):
            c = copy.deepcopy(sc)
            del c["runs"][i]
            yield c
        if len(sc["runs"]) == 1:
            c = copy.deepcopy(sc)
            run = c.pop("runs")[0]
            if "limit" in run and sc["doist"].get("limit"):
                c["doist"]["limit"] = run["limit"]
            if "tyme" in run:
                c["doist"]["tyme"] = run["tyme"]
            if not ("limit" in run and not sc["doist"].get("limit")):
                yield c
        for i, run in enumerate(sc["runs"]):
            for k in list(run):
                c = copy.deepcopy(sc)
                del c["runs"][i][k]
                yield c
    # drop doers (with their subtrees), replace dodoer by its children, replace extender's extend by inline
    for p in reversed(paths(sc)):
        c = copy.deepcopy(sc)
        ds, i = locate(c, p)
        d = ds.pop(i)
        yield prune_removes(c)
        if d.get("kind") == "dodoer":
            c = copy.deepcopy(sc)
            ds, i = locate(c, p)
            d = ds.pop(i)
            ds[i:i] = d.get("doers", [])
            yield prune_removes(c)
            if d.get("doers"):
                c = copy.deepcopy(sc)
                ds, i = locate(c, p)
                ds[i]["doers"] = []
                yield prune_removes(c)
    # drop keys / shrink values
    for p in paths(sc):
        ds, i = locate(sc, p)
        d = ds[i]
        for k in ("stop", "fail", "extend", "remove", "always", "tock"):
            if k in d:
                c = copy.deepcopy(sc)
                cds, ci = locate(c, p)
                del cds[ci][k]
                yield prune_removes(c)
        for k in ("stop", "fail"):
            if isinstance(d.get(k), int) and d[k] > 1:
                for v in (1, d[k] - 1):
                    c = copy.deepcopy(sc)
                    cds, ci = locate(c, p)
                    cds[ci][k] = v
                    yield c
        for k in ("extend", "remove"):
            if k in d and d[k]["at"] > 1:
                for v in (1, d[k]["at"] - 1):
                    c = copy.deepcopy(sc)
                    cds, ci = locate(c, p)
                    cds[ci][k]["at"] = v
                    yield c
        if "remove" in d and len(d["remove"]["names"]) > 1:
            for j in range(len(d["remove"]["names"])):
                c = copy.deepcopy(sc)
                cds, ci = locate(c, p)
                del cds[ci]["remove"]["names"][j]
                yield c
        if d.get("tock") not in (None, 0.0):
            c = copy.deepcopy(sc)
            cds, ci = locate(c, p)
            cds[ci]["tock"] = 0.0
            yield c
        if d.get("kind") == "coroutine":  # one direction only, so shrinking terminates
            c = copy.deepcopy(sc)
            cds, ci = locate(c, p)
            cds[ci]["kind"] = "doer"
            yield c
    # shrink doist limit / tyme
    lim, tock = sc["doist"].get("limit"), sc["doist"].get("tock", 0.03125)
    if lim and tock and lim > tock:
        n = int(round(lim / tock))
        for v in sorted({1, n // 2, n - 1}):
            if 0 < v and v * tock < lim:
                c = copy.deepcopy(sc)
                c["doist"]["limit"] = round(v * tock, 12)
                yield c
    if "tyme" in sc["doist"]:
        c = copy.deepcopy(sc)
        del c["doist"]["tyme"]
        yield c


def signature(exp, got):
    if isinstance(got, str):
        return got.split(":")[0]
    i = next((k for k, (a, b) in enumerate(zip(got, exp)) if a != b), min(len(got), len(exp)))
    e = exp[i] if i < len(exp) else None
    g = got[i] if i < len(got) else None
    key = lambda r: None if r is None else ("end" if "end" in r else r["ctx"])
    return (key(e), key(g))


def differs(binary, sc):
    exp = oracle.expected(sc)
    if exp is None:
        return None
    got = oracle.actual(binary, sc)
    if got == exp:
        return None
    return exp, got


def minimize(binary, sc, same_diff=False):
    res = differs(binary, sc)
    if res is None:
        raise SystemExit("scenario does not differ")
    sig = signature(*res)
    changed = True
    while changed:
        changed = False
        for c in candidates(sc):
            r = differs(binary, c)
            if r is None or (same_diff and signature(*r) != sig):
                continue
            sc, res, changed = c, r, True
            break
    c = renamed(sc)
    r = differs(binary, c)
    if r is not None and (not same_diff or signature(*r) == sig):
        sc, res = c, r
    return sc, res


def renamed(sc):
    """Rename doers d1..dN in pre-order (remove lists follow)."""
    c = copy.deepcopy(sc)
    mapping = {}
    for d in all_doers(c):
        mapping[d["name"]] = "d%d" % (len(mapping) + 1)
    for d in all_doers(c):
        d["name"] = mapping[d["name"]]
        if "remove" in d:
            d["remove"]["names"] = [mapping[n] for n in d["remove"]["names"]]
    return c


def size(sc):
    return len(json.dumps(sc))


def main(argv):
    if len(argv) < 4:
        raise SystemExit(__doc__)
    binary, path, stem = argv[1], argv[2], argv[3]
    sc, (exp, got) = minimize(binary, json.load(open(path)), "--same-diff" in argv)
    with open(stem + ".json", "w") as f:
        json.dump(sc, f, indent=1)
        f.write("\n")
    with open(stem + ".expected.jsonl", "w") as f:
        f.write(oracle.dump_jsonl(exp))
    print("%s: %s" % (stem, oracle.first_diff(exp, got)))


if __name__ == "__main__":
    main(sys.argv)
