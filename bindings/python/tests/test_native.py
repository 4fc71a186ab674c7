"""The APIs 0.2.0 does not have: buffer batches, the positional fingerprint,
the exactly-once Replica and wire v1 frames; and bad input on all of them."""

from __future__ import annotations

import array
import mmap
import random

import pytest

import atomik_core as ac

THRESHOLD = ac._native.GIL_RELEASE_THRESHOLD


def reference_fold(data: bytes, width: int) -> int:
    """0.2.0's Fingerprint._reduce, restated: XOR of little-endian chunks."""
    n = width // 8
    acc = 0
    for i in range(0, len(data), n):
        acc ^= int.from_bytes(data[i : i + n].ljust(n, b"\0"), "little")
    return acc & ((1 << width) - 1)


def per_call(n: int, width: int, addrs, deltas) -> dict:
    t = ac.AtomikTable(num_contexts=n, width=width)
    for a, d in zip(addrs, deltas):
        t.accum(int(a), int(d))
    return t.snapshot()


@pytest.mark.parametrize("acode", ["B", "H", "I", "L", "Q", "b", "h", "i", "l", "q"])
@pytest.mark.parametrize("dcode", ["B", "h", "I", "q", "Q"])
def test_accum_many_equals_per_call_accum(acode: str, dcode: str) -> None:
    rng = random.Random(acode + dcode)
    size = array.array(dcode).itemsize * 8
    signed = dcode.islower()
    lo, hi = (-(1 << (size - 1)), (1 << (size - 1)) - 1) if signed else (0, (1 << size) - 1)
    n = 100
    addrs = array.array(acode, [rng.randrange(n) for _ in range(1000)])
    deltas = array.array(dcode, [rng.randint(lo, hi) for _ in range(1000)])
    for width in (12, 64, 128):
        t = ac.AtomikTable(num_contexts=n, width=width)
        t.accum_many(addrs, deltas)
        assert t.snapshot() == per_call(n, width, addrs, deltas)


def test_accum_many_takes_bytes_memoryviews_and_strided_views() -> None:
    t = ac.AtomikTable(num_contexts=4, width=8)
    t.accum_many(b"\x00\x01\x03", bytearray(b"\x05\x06\x07"))
    assert t.snapshot() == {0: 5, 1: 6, 3: 7}
    addrs = array.array("Q", [0, 99, 1, 99, 2, 99])
    deltas = array.array("Q", [1, 0, 2, 0, 3, 0])
    t2 = ac.AtomikTable(num_contexts=4)
    t2.accum_many(memoryview(addrs)[::2], memoryview(deltas)[::2])
    assert t2.snapshot() == {0: 1, 1: 2, 2: 3}


def test_accum_many_with_numpy() -> None:
    import numpy as np  # installed by `just deps`: the test must not skip
    rng = np.random.default_rng(7)
    addrs = rng.integers(0, 256, 200_000, dtype=np.uint32)
    deltas = rng.integers(0, 2**63, 200_000, dtype=np.uint64)
    t = ac.AtomikTable()
    t.accum_many(addrs, deltas)
    assert t.snapshot() == per_call(256, 64, addrs, deltas)


def test_accum_many_is_all_or_nothing() -> None:
    t = ac.AtomikTable(num_contexts=4)
    t.load(0, 9)
    for bad in ([0, 1, 4], [0, -1, 2]):
        with pytest.raises(IndexError, match="nothing was applied"):
            t.accum_many(array.array("q", bad), array.array("Q", [1, 2, 3]))
    assert t.snapshot() == {0: 9}
    assert t.context(0).delta_count == 0


def full_state(t) -> list:
    """Every context's reference, accumulator and delta count."""
    return [(c.reference, c.accumulator, c.delta_count) for c in map(t.context, range(t.num_contexts))]


# accum_many has two strategies: fewer pairs than contexts go straight into
# the table; otherwise the pairs are summed per context, chunk by chunk, and
# merged at the end. Both must equal per-call accum, delta counts included.
@pytest.mark.parametrize("contexts, pairs", [(5000, 300), (16, THRESHOLD + 17)])
@pytest.mark.parametrize("as_bytes", [False, True])
def test_accum_many_equals_per_call_in_both_strategies(contexts: int, pairs: int, as_bytes: bool) -> None:
    rng = random.Random(contexts + pairs)
    addrs = array.array("q", [rng.randrange(contexts) for _ in range(pairs)])
    deltas = array.array("q", [rng.randrange(-(1 << 63), 1 << 63) for _ in range(pairs)])
    if as_bytes:  # bytes are read in place, other buffers chunk by chunk
        addrs, deltas = memoryview(addrs.tobytes()).cast("q"), memoryview(deltas.tobytes()).cast("q")
    for width in (7, 64, 128):
        t, ref = ac.AtomikTable(contexts, width), ac.AtomikTable(contexts, width)
        t.load(1, 5)
        ref.load(1, 5)
        t.accum_many(addrs, deltas)
        for a, d in zip(addrs, deltas):
            ref.accum(a, d)
        assert full_state(t) == full_state(ref)


@pytest.mark.parametrize("bad", [4, -3, 1 << 40])
def test_accum_many_is_all_or_nothing_across_chunks(bad: int) -> None:
    # The bad address sits in the third 16 Ki-element chunk: the chunks before
    # it were already summed, and still nothing may reach the table.
    n = 40_000
    addrs = array.array("q", [i % 4 for i in range(n)])
    addrs[35_000] = bad
    t = ac.AtomikTable(num_contexts=4)
    t.load(2, 9)
    before = full_state(t)
    with pytest.raises(IndexError, match=f"address {bad} out of range .*nothing was applied"):
        t.accum_many(addrs, array.array("Q", [7] * n))
    assert full_state(t) == before


def test_int_subclass_overriding_and_is_masked_by_its_own_operator() -> None:
    # Regression: the u64 fast path used to read an int subclass's value
    # directly, skipping the `__and__` that 0.2.0's load (`value & mask`)
    # calls. (0.2.0's accum computes `(acc ^ delta) & mask`, where `^` turns
    # the subclass into a plain int first, so accum is not affected.)
    class Low4(int):
        def __and__(self, other):
            return int(self) & 0xF & other

    ctx = ac.AtomikContext(width=64)
    ctx.load(Low4(0x1234))
    t = ac.AtomikTable(num_contexts=2, width=8)
    t.load(0, Low4(0xAB))
    t.accum(1, Low4(0xAB))
    ctx.accum(Low4(0x10))
    assert (ctx.read(), t.read(0), t.read(1)) == (0x14, 0xB, 0xAB)  # what 0.2.0 returns
    assert ac.AtomikContext(width=8, initial_state=True).read() == 1


@pytest.mark.parametrize(
    "addrs, deltas, exc",
    [
        (array.array("Q", [0]), array.array("Q", [1, 2]), ValueError),
        (array.array("d", [0.0]), array.array("Q", [1]), TypeError),
        (array.array("Q", [0]), array.array("f", [1.0]), TypeError),
        ([0, 1], [1, 2], TypeError),
        ("ab", b"xy", TypeError),
    ],
)
def test_accum_many_bad_input(addrs, deltas, exc) -> None:
    t = ac.AtomikTable(num_contexts=4)
    with pytest.raises(exc):
        t.accum_many(addrs, deltas)
    assert t.snapshot() == {}


def test_accum_many_above_the_gil_threshold() -> None:
    n = THRESHOLD * 3 + 5
    rng = random.Random(3)
    addrs = array.array("I", [rng.randrange(256) for _ in range(n)])
    deltas = array.array("Q", [rng.getrandbits(64) for _ in range(n)])
    t = ac.AtomikTable()
    t.accum_many(addrs, deltas)
    assert t.snapshot() == per_call(256, 64, addrs, deltas)


@pytest.mark.parametrize("width", [8, 12, 16, 24, 32, 64, 100, 128])
def test_fingerprint_of_every_buffer_kind(width: int, tmp_path) -> None:
    rng = random.Random(width)
    for n in (0, 1, 7, 8, 9, 100, 1001, THRESHOLD + 3):
        data = rng.randbytes(n)
        want = reference_fold(data, width)
        path = tmp_path / "f.bin"
        path.write_bytes(data or b"\0")
        kinds = [data, bytearray(data), memoryview(data), array.array("B", data)]
        for obj in kinds:
            assert ac.Fingerprint(width=width).load(obj) == want
        if n:
            with open(path, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                assert ac.Fingerprint(width=width).load(mm) == want


def test_fingerprint_rejects_non_buffers() -> None:
    fp = ac.Fingerprint()
    for bad in ("text", [1, 2], 5, None):
        with pytest.raises(TypeError):
            fp.load(bad)
    assert fp.value == 0


def test_positional_fingerprint_sees_swapped_chunks() -> None:
    a = bytes(range(16))
    b = a[8:] + a[:8]
    assert ac.Fingerprint().load(a) == ac.Fingerprint().load(b)
    fp = ac.PositionalFingerprint()
    fp.load(a)
    fp.update(b)
    assert fp.changed
    # O(1) update of one chunk matches a rescan.
    c = bytearray(a)
    c[8:16] = (12345).to_bytes(8, "little")
    inc = ac.PositionalFingerprint()
    inc.load(a)
    inc.accumulate_delta(1, int.from_bytes(a[8:16], "little"), 12345)
    assert inc.value == ac.PositionalFingerprint().load(bytes(c))


def test_replicas_converge_over_a_lossy_duplicating_reordering_network() -> None:
    rng = random.Random(11)
    reps = [ac.Replica(i, num_contexts=16, width=64) for i in range(3)]
    sent: list[list[bytes]] = [[] for _ in reps]
    inflight: list[tuple[int, bytes]] = []
    for _ in range(3000):
        i = rng.randrange(3)
        r = reps[i]
        addr = rng.randrange(16)
        if rng.random() < 0.1:
            f = r.load(addr, rng.getrandbits(64))
        elif rng.random() < 0.05:
            f = r.swap(addr)[1]
        else:
            f = r.accum(addr, rng.getrandbits(64))
        sent[i].append(f)
        for j in range(3):
            if j != i and rng.random() > 0.2:  # 20% loss
                inflight.append((j, f))
                if rng.random() < 0.2:  # 20% duplicated
                    inflight.append((j, f))
        if rng.random() < 0.3:
            rng.shuffle(inflight)
            for j, f in inflight[: len(inflight) // 2]:
                try:
                    reps[j].apply(f)
                except ac.ReplicaRefused:
                    pass  # resent below
            del inflight[: len(inflight) // 2]
    # Drain, then retransmit whatever each replica reports missing until quiet.
    for _ in range(50):
        for j, f in inflight:
            try:
                reps[j].apply(f)
            except ac.ReplicaRefused:
                pass
        inflight = [
            (j, sent[i][s])
            for j in range(3)
            for i in range(3)
            if i != j
            for lo, hi in reps[j].missing(i, len(sent[i]))
            for s in range(lo, hi)
        ]
        if not inflight:
            break
    assert not inflight
    assert reps[0].same_state(reps[1]) and reps[1].same_state(reps[2])
    assert reps[0].snapshot() == reps[2].snapshot()
    assert reps[1].stats["duplicates"] > 0


def test_replica_duplicates_stale_and_own_messages() -> None:
    a, b = ac.Replica(1, width=32), ac.Replica(2, width=32)
    f0 = a.load(0, 100)
    f1 = a.accum(0, 0xFF)
    assert [b.apply(f) for f in (f0, f1, f1)] == ["applied", "applied", "duplicate"]
    assert a.apply(f1) == "own"
    assert b.read(0) == 100 ^ 0xFF
    # A delta of an epoch that a later LOAD superseded is consumed without effect.
    old = a.accum(0, 1)
    reload = a.load(0, 7)
    assert b.apply(reload) == "applied"
    assert b.apply(old) == "stale"
    assert b.read(0) == a.read(0) == 7


def test_replica_refuses_a_delta_before_its_load() -> None:
    a, b = ac.Replica(1), ac.Replica(2)
    load = a.load(3, 5)
    delta = a.accum(3, 1)
    with pytest.raises(ac.ReplicaRefused, match="resend"):
        b.apply(delta)
    assert b.apply(load) == "applied" and b.apply(delta) == "applied"
    assert b.read(3) == 4


def test_wire_frames_decode_and_reject_corruption() -> None:
    r = ac.Replica(9, width=16)
    f = r.accum(2, 0xBEEF)
    assert len(f) == r.frame_len == 34
    assert ac.decode_frame(f, width=16) == {
        "kind": "accum", "sender": 9, "epoch": 0, "seq": 0, "addr": 2, "value": 0xBEEF,
    }
    peer = ac.Replica(1, width=16)
    bad = bytearray(f)
    bad[28] ^= 1
    for junk in (bytes(bad), f[:-1], f + b"\0", b"", b"\x02" + f[1:]):
        with pytest.raises(ac.WireFormatError):
            peer.apply(junk)
    with pytest.raises(ac.WireFormatError):
        ac.decode_frame(f, width=64)
    assert peer.read(2) == 0


def test_apply_stream_skips_bad_frames_and_keeps_the_tail() -> None:
    a, b = ac.Replica(1, width=8), ac.Replica(2, width=8)
    frames = [a.accum(0, 1), a.accum(1, 2), a.accum(2, 3)]
    bad = bytearray(frames[1])
    bad[-1] ^= 0xFF
    stream = frames[0] + bytes(bad) + frames[2] + frames[0][:5]
    results, consumed = b.apply_stream(stream)
    assert results[0] == "applied" and results[2] == "applied"
    assert isinstance(results[1], ac.WireFormatError)
    assert consumed == 3 * len(frames[0])
    assert b.snapshot() == {0: 1, 2: 3}


@pytest.mark.parametrize(
    "make, exc",
    [
        (lambda: ac.Replica(1, width=12), ValueError),
        (lambda: ac.Replica(1, num_contexts=0), ValueError),
        (lambda: ac.Replica(1, window=100), ValueError),
        (lambda: ac.Replica(1, max_senders=0), ValueError),
        (lambda: ac.Replica(-1), OverflowError),
        (lambda: ac.Replica(1, width=8).accum(0, 256), OverflowError),
        (lambda: ac.Replica(1, width=8).accum(0, -1), OverflowError),
        (lambda: ac.Replica(1, num_contexts=2).load(2, 0), IndexError),
        (lambda: ac.Replica(1).apply("text"), TypeError),
        (lambda: ac.decode_frame(b"", width=7), ValueError),
    ],
)
def test_replica_bad_input(make, exc) -> None:
    with pytest.raises(exc):
        make()


def test_replica_gaps_and_missing() -> None:
    a, b = ac.Replica(1), ac.Replica(2)
    frames = [a.accum(0, i) for i in range(6)]
    for i in (0, 1, 4):
        b.apply(frames[i])
    assert b.gaps() == [(1, 2, 4)]
    assert b.missing(1, 6) == [(2, 4), (5, 6)]
    assert b.expected(1) == 2


def test_large_inputs_release_the_gil() -> None:
    # A Python thread must make progress *during* one long native call.
    import threading
    import time

    data = bytes(128 * 1024 * 1024)
    ticks: list[float] = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())

    th = threading.Thread(target=spin)
    th.start()
    time.sleep(0.05)
    try:
        inside = 0
        for _ in range(5):
            t0 = time.perf_counter()
            ac.Fingerprint().load(data)
            t1 = time.perf_counter()
            inside += sum(t0 < t < t1 for t in ticks[-100_000:])
            if inside:
                break
    finally:
        stop.set()
        th.join()
    assert inside > 0


@pytest.mark.parametrize(
    "make, exc",
    [
        (lambda: ac.AtomikTable(num_contexts=2**62), MemoryError),
        (lambda: ac.AtomikTable(num_contexts=10**30), MemoryError),
        (lambda: ac.AtomikTable(num_contexts=0), ValueError),
        (lambda: ac.AtomikTable(num_contexts=2.5), TypeError),
        (lambda: ac.AtomikContext(width=0), ValueError),
        (lambda: ac.AtomikContext(width="64"), TypeError),
        (lambda: ac.AtomikContext().accum(1.5), TypeError),
        (lambda: ac.AtomikTable(4).read(2**80), IndexError),
        (lambda: ac.AtomikTable(4).accum(-1, 1), IndexError),
        (lambda: ac.AtomikTable(4).batch_accum([1, 2]), AttributeError),
    ],
)
def test_bad_input_raises_like_0_2_0(make, exc) -> None:
    with pytest.raises(exc):
        make()


def test_pickle_and_copy_round_trip() -> None:
    import copy
    import pickle

    c = ac.AtomikContext(width=12, initial_state=7)
    c.accum(3)
    t = ac.AtomikTable(num_contexts=5, width=100)
    t.load(1, 2**99 + 1)
    t.accum(4, 7)
    t.accum(4, 7)  # clean again, but delta_count 2
    fp = ac.Fingerprint(width=24)
    fp.load(b"abcdef")
    fp.update(b"abcdeg")
    for obj in (c, t, fp, t.context(1)):
        for clone in (pickle.loads(pickle.dumps(obj)), copy.copy(obj), copy.deepcopy(obj)):
            assert type(clone) is type(obj) and repr(clone) == repr(obj)
    t2 = pickle.loads(pickle.dumps(t))
    assert t2.snapshot() == t.snapshot() and t2.context(4).delta_count == 2
    assert pickle.loads(pickle.dumps(fp)).delta == fp.delta


def test_delta_message_behaves_as_the_frozen_dataclass() -> None:
    import copy
    import dataclasses
    import pickle

    m = ac.DeltaMessage(0, 5)
    assert repr(m) == "DeltaMessage(addr=0, delta=5, epoch=0, seq=0)"
    assert m == ac.DeltaMessage(addr=0, delta=5, epoch=0, seq=0) and hash(m) == hash((0, 5, 0, 0))
    assert m != ac.DeltaMessage(0, 6) and (m == (0, 5, 0, 0)) is False
    assert dataclasses.is_dataclass(m)
    assert [f.name for f in dataclasses.fields(m)] == ["addr", "delta", "epoch", "seq"]
    assert dataclasses.asdict(m) == {"addr": 0, "delta": 5, "epoch": 0, "seq": 0}
    assert dataclasses.astuple(m) == (0, 5, 0, 0)
    assert dataclasses.replace(m, delta=7) == ac.DeltaMessage(0, 7)
    for attr in ("addr", "other"):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(m, attr, 1)
    assert ac.DeltaMessage.__match_args__ == ("addr", "delta", "epoch", "seq")
    assert ac.DeltaMessage.from_bytes(m.to_bytes()) == m
    assert ac.DeltaMessage.from_dict(m.to_dict()) == m
    # A stream's message keeps its origin through pickle and copy, so a
    # copy is still recognised as the same message.
    s, t = ac.DeltaStream(), ac.DeltaStream()
    s.load(0, 1)
    t.load(0, 1)
    x = s.accum(0, 6)
    for twin in (x, pickle.loads(pickle.dumps(x)), copy.copy(x), copy.deepcopy(x)):
        t.apply(twin)
    assert t.read(0) == 7
