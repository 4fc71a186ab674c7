"""Differential test of atomik-core 0.4.0's additions: the same random
operations on the sync API (SyncTable, the transports, AsyncSyncTable,
PersistentSyncTable with its log), the context snapshot/with API and the
DeltaMessage codecs, against this package and the real 0.4.0, compared
result by result (values, reprs, messages, bytes sent, exception types).

ATOMIK_DIFF040_OPS (default 3000) sets the operations and ATOMIK_DIFF_SEED
(default 20260101) the seed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import difftest040
from conftest import HERE

OPS = int(os.environ.get("ATOMIK_DIFF040_OPS", "3000"))
SEED = int(os.environ.get("ATOMIK_DIFF_SEED", "20260101"))


def test_differential_against_0_4_0(oracle_040, ours_python, tmp_path: Path) -> None:
    ops = difftest040.generate(SEED, OPS)
    ops_file = tmp_path / "ops.json"
    ops_file.write_text(json.dumps(ops))
    procs = {}
    for name, py in (("0.4.0", oracle_040), ("ours", ours_python)):
        cwd = tmp_path / name  # each writes its log here, under the same name
        cwd.mkdir()
        procs[name] = subprocess.Popen(
            [str(py), str(HERE / "difftest040.py"), "run", str(ops_file)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
        )
    out = {}
    for name, p in procs.items():
        stdout, stderr = p.communicate(timeout=600)
        assert p.returncode == 0, f"{name} driver failed:\n{stderr}"
        out[name] = stdout.splitlines()
    assert len(out["0.4.0"]) == len(out["ours"]) == len(ops)
    diffs = [(i, ops[i], a, b) for i, (a, b) in enumerate(zip(out["0.4.0"], out["ours"])) if a != b]
    shown = "\n".join(f"#{i} {op!r}\n  0.4.0: {a}\n  ours:  {b}" for i, op, a, b in diffs[:5])
    assert not diffs, f"{len(diffs)} differences, first ones:\n{shown}"

    # Worth something only if both sides did real work, errors included.
    results = [json.loads(line) for line in out["ours"]]
    kinds = {op[0] for op in ops}
    assert {"put", "receive", "connect", "p_put", "p_reopen", "p_compact", "async_put"} <= kinds
    assert {"IndexError", "TypeError"} <= {r[1] for r in results if r[0] == "err"}
    assert sum(r[0] == "ok" for r in results) > 0.8 * len(ops)
