"""Differential test: the same random operations against this package and the
real atomik-core 0.2.0, compared result by result (return values, reprs,
properties and exception types), for every class and every width from 1 to
128 bits (Fingerprint: 8 to 128).

ATOMIK_DIFF_OPS (default 100000) sets the operations per class and
ATOMIK_DIFF_SEED (default 20260101) the seed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import difftest
from conftest import HERE

OPS = int(os.environ.get("ATOMIK_DIFF_OPS", "100000"))
SEED = int(os.environ.get("ATOMIK_DIFF_SEED", "20260101"))


def test_differential_against_0_2_0(oracle, ours_python, tmp_path: Path) -> None:
    assert OPS >= 100_000 or os.environ.get("ATOMIK_DIFF_OPS"), "the contract is >= 1e5 ops per class"
    ops = difftest.generate(SEED, OPS)
    ops_file = tmp_path / "ops.json"
    ops_file.write_text(json.dumps(ops))
    driver = str(HERE / "difftest.py")
    # Both interpreters at once: the machine has at least two cores.
    procs = {
        name: subprocess.Popen(
            [str(py), driver, "run", str(ops_file)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,  # never import a package from the source tree by accident
        )
        for name, py in (("0.2.0", oracle), ("ours", ours_python))
    }
    out = {}
    for name, p in procs.items():
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, f"{name} driver failed:\n{stderr}"
        out[name] = stdout.splitlines()

    flat = [(kind, op) for kind in difftest.CLASSES for op in ops[kind]]
    assert len(out["0.2.0"]) == len(out["ours"]) == len(flat) == 4 * OPS
    diffs = [
        (i, flat[i], a, b)
        for i, (a, b) in enumerate(zip(out["0.2.0"], out["ours"]))
        if a != b
    ]
    shown = "\n".join(f"#{i} {k} {op!r}\n  0.2.0: {a}\n  ours:  {b}" for i, (k, op), a, b in diffs[:5])
    assert not diffs, f"{len(diffs)} differences, first ones:\n{shown}"

    # The comparison is only worth something if both sides did real work,
    # including the error paths.
    results = [json.loads(line) for line in out["ours"]]
    errors = {r[1] for r in results if r[0] == "err"}
    assert {"IndexError", "TypeError", "ValueError"} <= errors
    assert sum(r[0] == "ok" for r in results) > 3 * OPS
