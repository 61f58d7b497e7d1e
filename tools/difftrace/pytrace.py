#!/usr/bin/env python3
"""Reference `hio trace` built on Python HIO's hio.base.doing (needs HIO 0.7.20, Python >= 3.13).

    pytrace.py trace FILE        (FILE may be '-' for stdin)

Runs the scenario described in /work/shared/spec/trace-format.md with the real
Doist / Doer / DoDoer / doify classes of Python HIO and prints the trace as JSON
lines. Only valid scenarios are supported (this is a test oracle, not a validator).
"""
import json
import sys

from hio.base import doing


class Fail(Exception):
    """Raised by an instrumented doer on its `fail` recur."""


class Tracer:
    def __init__(self):
        self.rows = []

    def row(self, tyme, name, ctx):
        self.rows.append({"t": tyme, "doer": name, "ctx": ctx})


class Node:
    """Scenario description of one instrumented doer plus its run-time links."""

    def __init__(self, spec, tracer):
        self.spec = spec
        self.name = spec["name"]
        self.kind = spec["kind"]
        self.tock = spec.get("tock", 0.0)
        self.stop = spec.get("stop")
        self.fail = spec.get("fail")
        self.ext = spec.get("extend")
        self.rem = spec.get("remove")
        self.tracer = tracer
        self.sched = None      # Doist or DoDoer object that runs this doer
        self.obj = None        # the HIO doer object (Doer, DoDoer or doified function)
        self.ext_nodes = []    # pre-built nodes for `extend`
        self.kids = []         # children nodes for dodoers
        self.registry = None   # name -> Node

    def act(self, count):
        """Apply the actions for the count-th recur; returns True when it completes."""
        if self.fail is not None and count == self.fail:
            raise Fail("%s fails on recur %d" % (self.name, count))
        if self.ext is not None and count == self.ext["at"]:
            self.sched.extend([n.obj for n in self.ext_nodes])
        if self.rem is not None and count == self.rem["at"]:
            self.sched.remove([self.registry[nm].obj for nm in self.rem["names"]])
        return self.stop is not None and count == self.stop


class TraceDoer(doing.Doer):
    def __init__(self, node, **kwa):
        super().__init__(tock=node.tock, **kwa)
        self.node = node
        self.count = 0  # lives in the doer: persists across runs

    def _row(self, ctx):
        self.node.tracer.row(self.tyme, self.node.name, ctx)

    def enter(self, *, temp=None):
        self._row("enter")

    def recur(self, tyme):
        self.count += 1
        self._row("recur")
        return self.node.act(self.count)

    def clean(self):
        self._row("clean")

    def cease(self):
        self._row("cease")

    def abort(self, ex):
        self._row("abort")

    def exit(self):
        self._row("exit")


class TraceDoDoer(doing.DoDoer):
    def __init__(self, node, doers, always, **kwa):
        super().__init__(doers=doers, always=always, tock=node.tock, **kwa)
        self.node = node

    def _row(self, ctx):
        self.node.tracer.row(self.tyme, self.node.name, ctx)

    def enter(self, doers=None, *, temp=None):
        if doers is None:  # own enter context (not an extend)
            self._row("enter")
        return super().enter(doers=doers, temp=temp)

    def recur(self, tyme, deeds=None):
        self._row("recur")
        return super().recur(tyme, deeds)

    def clean(self):
        self._row("clean")

    def cease(self):
        self._row("cease")

    def abort(self, ex):
        self._row("abort")

    def exit(self, deeds=None):
        super().exit(deeds)
        if deeds is None:  # own exit context (not a remove)
            self._row("exit")


def coroutine(tymth, tock=0.0, *, temp=None, node=None, **opts):
    """Generator function given to doify; its count restarts with every new dog."""
    tr = node.tracer
    tr.row(tymth(), node.name, "enter")
    count = 0
    try:
        while True:
            yield node.tock
            count += 1
            tr.row(tymth(), node.name, "recur")
            if node.act(count):
                tr.row(tymth(), node.name, "exit")
                return True
    except GeneratorExit:
        tr.row(tymth(), node.name, "cease")
        tr.row(tymth(), node.name, "exit")
        return None
    except Exception:
        tr.row(tymth(), node.name, "abort")
        tr.row(tymth(), node.name, "exit")
        raise


def build(specs, tracer, registry, order):
    nodes = []
    for spec in specs:
        node = Node(spec, tracer)
        node.registry = registry
        registry[node.name] = node
        order.append(node)
        if node.ext is not None:
            node.ext_nodes = build(node.ext["doers"], tracer, registry, order)
        if node.kind == "dodoer":
            node.kids = build(spec.get("doers", []), tracer, registry, order)
        nodes.append(node)
    return nodes


def make(node):
    """Create HIO doer objects bottom-up."""
    for n in node.ext_nodes:
        make(n)
    for n in node.kids:
        make(n)
    if node.kind == "doer":
        node.obj = TraceDoer(node)
    elif node.kind == "coroutine":
        node.obj = doing.doify(coroutine, name=node.name, tock=node.tock, node=node)
    elif node.kind == "dodoer":
        node.obj = TraceDoDoer(node, [k.obj for k in node.kids], node.spec.get("always", False))
    else:
        raise ValueError("unknown kind %r" % node.kind)


def link(node, sched):
    node.sched = sched
    for n in node.ext_nodes:
        link(n, sched)  # extended doers run in the extender's scheduler
    for n in node.kids:
        link(n, node.obj)


def run(scenario):
    tracer = Tracer()
    registry, order = {}, []
    roots = build(scenario.get("doers", []), tracer, registry, order)
    for n in roots:
        make(n)
    dcfg = scenario.get("doist", {})
    kwa = {}
    if "tock" in dcfg:
        kwa["tock"] = dcfg["tock"]
    if "tyme" in dcfg:
        kwa["tyme"] = dcfg["tyme"]
    doist = doing.Doist(real=False, limit=dcfg.get("limit"), doers=[n.obj for n in roots], **kwa)
    for n in roots:
        link(n, doist)

    out = []
    runs = scenario.get("runs")
    if runs is None:
        runs = [{}]
    for rcfg in runs:
        kw = {k: rcfg[k] for k in ("limit", "tyme") if k in rcfg}
        error = False
        try:
            doist.do(**kw)
        except Exception:
            error = True
        out.extend(tracer.rows)
        tracer.rows = []
        out.append({"end": {"tyme": doist.tyme, "done": doist.done, "error": error,
                            "doers": {n.name: n.obj.done for n in order}}})
    return out


def main(argv):
    if len(argv) != 3 or argv[1] != "trace":
        sys.stderr.write("usage: pytrace.py trace FILE\n")
        return 2
    text = sys.stdin.read() if argv[2] == "-" else open(argv[2]).read()
    for item in run(json.loads(text)):
        sys.stdout.write(json.dumps(item) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
