"""kill -9 of a PersistentSyncTable writer at random points, many times, on
one WAL that every round reopens.

A forked child writes: puts of random values, a peer's wire v1 frames
(some delivered twice), and now and then a compaction. Before each operation
it writes its intent to a pipe and after it returns an acknowledgement. The
parent kills it with SIGKILL at a random moment, drains the pipe, reopens the
WAL and checks that

* every acknowledged operation is there, the one in flight (if any) is there
  or not, and nothing else: the state equals exactly one of those two;
* nothing is applied twice: every peer frame received so far is a duplicate
  after recovery, and the table's own sequence continues where it stopped.

kill -9 never tears a write (the kernel finishes or skips a write() call
whole); torn and damaged records are tested by cutting and corrupting files:
`wal/tests/recovery.rs` and `test_differences_040.py`.

ATOMIK_CRASH_ROUNDS (default 200) sets the number of kills.
"""

from __future__ import annotations

import os
import random
import signal
import time

import atomik_core as ac

ROUNDS = int(os.environ.get("ATOMIK_CRASH_ROUNDS", "200"))
CONTEXTS = 16
ME, PEER = 42, 7


def child(path: str, seed: int, frames: list[bytes], wfd: int) -> None:
    """The writer: never returns (killed, or exits after its budget)."""
    rng = random.Random(seed)
    out = os.fdopen(wfd, "w", buffering=1)
    t = ac.PersistentSyncTable(CONTEXTS, path=path, sender_id=ME)
    out.write("open\n")
    for _ in range(2000):
        r = rng.random()
        if r < 0.6:
            addr, value = rng.randrange(CONTEXTS), rng.getrandbits(64)
            out.write(f"I put {addr} {value}\n")
            t.put(addr, value)
        elif r < 0.97:
            i = rng.randrange(len(frames))
            out.write(f"I frame {i}\n")
            t.receive_frame(frames[i])
        else:
            out.write("I compact\n")
            t.compact()
        out.write("A\n")
    os._exit(0)


def run_child(path: str, seed: int, frames: list[bytes], rng: random.Random) -> list[str]:
    """Forks the writer, kills it at a random moment; returns every line it wrote."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        os.close(rfd)
        try:
            child(path, seed, frames, wfd)
        finally:
            os._exit(1)
    os.close(wfd)
    reader = os.fdopen(rfd, "r")
    lines = []
    for _ in range(rng.randrange(0, 40)):
        line = reader.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
    time.sleep(rng.random() * 0.003)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) or os.WEXITSTATUS(status) == 0, status
    lines += reader.read().splitlines()
    reader.close()
    return lines


def apply_op(state: list[int], seen: set[int], frames_msgs: list[dict], op: list[str]) -> None:
    """The model: what one operation does to the table."""
    if op[0] == "put":
        state[int(op[1])] = int(op[2])
    elif op[0] == "frame":
        m = frames_msgs[int(op[1])]
        if m["seq"] not in seen:
            seen.add(m["seq"])
            state[m["addr"]] ^= m["value"]


def test_kill_9_at_random_points_loses_no_acknowledged_write(tmp_path) -> None:
    rng = random.Random(20261204)
    path = str(tmp_path / "crash.wal")
    peer = ac.Replica(PEER, num_contexts=CONTEXTS, width=64)
    frames = [peer.accum(rng.randrange(CONTEXTS), rng.getrandbits(64)) for _ in range(400)]
    msgs = [ac.decode_frame(f) for f in frames]
    state, seen = [0] * CONTEXTS, set()
    puts = 0  # own messages acknowledged (or recovered) so far
    kinds = {"in flight": 0, "torn": 0, "snapshot": 0}
    for round_ in range(ROUNDS):
        seen_before = set(seen)
        lines = run_child(path, rng.getrandbits(32), frames, rng)
        acked, inflight = [], None
        for ln in lines:
            if ln.startswith("I "):
                inflight = ln[2:].split()
            elif ln == "A":
                acked.append(inflight)
                inflight = None
        for op in acked:
            apply_op(state, seen, msgs, op)
        with_op, with_seen = list(state), set(seen)
        if inflight:
            apply_op(with_op, with_seen, msgs, inflight)
        t = ac.PersistentSyncTable(CONTEXTS, path=path, sender_id=ME)
        got = [t.get(a) for a in range(CONTEXTS)]
        assert got in (state, with_op), f"round {round_}: {got} is neither {state} nor {with_op}"
        if got != state:
            state, seen = with_op, with_seen
            kinds["in flight"] += 1
        kinds["torn"] += t.recovery["torn_bytes"] > 0
        kinds["snapshot"] += t.recovery["snapshot"]
        for i, m in enumerate(msgs):
            if m["seq"] in seen | seen_before:
                assert t.receive_frame(frames[i]) == "duplicate", f"round {round_}: frame {i} applied twice"
        assert [t.get(a) for a in range(CONTEXTS)] == state
        # The own sequence continues: the next put's seq follows every put
        # that reached the log (acknowledged, or the one in flight).
        probe = t.put(0, state[0] ^ 1)
        done = sum(1 for op in acked if op[0] == "put")
        assert probe.seq in (puts + done + 1, puts + done + 2), (round_, probe.seq, puts, done)
        puts = probe.seq
        state[0] ^= 1
        t.close()
    # The kills landed both between operations and inside them, and inside
    # or after compactions: the test saw each kind of crash.
    assert kinds["in flight"] > 0 and kinds["snapshot"] > 0 or ROUNDS < 50, kinds
