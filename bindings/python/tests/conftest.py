"""Shared fixtures: where the real atomik-core 0.2.0 lives.

The oracle runs in its own interpreter (it has the same import name as this
package). ``ATOMIK_ORACLE_PYTHON`` names that interpreter; the default is the
repository's ``.venv-oracle``. Without it the oracle tests skip locally and
FAIL when ``CI`` is set, so CI cannot pass without running them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
DEFAULT_ORACLE = REPO / ".venv-oracle" / "bin" / "python"


def oracle_python() -> Path:
    return Path(os.environ.get("ATOMIK_ORACLE_PYTHON", DEFAULT_ORACLE))


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


@pytest.fixture(scope="session")
def oracle() -> Path:
    """The interpreter that imports the real atomik-core 0.2.0."""
    py = oracle_python()
    version = _oracle_version(py)
    if version != "0.2.0":
        msg = (
            f"atomik-core 0.2.0 not importable by {py} (found {version!r}); "
            "set ATOMIK_ORACLE_PYTHON or run `just deps`"
        )
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    return py


def run_oracle(oracle: Path, code: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """Runs `code` under the oracle interpreter (stdout/stderr captured)."""
    return subprocess.run(
        [str(oracle), "-c", code], capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def ours_python() -> str:
    return sys.executable
