#!/usr/bin/env python3
"""The floor of a per-call operation: what a call costs before any work is done.

    python bindings/python/bench/floor.py [--oracle PY] [--floor-wheel WHL ...]

Runs in ONE interpreter (the 0.2.0 oracle's, default
$ATOMIK_ORACLE_PYTHON or <repo>/.venv-oracle/bin/python), timing side by side:
an empty loop, a C builtin taking one argument (``id``, METH_O), a pure-Python
method that does nothing, 0.2.0's ``AtomikContext.load/accum/read`` and
``AtomikTable.accum/read``, and methods of a PyO3 class that do nothing
(``bench/floor``, built with the same pyo3 version and features as the
package; one wheel per build, e.g. the default full C API and ``abi3``).
Each wheel is unpacked into a temporary directory on
``sys.path`` so 0.2.0's venv is not modified. CPU ns per call: every row is
timed once per round, and each keeps its best over the rounds.

If a PyO3 method that does nothing costs more than a third of 0.2.0's
method, a per-call speed-up of 3x cannot be reached by any work done inside it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

WORKER = r"""
import json, random, sys, time
sys.path[:0] = json.loads(sys.argv[1])
import atomik_core as ac
n = 300_000
rng = random.Random(1)
vals = [rng.getrandbits(64) for _ in range(n)]
addrs = [rng.randrange(256) for _ in range(n)]
pairs = list(zip(addrs, vals))

def time_once(fn):
    t = time.thread_time(); fn(); return (time.thread_time() - t) * 1e9 / n

def one(f, xs=vals):
    def run():
        for v in xs: f(v)
    return run

def two(f):
    def run():
        for a, v in pairs: f(a, v)
    return run

def zero(f):
    def run():
        for _ in vals: f()
    return run

class Py:
    __slots__ = ()
    def noop1(self, v): pass

def empty():
    for v in vals: pass

ctx, table = ac.AtomikContext(), ac.AtomikTable()
fns = {"empty loop (for v in vals: pass)": empty,
       "C builtin id(v) (METH_O)": one(id),
       "pure-Python method that does nothing": one(Py().noop1),
       "0.2.0 context.load(v)": one(ctx.load),
       "0.2.0 context.accum(v)": one(ctx.accum),
       "0.2.0 context.read()": zero(ctx.read),
       "0.2.0 table.accum(a, v)": two(table.accum),
       "0.2.0 table.read(a)": one(table.read, addrs)}
import importlib
for tag, path in json.loads(sys.argv[2]).items():
    sys.path.insert(0, path)
    mod = importlib.import_module("atomik_floor")
    f, m = mod.Floor(), mod.FloorMut()
    fns[f"PyO3 {tag}: noop1(v), frozen"] = one(f.noop1)
    fns[f"PyO3 {tag}: noop1(v), &mut self"] = one(m.noop1)
    fns[f"PyO3 {tag}: noop2(a, v), frozen"] = two(f.noop2)
    fns[f"PyO3 {tag}: noop0(), frozen"] = zero(f.noop0)
    sys.path.remove(path)
    for name in [k for k in sys.modules if k.split(".")[0] == "atomik_floor"]:
        del sys.modules[name]
# Rounds over every row, best kept: load from other processes hits all rows alike.
rows = {k: float("inf") for k in fns}
for _ in range(int(sys.argv[3])):
    for k, fn in fns.items():
        rows[k] = min(rows[k], time_once(fn))
print(json.dumps({"version": ac.__version__, "rows": rows}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--oracle",
        default=os.environ.get("ATOMIK_ORACLE_PYTHON", str(REPO / ".venv-oracle" / "bin" / "python")),
    )
    ap.add_argument("--floor-wheel", action="append", default=[], metavar="TAG=WHL",
                    help="a wheel of bench/floor, named by its pyo3 feature set (repeatable)")
    ap.add_argument("--rounds", type=int, default=15, help="rounds over every row (best kept)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dirs = {}
        for spec in args.floor_wheel:
            tag, whl = spec.split("=", 1)
            d = Path(tmp) / tag
            zipfile.ZipFile(whl).extractall(d)
            dirs[tag] = str(d)
        out = subprocess.run(
            [os.path.abspath(args.oracle), "-c", WORKER, json.dumps([]), json.dumps(dirs), str(args.rounds)],
            capture_output=True, text=True, cwd=tmp,
        )
        if out.returncode != 0:
            sys.exit(out.stderr)
    res = json.loads(out.stdout)
    if res["version"] != "0.2.0":
        sys.exit(f"expected atomik_core 0.2.0 under {args.oracle}, got {res['version']}")
    print(f"one interpreter ({args.oracle}), CPU ns per call, best of {args.rounds} rounds x 300,000 calls\n")
    print("| call | CPU ns/call |")
    print("|---|---:|")
    for k, v in res["rows"].items():
        print(f"| {k} | {v:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
