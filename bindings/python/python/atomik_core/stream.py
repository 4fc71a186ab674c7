"""Delta streaming: 0.2.0's ``DeltaMessage`` and ``DeltaStream`` (native).

``DeltaMessage`` behaves as the original frozen dataclass (fields, repr,
equality, hash, ``dataclasses`` functions, ``FrozenInstanceError``) with
0.4.0's ``to_dict``/``from_dict`` and its 16-byte ``!IQI`` record,
``to_bytes``/``from_bytes``. That record carries no sender, so a receiver
cannot tell a redelivered record from a new one: use it to talk to the
original package; use ``Replica`` or a sync table's wire v1 frames for
anything that must survive duplicates.

``DeltaStream`` is 0.2.0's, except that a message a stream made takes effect
at most once on each stream (in 0.2.0 a duplicated message undid its delta,
XOR being self-inverse).
"""

from atomik_core._native import DeltaMessage, DeltaStream

__all__ = ["DeltaMessage", "DeltaStream"]
