"""Every deliberate difference from atomik-core 0.4.0's sync API
(docs/python.md, "Differences from 0.4.0"): each bug of 0.4.0 is shown on the
real 0.4.0 (which fails these tests if it is missing) and its fix asserted on
our side by a test that needs no oracle."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import atomik_core as ac
from conftest import oracle_eval

# -- 1. a redelivered delta undoes an update ---------------------------------
REDELIVERED = """
a, b = ac.SyncTable(4), ac.SyncTable(4)
m = a.put(0, 0xCAFE)
b.receive(m); b.receive(m)          # the transport delivered it twice
hub = ac.MemoryTransport()
c, d = ac.SyncTable(4), ac.SyncTable(4)
hub.connect(c); hub.connect(d); hub.connect(c)   # c connected twice
d.put(1, 7)
print(hex(b.get(0)), c.get(1))
"""


def test_redelivered_delta_applies_once() -> None:
    ns: dict = {"ac": ac}
    exec(REDELIVERED.replace("print(", "out = ("), ns)
    assert ns["out"] == ("0xcafe", 7)


def test_0_4_0_redelivered_delta_undoes_the_update(oracle_040) -> None:
    assert oracle_eval(oracle_040, REDELIVERED) == "0x0 0"


def test_a_delta_without_a_sender_applies_every_time() -> None:
    # The 16-byte record has no sender: nothing may drop it by seq alone.
    t = ac.SyncTable(4)
    rec = ac.DeltaMessage(addr=0, delta=5, seq=1).to_bytes()
    for _ in range(3):
        ac.CallbackTransport(t).receive_bytes(rec)
    assert t.get(0) == 5


def test_v1_frames_survive_duplicates_over_a_byte_transport() -> None:
    a, b = ac.SyncTable(4), ac.SyncTable(4)
    sent: list[bytes] = []
    ac.CallbackTransport(a, sent.append, wire="v1")
    rx = ac.CallbackTransport(b)
    a.put(2, 0xAB)
    assert len(sent[0]) == a._core.frame_len == 40
    rx.receive_bytes(sent[0])
    rx.receive_bytes(sent[0])
    assert b.get(2) == 0xAB
    assert b.receive_frame(sent[0]) == "duplicate"


# -- 2. the WAL has no checksum ------------------------------------------------
def test_a_damaged_wal_record_is_refused_and_the_file_kept(tmp_path) -> None:
    path = tmp_path / "s.wal"
    with ac.PersistentSyncTable(4, path=path) as t:
        t.put(0, 0x1111)
        t.put(1, 0x2222)
    data = bytearray(path.read_bytes())
    data[-50] ^= 0x04  # inside the first record; the second follows it
    path.write_bytes(bytes(data))
    with pytest.raises(ac.WalError, match="damaged"):
        ac.PersistentSyncTable(4, path=path)
    assert path.read_bytes() == bytes(data)


def test_0_4_0_reads_a_damaged_wal_as_a_wrong_value(oracle_040, tmp_path) -> None:
    code = f"""
p = {str(tmp_path / 'o.wal')!r}
t = ac.PersistentSyncTable(4, path=p); t.put(0, 0x1111); t.close()
b = bytearray(open(p, 'rb').read()); b[10] ^= 0x04; open(p, 'wb').write(b)
print(hex(ac.PersistentSyncTable(4, path=p).get(0)))
"""
    assert oracle_eval(oracle_040, code) == "0x1511"


# -- 3. fsync before put returns and before the callback fires -----------------
TRACED = """
import atomik_core as ac, os, sys
t = ac.PersistentSyncTable(4, path=sys.argv[1], on_delta=lambda m: os.write(1, b"callback"))
t.put(0, 5)
os.write(1, b"returned")
t.compact()
"""


def trace(python: str, tmp_path: Path) -> list[str]:
    """The WAL's syscalls (and the callback's and the caller's markers) of
    TRACED run by `python`, in order."""
    log = tmp_path / "strace.log"
    subprocess.run(
        ["strace", "-f", "-y", "-e", "trace=write,fdatasync,fsync,rename,renameat,renameat2",
         "-o", str(log), python, "-c", TRACED, str(tmp_path / "t.wal")],
        check=True, capture_output=True, cwd=tmp_path,
    )
    keep = ("t.wal", '"callback"', '"returned"', f"{tmp_path}>")
    return [ln for ln in log.read_text().splitlines() if any(k in ln for k in keep)]


def index(calls: list[str], pattern: str, after: int = -1) -> int:
    for i, ln in enumerate(calls):
        if i > after and re.search(pattern, ln):
            return i
    raise AssertionError(f"no {pattern!r} after line {after} in:\n" + "\n".join(calls))


def test_puts_are_fsynced_before_the_callback_and_the_return(tmp_path) -> None:
    calls = trace(sys.executable, tmp_path)
    record = index(calls, r"write\(\d+<[^>]*t\.wal>, .*, 40\)")
    synced = index(calls, r"f(data)?sync\(\d+<[^>]*t\.wal>", after=record)
    assert synced < index(calls, '"callback"') < index(calls, '"returned"'), calls
    # Compaction: the sibling file fsynced, renamed over the WAL, then the
    # directory fsynced.
    renamed = index(calls, r"rename.*t\.wal\.compact.*t\.wal")
    assert index(calls, r"fsync\(\d+<[^>]*t\.wal\.compact>") < renamed, calls
    index(calls, rf"fsync\(\d+<{re.escape(str(tmp_path))}>\)", after=renamed)


def test_0_4_0_puts_are_never_fsynced(oracle_040, tmp_path) -> None:
    calls = trace(str(oracle_040), tmp_path)
    returned = index(calls, '"returned"')
    assert not any(re.search(r"f(data)?sync", ln) for ln in calls[:returned]), calls
    assert index(calls, '"callback"') < index(calls, r"write\(\d+<[^>]*t\.wal>"), calls


def test_0_4_0_compaction_does_not_fsync_the_directory(oracle_040, tmp_path) -> None:
    calls = trace(str(oracle_040), tmp_path)
    renamed = index(calls, r"rename.*t\.wal")
    assert not any(re.search(rf"fsync\(\d+<{re.escape(str(tmp_path))}>\)", ln) for ln in calls[renamed:]), calls


def test_0_4_0_fires_the_callback_before_writing_the_wal(oracle_040, tmp_path) -> None:
    code = f"""
import os
p = {str(tmp_path / 'o.wal')!r}
t = ac.PersistentSyncTable(4, path=p, on_delta=lambda m: print(os.path.getsize(p)))
t.put(0, 5)
"""
    assert oracle_eval(oracle_040, code) == "0"


# -- 4. a torn tail misaligns every later record ---------------------------------
def torn_then_more(path: Path) -> None:
    with ac.PersistentSyncTable(4, path=path) as t:
        t.put(0, 0xAAAA)
        t.put(1, 0xBBBB)
    with open(path, "r+b") as f:  # a crash tore the last record
        f.truncate(path.stat().st_size - 7)


def test_a_torn_tail_is_cut_and_later_records_stay_aligned(tmp_path) -> None:
    path = tmp_path / "s.wal"
    torn_then_more(path)
    with ac.PersistentSyncTable(4, path=path) as t:
        assert t.recovery["torn_bytes"] == 33
        assert (t.get(0), t.get(1)) == (0xAAAA, 0)
        t.put(2, 0xCCCC)
    with ac.PersistentSyncTable(4, path=path) as t:
        assert t.snapshot() == {0: 0xAAAA, 1: 0, 2: 0xCCCC, 3: 0}
        assert t.recovery == {"records": 2, "torn_bytes": 0, "snapshot": False}


def test_0_4_0_misaligns_records_after_a_torn_tail(oracle_040, tmp_path) -> None:
    code = f"""
p = {str(tmp_path / 'o.wal')!r}
t = ac.PersistentSyncTable(4, path=p); t.put(0, 0xAAAA); t.put(1, 0xBBBB); t.close()
import os; f = open(p, 'r+b'); f.truncate(os.path.getsize(p) - 7); f.close()
t = ac.PersistentSyncTable(4, path=p); t.put(2, 0xCCCC); t.close()
try:
    print(ac.PersistentSyncTable(4, path=p).get(2) == 0xCCCC)
except Exception as e:
    print(type(e).__name__)
"""
    assert oracle_eval(oracle_040, code) in ("False", "IndexError")


# -- 5. replaying the WAL re-broadcasts -----------------------------------------
def test_replay_never_fires_the_callback(tmp_path) -> None:
    path = tmp_path / "s.wal"
    with ac.PersistentSyncTable(4, path=path) as t:
        t.put(0, 9)
        t.compact()
        t.put(1, 8)
    sent: list = []
    with ac.PersistentSyncTable(4, path=path, on_delta=sent.append) as t:
        assert (t.get(0), t.get(1), sent) == (9, 8, [])


def test_0_4_0_replay_re_broadcasts_compacted_values(oracle_040, tmp_path) -> None:
    code = f"""
p = {str(tmp_path / 'o.wal')!r}
t = ac.PersistentSyncTable(4, path=p); t.put(0, 9); t.compact(); t.close()
sent = []
ac.PersistentSyncTable(4, path=p, on_delta=sent.append)
print(len(sent))
"""
    assert oracle_eval(oracle_040, code) == "1"


# -- 6. seq 0xFFFFFFFF is mistaken for a LOAD ------------------------------------
def test_a_received_seq_of_0xffffffff_is_a_delta_after_replay(tmp_path) -> None:
    path = tmp_path / "s.wal"
    with ac.PersistentSyncTable(4, path=path) as t:
        t.put(0, 3)
        t.receive(ac.DeltaMessage(addr=0, delta=5, seq=0xFFFFFFFF))
        assert t.get(0) == 6
    with ac.PersistentSyncTable(4, path=path) as t:
        assert t.get(0) == 6


def test_0_4_0_replays_seq_0xffffffff_as_a_load(oracle_040, tmp_path) -> None:
    code = f"""
p = {str(tmp_path / 'o.wal')!r}
t = ac.PersistentSyncTable(4, path=p); t.put(0, 3)
t.receive(ac.DeltaMessage(addr=0, delta=5, seq=0xFFFFFFFF)); t.close()
print(ac.PersistentSyncTable(4, path=p).get(0))
"""
    assert oracle_eval(oracle_040, code) == "5"


# -- 7. no lock on the WAL file ---------------------------------------------------
LOCKED = """
import atomik_core as ac, sys
try:
    ac.PersistentSyncTable(4, path=sys.argv[1])
    print("opened")
except ac.WalError as e:
    print("refused:", e)
"""


def test_a_second_writer_is_refused(tmp_path) -> None:
    path = tmp_path / "s.wal"
    with ac.PersistentSyncTable(4, path=path):
        with pytest.raises(ac.WalError, match="locked"):
            ac.PersistentSyncTable(4, path=path)
        other = subprocess.run([sys.executable, "-c", LOCKED, str(path)], capture_output=True, text=True)
        assert other.stdout.startswith("refused:"), other
    with ac.PersistentSyncTable(4, path=path):  # closing released it
        pass


def test_0_4_0_lets_two_writers_append_to_one_wal(oracle_040, tmp_path) -> None:
    code = f"""
p = {str(tmp_path / 'o.wal')!r}
a = ac.PersistentSyncTable(4, path=p); b = ac.PersistentSyncTable(4, path=p)
print("opened")
"""
    assert oracle_eval(oracle_040, code) == "opened"


# -- 8. put masks the value to the width ----------------------------------------
def test_put_masks_the_value_to_the_width() -> None:
    t = ac.SyncTable(4, width=8)
    m = t.put(0, 0x1FF)
    assert (m.delta, t.get(0)) == (0xFF, 0xFF)
    assert t.put(0, 0x1FF).delta == 0  # no change, no message
    assert t.put(1, -1).to_bytes() == ac.DeltaMessage(1, 0xFF, 0, 2).to_bytes()


def test_0_4_0_sends_the_unmasked_xor(oracle_040) -> None:
    code = """
t = ac.SyncTable(4, width=8)
m = t.put(0, 0x1FF)
try:
    t.put(1, -1).to_bytes()
    neg = "packed"
except Exception as e:
    neg = type(e).__name__
print(hex(m.delta), t.get(0), neg)
"""
    assert oracle_eval(oracle_040, code) == "0x1ff 255 error"


# -- 9. writes after close --------------------------------------------------------
def test_a_put_after_close_raises_and_changes_nothing(tmp_path) -> None:
    t = ac.PersistentSyncTable(4, path=tmp_path / "s.wal")
    t.close()
    with pytest.raises(ValueError, match="closed"):
        t.put(0, 1)
    assert t.get(0) == 0


def test_0_4_0_applies_a_put_after_close_then_raises(oracle_040, tmp_path) -> None:
    code = f"""
t = ac.PersistentSyncTable(4, path={str(tmp_path / 'o.wal')!r}); t.close()
try:
    t.put(0, 1)
except ValueError:
    print(t.get(0))
"""
    assert oracle_eval(oracle_040, code) == "1"


# -- 10. a WAL written by 0.4.0 ---------------------------------------------------
def test_a_0_4_0_wal_is_refused_untouched(tmp_path) -> None:
    path = tmp_path / "old.wal"
    raw = ac.DeltaMessage(addr=0, delta=5, seq=1).to_bytes()
    path.write_bytes(raw)
    with pytest.raises(ac.WalError, match="0.4.0"):
        ac.PersistentSyncTable(4, path=path)
    assert path.read_bytes() == raw


def test_the_sync_api_is_importable_from_0_4_0s_modules() -> None:
    from atomik_core.async_transport import AsyncCallbackTransport, AsyncSyncTable
    from atomik_core.persistent import PersistentSyncTable
    from atomik_core.sync import SyncTable
    from atomik_core.transport import CallbackTransport, MemoryTransport

    assert (SyncTable, PersistentSyncTable) == (ac.SyncTable, ac.PersistentSyncTable)
    assert (MemoryTransport, CallbackTransport) == (ac.MemoryTransport, ac.CallbackTransport)
    assert (AsyncSyncTable, AsyncCallbackTransport) == (ac.AsyncSyncTable, ac.AsyncCallbackTransport)
    assert not isinstance(ac.PersistentSyncTable.__new__(ac.PersistentSyncTable), ac.SyncTable)


def test_the_device_bindings_are_not_shipped() -> None:
    # 0.4.0's DeviceContext/DeviceTable drive a /dev/atomik kernel module
    # that is not part of this project.
    assert not hasattr(ac, "DeviceTable") and not hasattr(ac, "DeviceContext")


def test_0_4_0_ships_device_bindings(oracle_040) -> None:
    assert oracle_eval(oracle_040, "print(hasattr(ac, 'DeviceTable'))") == "True"


# -- 11. values wider than 64 bits in the log -----------------------------------
def test_a_128_bit_table_logs_its_values(tmp_path) -> None:
    path = tmp_path / "w.wal"
    with ac.PersistentSyncTable(2, path=path, width=128) as t:
        t.put(1, 2**100 + 5)
    with ac.PersistentSyncTable(2, path=path, width=128) as t:
        assert t.get(1) == 2**100 + 5


def test_0_4_0_applies_a_wide_put_then_fails_to_log_it(oracle_040, tmp_path) -> None:
    code = f"""
p = {str(tmp_path / 'o.wal')!r}
t = ac.PersistentSyncTable(2, path=p, width=128)
try:
    t.put(1, 2**100 + 5)
except Exception as e:
    print(type(e).__name__, t.get(1) == 2**100 + 5)
t.close()
print(ac.PersistentSyncTable(2, path=p, width=128).get(1))
"""
    assert oracle_eval(oracle_040, code).split() == ["error", "True", "0"]


# -- 12. a reopened table's sequence --------------------------------------------
def test_a_reopened_table_continues_its_sequence(tmp_path) -> None:
    path = tmp_path / "s.wal"
    peer = ac.SyncTable(4)
    with ac.PersistentSyncTable(4, path=path) as t:
        peer.receive(t.put(0, 1))
    with ac.PersistentSyncTable(4, path=path) as t:
        m = t.put(1, 2)
        assert m.seq == 2
        peer.receive(m)  # not mistaken for the first put's duplicate
    assert peer.snapshot() == {0: 1, 1: 2, 2: 0, 3: 0}


def test_0_4_0_restarts_its_sequence_on_reopen(oracle_040, tmp_path) -> None:
    code = f"""
p = {str(tmp_path / 'o.wal')!r}
t = ac.PersistentSyncTable(4, path=p); t.put(0, 1); t.close()
print(ac.PersistentSyncTable(4, path=p).put(1, 2).seq)
"""
    assert oracle_eval(oracle_040, code) == "1"


# -- 13. bounded dedup memory ----------------------------------------------------
def test_a_message_beyond_the_receive_window_is_refused_until_the_gap_fills() -> None:
    a, b = ac.SyncTable(4), ac.SyncTable(4)
    msgs = [a.put(0, v) for v in range(1, 1100)]
    with pytest.raises(ac.ReplicaRefused):
        b.receive(msgs[1030])  # 1030 seqs ahead of the first missing one
    for m in msgs:
        b.receive(m)
    assert b.get(0) == a.get(0)
