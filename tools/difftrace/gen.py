#!/usr/bin/env python3
"""Random `hio trace` scenario generator (see /work/shared/spec/trace-format.md).

    gen.py SEED [OUT.json]      one scenario for SEED (stdout when OUT is omitted)
    gen.py --many N DIR [--start S]   scenarios gen-S.json .. gen-(S+N-1).json into DIR

Scenarios are bounded: a limit gives at most ~60 passes; scenarios without a limit
(or with a doist tock of 0) may still not terminate, so callers run the oracle with a
timeout and drop those.
"""
import json
import os
import random
import sys

DOIST_TOCKS = [0.03125, 0.0625, 0.1, 0.125, 0.2, 0.25, 0.5, 1.0, 0.05]
DOER_TOCKS = [0.0, 0.0, 0.0, 0.03125, 0.0625, 0.1, 0.125, 0.2, 0.25, 0.3, 0.5, 1.0]
TYMES = [0.0, 1.0, 2.5, 3.0]
ODD_LIMITS = [0.05, 0.1, 0.15, 0.3, 0.65, 0.7, 1.2, 1.4]
# chance that a remove list keeps duplicate names (Python HIO then raises ValueError
# from list.remove); set DIFFTRACE_DUP_REMOVE=0 to leave that quirk out
DUP_REMOVE = float(os.environ.get("DIFFTRACE_DUP_REMOVE", "0.05"))
# DIFFTRACE_EXACT=1 rounds limits to 12 decimals (no 17-digit literals such as 1.4000000000000001)
EXACT = os.environ.get("DIFFTRACE_EXACT", "0") == "1"


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.budget = self.r.randint(2, 16)  # max number of doers in the scenario

    def chance(self, p):
        return self.r.random() < p

    def tock(self):
        t = self.r.choice(DOER_TOCKS)
        if t and self.chance(0.05):
            t = -t
        return t

    def count(self):
        return self.r.randint(1, 8)

    def doer(self, depth, in_extend=False):
        """One DOER (with placeholder name); depth is the nesting depth (0 = top)."""
        self.budget -= 1
        r = self.r
        kinds = ["doer", "coroutine", "dodoer"]
        weights = [4, 4, 2 if depth < 3 else 0]
        kind = r.choices(kinds, weights)[0]
        d = {"name": None, "kind": kind}
        if self.chance(0.9):
            d["tock"] = self.tock()
        if kind == "dodoer":
            if self.chance(0.4):
                d["always"] = self.chance(0.7)
            n = r.randint(0, 4) if self.budget > 0 else 0
            kids = []
            for _ in range(n):
                if self.budget <= 0:
                    break
                kids.append(self.doer(depth + 1))
            d["doers"] = kids
            return d
        if self.chance(0.65):
            d["stop"] = self.count() if self.chance(0.95) else None
        if self.chance(0.25):
            d["fail"] = self.count()
        if self.chance(0.3 if not in_extend else 0.15) and self.budget > 0:
            n = r.randint(1, 3)
            ext = []
            for _ in range(n):
                if self.budget <= 0:
                    break
                # extended doers may themselves be dodoers (nesting of their own)
                ext.append(self.doer(depth + 1 if self.chance(0.5) else depth, in_extend=True))
            d["extend"] = {"at": self.count(), "doers": ext}
        if self.chance(0.3):
            d["remove"] = {"at": self.count(), "names": None}  # filled once names exist
        return d

    def scenario(self):
        r = self.r
        doist = {}
        tock = r.choice(DOIST_TOCKS)
        zero_tock = self.chance(0.02)
        if zero_tock:
            tock = 0.0
        if tock != 0.03125 or self.chance(0.5):
            doist["tock"] = tock
        nolimit = zero_tock or self.chance(0.08)
        if nolimit:
            if self.chance(0.5):
                doist["limit"] = 0.0  # 0 means no limit
        else:
            doist["limit"] = self.limit(tock)
        if self.chance(0.3):
            doist["tyme"] = r.choice(TYMES)
        sc = {"doist": doist}
        top = []
        for _ in range(r.randint(1, 5)):
            if self.budget <= 0:
                break
            top.append(self.doer(0))
        sc["doers"] = top
        if self.chance(0.45):
            runs = []
            for _ in range(r.choices([0, 1, 2, 3], [1, 4, 6, 4])[0]):
                run = {}
                if self.chance(0.45) and tock > 0:
                    run["limit"] = self.limit(tock)
                if self.chance(0.35):
                    run["tyme"] = r.choice(TYMES)
                runs.append(run)
            sc["runs"] = runs
        self.name_all(sc)
        return sc

    def limit(self, tock):
        if self.chance(0.1):
            lim = self.r.choice(ODD_LIMITS)
            if tock and lim / tock <= 60:
                return lim
        n = self.r.randint(1, 24 if self.chance(0.8) else 60)
        return round(n * tock, 12) if EXACT else n * tock

    def name_all(self, sc):
        """Assign d1..dN in preorder (node, its extend doers, its children); fill remove lists."""
        names, parents = [], {}  # parents: name -> list of sibling names in same scheduler
        counter = [0]

        def walk(ds, sched_members):
            for d in ds:
                counter[0] += 1
                d["name"] = "d%d" % counter[0]
                names.append(d["name"])
                sched_members.append(d["name"])
                parents[d["name"]] = sched_members
                if "extend" in d:
                    walk(d["extend"]["doers"], sched_members)  # run by the same scheduler
                if d["kind"] == "dodoer":
                    walk(d["doers"], [])

        walk(sc["doers"], [])
        pending = []

        def collect(ds):
            for d in ds:
                if "remove" in d:
                    pending.append(d)
                if "extend" in d:
                    collect(d["extend"]["doers"])
                if d["kind"] == "dodoer":
                    collect(d["doers"])

        collect(sc["doers"])
        for d in pending:
            sib = parents[d["name"]]
            picks = []
            for _ in range(self.r.randint(1, 3)):
                u = self.r.random()
                if u < 0.55:
                    picks.append(self.r.choice(sib))  # sibling (or self)
                elif u < 0.7:
                    picks.append(d["name"])  # self
                else:
                    picks.append(self.r.choice(names))  # anywhere, often another scheduler
            if not self.chance(DUP_REMOVE):
                picks = list(dict.fromkeys(picks))  # mostly without duplicates
            d["remove"]["names"] = picks


def generate(seed):
    return Gen(seed).scenario()


def main(argv):
    if len(argv) >= 2 and argv[1] == "--many":
        n, out = int(argv[2]), argv[3]
        start = int(argv[argv.index("--start") + 1]) if "--start" in argv else 0
        os.makedirs(out, exist_ok=True)
        for s in range(start, start + n):
            with open(os.path.join(out, "gen-%06d.json" % s), "w") as f:
                json.dump(generate(s), f, indent=1)
                f.write("\n")
        return 0
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    text = json.dumps(generate(int(argv[1])), indent=1) + "\n"
    if len(argv) > 2:
        open(argv[2], "w").write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
