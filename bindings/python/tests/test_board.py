"""BoardTable: the table of an FPGA board behind a serial port.

Against the co-simulated board (``atomik board cosim board_sim --pty``, the
committed board top in Verilator behind a pseudo-terminal): the scenario
every face of the board driver shares (crates/atomik-board/scenario.txt),
AtomikTable's methods giving AtomikTable's results, and the errors. Against
a board played by this test on a pseudo-terminal: every call waits on the
line with the GIL released.

The ``atomik`` binary is ``$ATOMIK_CLI`` or target/debug/atomik (``cargo
build -p atomik-cli``; ``just python-test`` builds it). Missing, the tests fail.
"""

from __future__ import annotations

import array
import os
import select
import subprocess
import threading
import tty
import zlib
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

from atomik_core import (
    AtomikTable,
    BoardError,
    BoardProtocolError,
    BoardReset,
    BoardTable,
    BoardTimeout,
)

REPO = Path(__file__).resolve().parents[3]
SCENARIO = REPO / "crates" / "atomik-board" / "scenario.txt"
# board_sim's baud: the same RTL as the boards' at 8 clock cycles per bit.
SIM_BAUD = 3_375_000
# The co-simulation runs slower than real time; a loaded machine more so.
TIMEOUT = 120.0


def atomik_cli() -> Path:
    cli = Path(os.environ.get("ATOMIK_CLI", REPO / "target" / "debug" / "atomik"))
    if not cli.exists():
        pytest.fail(f"{cli} not found: run `cargo build -p atomik-cli` or set ATOMIK_CLI")
    return cli


@pytest.fixture(scope="module")
def pty_path() -> Iterator[str]:
    """`atomik board cosim board_sim --pty`, for the tests of this module."""
    server = subprocess.Popen(
        [str(atomik_cli()), "board", "cosim", "board_sim", "--pty"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        path = server.stdout.readline().strip()
        assert path.startswith("/dev/pts/"), path
        yield path
    finally:
        server.terminate()
        server.wait(timeout=30)


# ---- the shared scenario -----------------------------------------------------

Step = Tuple[str, int, Optional[int], Optional[int], Optional[bool]]


def parse_step(line: str) -> Step:
    """`name addr [data] [= value [clean|dirty]]` -> (name, addr, data, value, clean)."""
    op, _, expect = line.partition("=")
    words = op.split()
    name, addr = words[0], int(words[1], 0)
    data = int(words[2], 0) if len(words) > 2 else None
    value: Optional[int] = None
    clean: Optional[bool] = None
    if expect.strip():
        e = expect.split()
        value = int(e[0], 0)
        if len(e) > 1:
            assert e[1] in ("clean", "dirty"), line
            clean = e[1] == "clean"
    return name, addr, data, value, clean


def scenario() -> List[Tuple[bool, List[Step]]]:
    """The calls: (is_batch, steps)."""
    calls: List[Tuple[bool, List[Step]]] = []
    batch: Optional[List[Step]] = None
    for raw in SCENARIO.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line == "batch":
            batch = []
        elif line == "end":
            assert batch is not None
            calls.append((True, batch))
            batch = None
        elif batch is not None:
            batch.append(parse_step(line))
        else:
            calls.append((False, [parse_step(line)]))
    assert batch is None
    return calls


def run_single(t: BoardTable, step: Step) -> Optional[Tuple[int, bool]]:
    """A line on its own: the method it names."""
    name, addr, data, _, _ = step
    if name == "load":
        t.load(addr, data)
        return None
    if name == "accum":
        t.accum(addr, data)
        return None
    if name == "read":
        return t.read_clean(addr)
    if name == "swap":
        return t.swap(addr, data), False
    assert name == "swap_keep", step
    return t.swap(addr), False


def as_op(step: Step) -> tuple:
    name, addr, data, _, _ = step
    return (name, addr) if data is None else (name, addr, data)


def check(steps: List[Step], got: List[Tuple[int, bool]]) -> int:
    with_result = [s for s in steps if s[0] in ("read", "swap", "swap_keep")]
    assert len(got) == len(with_result), steps
    checked = 0
    for (name, addr, _, value, clean), (g_value, g_clean) in zip(with_result, got):
        if value is not None:
            assert g_value == value, (name, addr, hex(g_value), hex(value))
            checked += 1
        if clean is not None:
            assert g_clean == clean, (name, addr, g_clean, clean)
    return checked


def test_the_shared_scenario(pty_path: str) -> None:
    with BoardTable(pty_path, SIM_BAUD, timeout=TIMEOUT) as t:
        checked = 0
        for is_batch, steps in scenario():
            if is_batch:
                got = t.execute([as_op(s) for s in steps])
            else:
                r = run_single(t, steps[0])
                got = [] if r is None else [r]
            checked += check(steps, got)
        assert checked >= 25
        assert t.stats()["conflicting_acks"] == 0
    assert t.closed


# ---- AtomikTable's methods, AtomikTable's results ----------------------------


def test_atomiktable_methods_give_atomiktables_results(pty_path: str) -> None:
    local = AtomikTable(256, 64)
    with BoardTable(pty_path, SIM_BAUD, timeout=TIMEOUT) as board:
        assert (board.num_contexts, board.width) == (local.num_contexts, local.width)
        assert (board.port, board.baud) == (pty_path, SIM_BAUD)
        # The board serves the whole module: the scenario left context 1
        # (the `True` address below) set. Start the local table's there too.
        local.load(1, board.read(1))
        for t in (local, board):
            # values are masked to 64 bits like AtomikTable's
            t.load(20, (1 << 64) + 7)
            t.accum(20, -1)
            t.load(21, 5)
            t.batch_accum({21: 3, 22: 0xFF, 20: 1})
            t.accum_many(array.array("H", [23, 24, 23]), array.array("Q", [1, 2, 4]))
            t.accum(True, 1)  # an int subclass address and delta, like AtomikTable
        for addr in range(20, 25):
            assert board.read(addr) == local.read(addr), addr
        assert board.swap(20, 9) == local.swap(20, 9)
        assert board.swap(21) == local.swap(21)
        assert board.read(20) == local.read(20) == 9
        assert board.is_clean(21) and local.context(21).is_clean
        assert board.read_clean(22) == (local.read(22), local.context(22).is_clean)
        snap = board.snapshot()
        for addr, value in local.snapshot().items():
            assert snap[addr] == value
        assert board.read_all()[20:25] == [local.read(a) for a in range(20, 25)]


def test_bad_arguments_raise_and_send_nothing(pty_path: str) -> None:
    with BoardTable(pty_path, SIM_BAUD, timeout=TIMEOUT) as t:
        t.load(30, 1)
        for bad in (256, -1, 1 << 70):
            with pytest.raises(IndexError, match="out of range"):
                t.load(bad, 1)
            with pytest.raises(IndexError):
                t.read(bad)
        with pytest.raises(TypeError):
            t.accum(30, "1")
        with pytest.raises(TypeError):
            t.read("30")
        # batches are checked whole before anything is sent
        with pytest.raises(IndexError):
            t.batch_accum({30: 1, 256: 1})
        with pytest.raises(IndexError, match="nothing was applied"):
            t.accum_many(array.array("i", [30, -2]), array.array("Q", [1, 1]))
        with pytest.raises(ValueError, match="same length"):
            t.accum_many(array.array("i", [30]), array.array("Q", [1, 1]))
        with pytest.raises(TypeError):
            t.accum_many(array.array("d", [30.0]), array.array("Q", [1]))
        for op in [("frob", 30), ("read", 30, 1), ("load", 30), ("accum",), ("read", 256)]:
            with pytest.raises((ValueError, IndexError)):
                t.execute([("accum", 30, 1), op])
        assert t.read(30) == 1
        assert t.execute([]) == []
    with pytest.raises(ValueError, match="closed"):
        t.read(30)
    t.close()  # twice: nothing
    with pytest.raises(BoardError):
        BoardTable("/nonexistent/ttyUSB9", SIM_BAUD)
    with pytest.raises(ValueError):
        BoardTable(pty_path, SIM_BAUD, timeout=0)
    assert issubclass(BoardError, OSError)
    for e in (BoardTimeout, BoardReset, BoardProtocolError):
        assert issubclass(e, BoardError)


# ---- the GIL, with this test playing the board -------------------------------


def _frame(body: bytes) -> bytes:
    """SYNC, the body, its CRC-32 (little-endian): docs/board.md's frames."""
    return b"\xa5" + body + zlib.crc32(body).to_bytes(4, "little")


def _status(expected: int) -> bytes:
    # KIND STATUS, EXPECTED, WINDOW 8, MAX_OPS 16, MODE framed, VERSION 1
    return _frame(bytes([0x02, expected, 8, 16, 1, 1]))


def test_calls_wait_on_the_line_with_the_gil_released() -> None:
    """The board here is this test's main thread, in Python: it can answer
    only if the call waiting for the answer (on another thread) released the
    GIL. With the GIL held, HELLO would time out."""
    master, slave = os.openpty()
    tty.setraw(slave)
    result: List[object] = []

    def client() -> None:
        try:
            with BoardTable(os.ttyname(slave), 115200, timeout=20.0) as t:
                result.append(t.read(3))
        except Exception as e:  # reported by the assertion below
            result.append(e)

    value = 0x0123456789ABCDEF
    # What the driver sends, and what this board answers.
    answers = {
        _frame(bytes([0x80, 0])): _status(0),  # HELLO
        _frame(bytes([0, 1, 2, 3])): _frame(  # OPS SEQ 0: READ 3 -> ACK, clean
            bytes([0x01, 0, 1]) + value.to_bytes(8, "little") + b"\x01"
        ),
        _frame(bytes([0x81, 0])): _frame(bytes([0x02, 1, 8, 16, 0, 1])),  # CLOSE
    }
    seen = []
    worker = threading.Thread(target=client)
    worker.start()
    try:
        buf = b""
        while worker.is_alive():
            if select.select([master], [], [], 0.05)[0]:
                buf += os.read(master, 4096)
            while buf:
                frame = next((f for f in answers if buf.startswith(f)), None)
                if frame is None:
                    assert any(f.startswith(buf) for f in answers), buf.hex()
                    break
                buf = buf[len(frame):]
                seen.append(frame)
                os.write(master, answers[frame])
    finally:
        worker.join(timeout=30)
        os.close(master)
        os.close(slave)
    assert result == [value]
    assert set(seen) == set(answers)
