"""Shared fixtures: where the real atomik-core releases live.

Each original release runs in its own interpreter (all share the import name
``atomik_core`` with this package): 0.2.0 in ``.venv-oracle`` and 0.4.0 in
``.venv-oracle-040``, both made by ``just deps``. ``ATOMIK_ORACLE_PYTHON``
and ``ATOMIK_ORACLE_040_PYTHON`` name other interpreters. A missing oracle
fails the tests that need it: the suite cannot pass without them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

ORACLES = {
    "0.2.0": ("ATOMIK_ORACLE_PYTHON", REPO / ".venv-oracle" / "bin" / "python"),
    "0.4.0": ("ATOMIK_ORACLE_040_PYTHON", REPO / ".venv-oracle-040" / "bin" / "python"),
}


def oracle_python(version: str) -> Path:
    var, default = ORACLES[version]
    return Path(os.environ.get(var, default))


def _oracle_version(py: Path) -> str | None:
    if not py.exists():
        return None
    r = subprocess.run(
        [str(py), "-c", "import atomik_core, sys; sys.stdout.write(atomik_core.__version__)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return r.stdout if r.returncode == 0 else None


def _oracle(version: str) -> Path:
    py = oracle_python(version)
    found = _oracle_version(py)
    if found != version:
        var, _ = ORACLES[version]
        pytest.fail(
            f"atomik-core {version} not importable by {py} (found {found!r}); "
            f"run `just deps` or set {var}"
        )
    return py


@pytest.fixture(scope="session")
def oracle() -> Path:
    """The interpreter that imports the real atomik-core 0.2.0."""
    return _oracle("0.2.0")


@pytest.fixture(scope="session")
def oracle_040() -> Path:
    """The interpreter that imports the real atomik-core 0.4.0."""
    return _oracle("0.4.0")


def run_oracle(oracle: Path, code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs `code` under the oracle interpreter (stdout/stderr captured)."""
    return subprocess.run(
        [str(oracle), "-c", code], capture_output=True, text=True, timeout=timeout
    )


def oracle_eval(oracle: Path, code: str, cwd: Path | None = None) -> str:
    """Runs `code` (which prints its result) under an oracle with
    ``import atomik_core as ac``; returns its stdout, stripped."""
    r = subprocess.run(
        [str(oracle), "-c", "import atomik_core as ac\n" + code],
        capture_output=True, text=True, timeout=60, cwd=cwd,
    )
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.fixture(scope="session")
def ours_python() -> str:
    return sys.executable
