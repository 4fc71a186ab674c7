#!/usr/bin/env python3
"""Side-by-side benchmark: this package vs the real atomik-core 0.2.0.

    python bindings/python/bench/bench.py [--ours PY] [--oracle PY] [--floor-wheel WHL]
                                          [--runs N] [--quick]

Both packages are imported as ``atomik_core``, so each runs in its own
interpreter: ``--ours`` (default: the interpreter running this script) and
``--oracle`` (default: $ATOMIK_ORACLE_PYTHON or <repo>/.venv-oracle/bin/python).
Each worker times the same Python code (best of several repeats, with
time.thread_time, i.e. CPU time) and reports nanoseconds per operation. A run
is one worker of each side, alternating; ``--runs`` runs are made and the
table shows, per operation, the median of each side's time and the median of
the per-run ratios (each ratio is two numbers from the same run), with the
lowest and highest ratio. With ``--floor-wheel`` (a wheel of bench/floor),
our worker also times methods that do nothing, built like the package: the
floor a call cannot go below, and the speed-up over 0.2.0 it allows. Then
0.2.0's own ``benchmark.py`` suite is run unchanged under both interpreters
(under ours, its ``from atomik_core import ...`` picks up this package).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable, Optional

REPO = Path(__file__).resolve().parents[3]


# ------------------------------------------------------------------ worker
def _best(fn: Callable[[], None], ops: int, repeat: int) -> float:
    """Best-of-`repeat` CPU nanoseconds per operation of `fn` (which does `ops` ops).

    CPU time of the calling thread (time.thread_time), not wall time: on a
    shared machine wall time mostly measures the other processes. Every timed
    section runs on this one thread, including batches that release the GIL.
    """
    best = float("inf")
    for _ in range(repeat):
        t0 = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t0)
    return best * 1e9 / ops


def floor_rows(path: str, n: int, rep: int, vals: list, pairs: list) -> dict:
    """Methods of bench/floor that do nothing, timed like the operations."""
    import sys as _sys

    _sys.path.insert(0, path)
    import atomik_floor

    f = atomik_floor.Floor()
    v = vals[:n]

    def one() -> None:
        g = f.noop1
        for x in v:
            g(x)

    def two() -> None:
        g = f.noop2
        for a, x in pairs:
            g(a, x)

    def zero() -> None:
        g = f.noop0
        for _ in range(n):
            g()

    def int0() -> None:
        g = f.int0
        for _ in range(n):
            g()

    alist = [a for a, _ in pairs]

    def int1() -> None:
        g = f.int1
        for a in alist:
            g(a)

    return {
        "floor: noop1(v)": _best(one, n, rep),
        "floor: noop2(a, v)": _best(two, n, rep),
        "floor: noop0()": _best(zero, n, rep),
        "floor: int0() -> new int": _best(int0, n, rep),
        "floor: int1(a) -> new int": _best(int1, n, rep),
    }


def _context_rows(ac, n: int, rep: int, vn: list) -> dict:
    ctx = ac.AtomikContext(width=64)

    def ctx_load() -> None:
        f = ctx.load
        for v in vn:
            f(v)

    def ctx_accum() -> None:
        f = ctx.accum
        for v in vn:
            f(v)

    def ctx_read() -> None:
        f = ctx.read
        for _ in range(n):
            f()

    def ctx_swap() -> None:
        f = ctx.swap
        for _ in range(n):
            f()

    return {
        "context.load": _best(ctx_load, n, rep),
        "context.accum": _best(ctx_accum, n, rep),
        "context.read": _best(ctx_read, n, rep),
        "context.swap": _best(ctx_swap, n, rep),
    }


def _table_rows(table, n: int, rep: int, pairs: list, an: list) -> dict:
    def t_load() -> None:
        f = table.load
        for a, v in pairs:
            f(a, v)

    def t_accum() -> None:
        f = table.accum
        for a, v in pairs:
            f(a, v)

    def t_read() -> None:
        f = table.read
        for a in an:
            f(a)

    def t_swap() -> None:
        f = table.swap
        for a in an:
            f(a)

    return {
        "table.load": _best(t_load, n, rep),
        "table.accum": _best(t_accum, n, rep),
        "table.read": _best(t_read, n, rep),
        "table.swap": _best(t_swap, n, rep),
    }


def _batch_rows(table, n: int, nb: int, rep: int, vals: list, addrs: list) -> dict:
    import array

    res: dict = {}
    # batch_accum takes a dict, so one call covers at most 256 distinct addresses.
    batches = [dict(zip(range(256), vals[i : i + 256])) for i in range(0, n, 256)]
    total = sum(len(b) for b in batches)

    def t_batch() -> None:
        f = table.batch_accum
        for b in batches:
            f(b)

    res["table.batch_accum (dict of 256), per pair"] = _best(t_batch, total, rep)
    if not hasattr(table, "accum_many"):
        return res
    abuf = array.array("I", addrs)
    dbuf = array.array("Q", vals)
    res["table.accum_many (array, 1M pairs), per pair"] = _best(
        lambda: table.accum_many(abuf, dbuf), nb, rep
    )
    try:
        import numpy as np
    except ImportError:
        return res
    a_np = np.array(addrs, dtype=np.uint32)
    d_np = np.array(vals, dtype=np.uint64)
    res["table.accum_many (numpy, 1M pairs), per pair"] = _best(
        lambda: table.accum_many(a_np, d_np), nb, rep
    )
    return res


def _fingerprint_rows(ac, quick: bool) -> dict:
    import random

    mib = random.Random(2).randbytes(1 << 20)
    fp = ac.Fingerprint(width=64)
    res = {"Fingerprint(64).load(1 MiB), per call": _best(lambda: fp.load(mib), 1, 3 if quick else 5)}
    fp.load(mib)
    res["Fingerprint(64).update(1 MiB), per call"] = _best(lambda: fp.update(mib), 1, 3 if quick else 5)
    return res


def _stream_rows(ac, ns: int, rep: int, vs: list) -> dict:
    a, b = ac.DeltaStream(), ac.DeltaStream()
    a.load(0, 0)
    b.load(0, 0)

    def stream_roundtrip() -> None:
        acc, app = a.accum, b.apply
        for v in vs:
            app(acc(0, v))
        a.pending()

    return {"DeltaStream accum+apply, per message": _best(stream_roundtrip, ns, rep)}


def worker(quick: bool, floor: Optional[str]) -> dict:
    import random

    import atomik_core as ac

    n = 100_000 if quick else 300_000
    nb = 100_000 if quick else 1_000_000  # pairs per accum_many call
    rep = 2 if quick else 3
    rng = random.Random(1)
    vals = [rng.getrandbits(64) for _ in range(nb)]
    addrs = [rng.randrange(256) for _ in range(nb)]
    res: dict = {"version": ac.__version__}
    # The operands, sliced once: slicing inside a timed loop would add the
    # same copy to every row (and none to the floor's).
    vn, an = vals[:n], addrs[:n]
    pairs = list(zip(an, vn))
    res.update(_context_rows(ac, n, rep, vn))
    table = ac.AtomikTable(num_contexts=256, width=64)
    res.update(_table_rows(table, n, rep, pairs, an))
    res.update(_batch_rows(table, n, nb, rep, vals, addrs))
    res.update(_fingerprint_rows(ac, quick))
    ns = n // 5
    res.update(_stream_rows(ac, ns, rep, vals[:ns]))
    if floor is not None:
        res.update(floor_rows(floor, n, rep, vals, pairs))
    return res


# ------------------------------------------------------------ orchestrator
def _run_worker(py: str, quick: bool, floor: Optional[str] = None) -> dict:
    # Absolute (not resolved: a venv's python is a symlink) because the
    # worker runs in a temporary directory.
    cmd = [os.path.abspath(py), str(Path(__file__).resolve()), "--worker"] + (["--quick"] if quick else [])
    if floor is not None:
        cmd += ["--floor-dir", floor]
    with tempfile.TemporaryDirectory() as d:  # never import from the source tree
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=d)
    return json.loads(out.stdout)


def _original_suite(py: str, script: str) -> str:
    code = f"import runpy; runpy.run_path({script!r}, run_name='__main__')"
    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([os.path.abspath(py), "-c", code], capture_output=True, text=True, cwd=d)
    if out.returncode != 0:
        return f"(failed: {out.stderr.strip().splitlines()[-1]})"
    return out.stdout


def _suite_numbers(text: str) -> dict:
    """The measured lines of 0.2.0's benchmark.py output."""
    nums: dict = {}
    test = ""
    for line in text.splitlines():
        m = re.match(r"\s+TEST (\d):", line)
        if m:
            test = f"T{m.group(1)}"
        m = re.match(r"\s+ATOMiK:\s+([\d.,]+) ms", line)
        if m and test not in ("T4",):
            nums.setdefault(f"{test} ATOMiK ms", float(m.group(1).replace(",", "")))
        m = re.match(r"\s+(LOAD|ACCUM|READ):\s+([\d,]+) ops/sec", line)
        if m:
            nums[f"T5 {m.group(1)} ops/s"] = float(m.group(2).replace(",", ""))
        m = re.match(r"\s+ATOMiK:\s+([\d.]+) ms \(re-fingerprint\)", line)
        if m:
            nums["T2 re-fingerprint 64 KiB x1000 ms"] = float(m.group(1))
    return nums


# What each per-call operation's floor is: the empty method with its arguments.
FLOOR_OF = {
    "context.load": "floor: noop1(v)",
    "context.accum": "floor: noop1(v)",
    "context.read": "floor: int0() -> new int",
    "context.swap": "floor: int0() -> new int",
    "table.load": "floor: noop2(a, v)",
    "table.accum": "floor: noop2(a, v)",
    "table.read": "floor: int1(a) -> new int",
    "table.swap": "floor: int1(a) -> new int",
}


def print_table(runs: list) -> None:
    """Medians over runs: each side's time, the per-run ratio, its range, the floor."""
    old0, new0 = runs[0]
    print("| operation | 0.2.0 CPU ns/op | ours CPU ns/op | speed-up (median) | range | floor ns | floor allows |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    batch = "table.batch_accum (dict of 256), per pair"
    for key in new0:
        if key == "version" or key.startswith("floor:"):
            continue
        base_key = key if key in old0 else batch
        olds = [o[base_key] for o, _ in runs]
        news = [n[key] for _, n in runs]
        ratios = sorted(o / n for o, n in zip(olds, news))
        label = key if key in old0 else f"{key} (vs 0.2.0 batch_accum)"
        fl, cap = "", ""
        if FLOOR_OF.get(key) in new0:
            floors = [n[FLOOR_OF[key]] for _, n in runs]
            fl = f"{statistics.median(floors):,.1f}"
            cap = f"{statistics.median(o / f for o, f in zip(olds, floors)):,.1f}x"
        print(
            f"| {label} | {statistics.median(olds):,.1f} | {statistics.median(news):,.1f} | "
            f"**{statistics.median(ratios):,.1f}x** | {ratios[0]:,.1f}–{ratios[-1]:,.1f}x | {fl} | {cap} |"
        )
    floors = [k for k in new0 if k.startswith("floor:")]
    if floors:
        print("\nfloor rows (ours): " + ", ".join(
            f"{k[7:]} {statistics.median(n[k] for _, n in runs):.1f} ns" for k in floors))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", default=sys.executable)
    ap.add_argument(
        "--oracle",
        default=os.environ.get("ATOMIK_ORACLE_PYTHON", str(REPO / ".venv-oracle" / "bin" / "python")),
    )
    ap.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    ap.add_argument("--runs", type=int, default=5, help="runs (one worker per side each); medians are shown")
    ap.add_argument("--floor-wheel", help="a wheel of bench/floor built like the package")
    ap.add_argument("--suite-rounds", type=int, default=2, help="runs of 0.2.0's own suite per side")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--floor-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        json.dump(worker(args.quick, args.floor_dir), sys.stdout)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        floor = None
        if args.floor_wheel:
            zipfile.ZipFile(args.floor_wheel).extractall(tmp)
            floor = tmp
        # Alternate the two interpreters run by run, so that load from other
        # processes does not favour either side.
        runs = [
            (_run_worker(args.oracle, args.quick), _run_worker(args.ours, args.quick, floor))
            for _ in range(args.runs)
        ]
    old, new = runs[0]
    if old["version"] != "0.2.0" or new["version"] == "0.2.0":
        sys.exit(f"expected 0.2.0 vs ours, got {old['version']} vs {new['version']}")
    print(f"atomik_core {new['version']} (ours, {args.ours}) vs 0.2.0 ({args.oracle}), {args.runs} runs\n")
    print_table(runs)

    script = subprocess.run(
        [args.oracle, "-c", "import atomik_core.benchmark as b; print(b.__file__)"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    print(f"\n0.2.0's own suite ({script}), run unchanged under each interpreter:\n")
    print("| measurement | 0.2.0 | ours | ratio |")
    print("|---|---:|---:|---:|")
    suite = [
        (_suite_numbers(_original_suite(args.oracle, script)), _suite_numbers(_original_suite(args.ours, script)))
        for _ in range(args.suite_rounds)
    ]

    def best(side: int) -> dict:
        keys = suite[0][side].keys()
        pick = {k: (max if "ops/s" in k else min) for k in keys}
        return {k: pick[k](r[side][k] for r in suite if k in r[side]) for k in keys}

    so, sn = best(0), best(1)
    for key, base in so.items():
        ours = sn.get(key)
        if ours is None:
            print(f"| {key} | {base:,.2f} | (missing) | |")
            continue
        ratio = ours / base if "ops/s" in key else base / ours
        print(f"| {key} | {base:,.2f} | {ours:,.2f} | {ratio:,.1f}x |")
    print(f"\n(best of {args.suite_rounds}; ratio > 1 means ours is faster. The suite times wall clock with")
    print("perf_counter, so on a busy machine its numbers are noisier than the CPU-time table above.)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
