"""The 0.2.0 README's Python examples, run unchanged against this package.

The README is read at test time from the installed 0.2.0's package metadata
(its long description), so no copy of third-party text lives in this
repository. The blocks run in order in one namespace, as a reader would
paste them (later blocks use names imported by earlier ones). The
Fingerprint block uses three placeholders the README never defines
(`reference_data`, `old_value`, `new_value`); we bind them before running
it, and change no line.
"""

from __future__ import annotations

import re

import pytest
from conftest import run_oracle


@pytest.fixture(scope="module")
def readme(oracle) -> str:
    r = run_oracle(
        oracle,
        "import importlib.metadata as m, sys;"
        "sys.stdout.write(m.distribution('atomik-core').read_text('METADATA'))",
    )
    assert r.returncode == 0, r.stderr
    # METADATA is headers, a blank line, then the long description.
    return r.stdout.split("\n\n", 1)[1]


def python_blocks(readme: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", readme, flags=re.S)


def test_readme_has_the_examples(readme) -> None:
    blocks = python_blocks(readme)
    assert len(blocks) == 6
    assert "from atomik_core import AtomikTable" in blocks[-1]


def test_readme_examples_run_unchanged(readme, capsys) -> None:
    ns: dict = {"reference_data": b"\x00" * 64, "old_value": 0x1234, "new_value": 0x1235}
    printed = []
    for block in python_blocks(readme):
        exec(compile(block, "atomik-core-0.2.0 README", "exec"), ns)
        printed.append(capsys.readouterr().out)
    assert printed == ["State: 0xdeadbe10\n", "", "", "Data modified!\n", "", ""]
    assert ns["ctx"].read() == 0xAAAA
    assert ns["active"] == {0: 0x1011, 1: 0x2020, 2: 0x0030}
