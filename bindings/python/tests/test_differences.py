"""Every deliberate difference from atomik-core 0.2.0 (docs/python.md,
"Differences from 0.2.0"): each is asserted on our side by a test that needs
no oracle, and on 0.2.0's side by a test that runs the real 0.2.0 (and fails
when it is missing), so the list cannot silently go stale."""

from __future__ import annotations

import array
import subprocess

import pytest

import atomik_core as ac
from conftest import oracle_eval, run_oracle


DUPLICATE = """
a, b = ac.DeltaStream(), ac.DeltaStream()
a.load(0, 0xCAFE); b.load(0, 0xCAFE)
m = a.accum(0, 0x00FF)
b.apply(m); b.apply(m)      # the network delivered it twice
a.apply(m)                  # and echoed it back to its sender
print(hex(a.read(0)), hex(b.read(0)))
"""


def test_0_2_0_duplicate_delta_message_undoes_its_update(oracle) -> None:
    assert oracle_eval(oracle, DUPLICATE) == "0xcafe 0xcafe"


def test_duplicate_delta_message_does_not_undo() -> None:
    # Pins the 0.2.0 bug: XOR is self-inverse, so a duplicate undid the update.
    a, b = ac.DeltaStream(), ac.DeltaStream()
    a.load(0, 0xCAFE)
    b.load(0, 0xCAFE)
    m = a.accum(0, 0x00FF)
    b.apply(m)
    b.apply(m)
    a.apply(m)
    assert (a.read(0), b.read(0)) == (0xCA01, 0xCA01)


def test_hand_built_messages_still_apply_every_time() -> None:
    # Without a stream id there is nothing to deduplicate on: 0.2.0 behaviour.
    s = ac.DeltaStream()
    s.load(0, 1)
    m = ac.DeltaMessage(addr=0, delta=6)
    s.apply(m)
    s.apply(m)
    assert s.read(0) == 1


def test_fingerprint_widths_below_8_raise_instead_of_hanging() -> None:
    for w in range(1, 8):
        with pytest.raises(ValueError, match="at least 8 bits"):
            ac.Fingerprint(width=w)


def test_0_2_0_fingerprint_hangs_below_8_bits(oracle) -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        run_oracle(oracle, "import atomik_core as ac; ac.Fingerprint(width=4).load(b'x')", timeout=3)


@pytest.mark.parametrize(
    "make",
    [
        lambda: ac.AtomikContext(width=129),
        lambda: ac.AtomikTable(num_contexts=1, width=256),
        lambda: ac.Fingerprint(width=136),
        lambda: ac.DeltaStream(width=200).load(0, 1),
    ],
)
def test_widths_above_128_are_a_clear_error(make) -> None:
    with pytest.raises(ValueError, match="widths from 1 to 128"):
        make()


def test_0_2_0_accepts_wide_contexts(oracle) -> None:
    assert oracle_eval(oracle, "c = ac.AtomikContext(width=256, initial_state=-1); print(c.read() == 2**256 - 1)") == "True"


WORDS = array.array("I", range(1, 9))


def test_fingerprint_folds_raw_bytes_of_any_buffer() -> None:
    fp = ac.Fingerprint(width=64)
    assert fp.load(WORDS) == ac.Fingerprint(width=64).load(WORDS.tobytes())


def test_0_2_0_fingerprint_reads_items_as_bytes(oracle) -> None:
    fp = ac.Fingerprint(width=64)
    fp.load(WORDS.tobytes())
    # 0.2.0 sliced item-wise but read the slices as bytes: a different value.
    code = "import array; print(ac.Fingerprint(width=64).load(array.array('I', range(1, 9))))"
    assert int(oracle_eval(oracle, code)) != fp.value


def test_merge_of_a_non_context_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="AtomikContext"):
        ac.AtomikContext().merge(5)


def test_0_2_0_merge_of_a_non_context_is_an_attribute_error(oracle) -> None:
    code = "try:\n    ac.AtomikContext().merge(5)\nexcept Exception as e:\n    print(type(e).__name__)"
    assert oracle_eval(oracle, code) == "AttributeError"


def test_delta_count_wraps_at_2_32() -> None:
    # The core, the C library and the hardware count ACCUMs in 32 bits.
    c = ac._native._context_from_parts(64, 0, 0, 2**32 - 1)
    c.accum(1)
    assert c.delta_count == 0


def test_0_2_0_delta_count_is_unbounded(oracle) -> None:
    code = "c = ac.AtomikContext(); c._delta_count = 2**32 - 1; c.accum(1); print(c.delta_count)"
    assert oracle_eval(oracle, code) == str(2**32)


def test_none_means_default_for_optional_constructor_arguments() -> None:
    assert ac.AtomikContext(initial_state=None).read() == 0
    assert ac.AtomikTable(num_contexts=None).num_contexts == 256
    assert ac.SyncTable(num_contexts=None).num_contexts == 256
    s = ac.DeltaStream(width=None)
    s.accum(0, 2**64 + 5)
    assert s.read(0) == 5


def test_0_2_0_none_is_a_type_error(oracle) -> None:
    code = "try:\n    ac.AtomikContext(initial_state=None)\nexcept TypeError:\n    print('TypeError')"
    assert oracle_eval(oracle, code) == "TypeError"


def test_table_context_returns_a_new_live_view_each_time() -> None:
    t = ac.AtomikTable(num_contexts=2)
    a, b = t.context(1), t.context(1)
    assert a is not b and a == b
    a.accum(5)
    assert t.read(1) == 5 and b.read() == 5


def test_0_2_0_table_context_is_the_same_object(oracle) -> None:
    assert oracle_eval(oracle, "t = ac.AtomikTable(2); print(t.context(1) is t.context(1))") == "True"


def test_non_integer_addresses_are_a_type_error() -> None:
    t = ac.AtomikTable(num_contexts=4)
    with pytest.raises(TypeError):
        t.read(300.0)


def test_0_2_0_float_address_out_of_range_is_an_index_error(oracle) -> None:
    code = "try:\n    ac.AtomikTable(4).read(300.0)\nexcept Exception as e:\n    print(type(e).__name__)"
    assert oracle_eval(oracle, code) == "IndexError"


def test_benchmark_functions_are_not_shipped() -> None:
    # 0.2.0's benchmark prints hard-coded figures; bench/bench.py measures instead.
    assert not hasattr(ac, "bench_throughput")
    with pytest.raises(ImportError):
        __import__("atomik_core.benchmark")


def test_0_2_0_ships_benchmark_functions(oracle) -> None:
    assert oracle_eval(oracle, "print(callable(ac.bench_throughput))") == "True"


def test_delta_message_has_no_instance_dict() -> None:
    # Native, so a stream makes one in a fraction of the dataclass's time;
    # everything the dataclass API shows is kept (test_native.py).
    with pytest.raises(TypeError):
        vars(ac.DeltaMessage(0, 1))


def test_0_2_0_delta_message_has_an_instance_dict(oracle) -> None:
    assert oracle_eval(oracle, "print(vars(ac.DeltaMessage(0, 1)))") == "{'addr': 0, 'delta': 1, 'epoch': 0, 'seq': 0}"
