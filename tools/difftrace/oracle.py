"""Shared helpers: run the Python oracle in-process (with a time/row budget) and the hio binary."""
import json
import signal
import subprocess
import sys

import pytrace


class Budget(BaseException):
    """Oracle ran too long (likely a non-terminating scenario). Not an Exception, so HIO won't catch it."""


class CappedTracer(pytrace.Tracer):
    MAX_ROWS = 20000

    def row(self, tyme, name, ctx):
        if len(self.rows) > self.MAX_ROWS:
            raise Budget("too many rows")
        super().row(tyme, name, ctx)


def _quiet_budget(unraisable, _default=sys.unraisablehook):
    """Dogs of an over-budget run are finalised by GC later and re-raise Budget: ignore those."""
    if not isinstance(unraisable.exc_value, Budget):
        _default(unraisable)


sys.unraisablehook = _quiet_budget


def _alarm(signum, frame):
    raise Budget("timeout")


def expected(scenario, seconds=5):
    """Python HIO trace as a list of dicts, or None when it exceeds the budget."""
    old_tracer = pytrace.Tracer
    pytrace.Tracer = CappedTracer
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        return pytrace.run(scenario)
    except Budget:
        return None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        pytrace.Tracer = old_tracer


def actual(binary, scenario, timeout=30):
    """hio trace output as a list of dicts, or a string describing the failure."""
    try:
        res = subprocess.run([binary, "trace", "-"], input=json.dumps(scenario),
                             capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    if res.returncode != 0:
        return "exit %d: %s" % (res.returncode, res.stderr.strip()[-300:])
    try:
        return [json.loads(l) for l in res.stdout.splitlines() if l.strip()]
    except json.JSONDecodeError as ex:
        return "bad json: %r" % ex


def first_diff(exp, got):
    if isinstance(got, str):
        return got
    i = next((k for k, (a, b) in enumerate(zip(got, exp)) if a != b), min(len(got), len(exp)))
    want = json.dumps(exp[i]) if i < len(exp) else "<end of trace>"
    have = json.dumps(got[i]) if i < len(got) else "<end of trace>"
    return "line %d: expected %s, got %s" % (i + 1, want, have)


def dump_jsonl(rows):
    return "".join(json.dumps(r) + "\n" for r in rows)
