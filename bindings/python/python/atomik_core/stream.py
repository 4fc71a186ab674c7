"""Delta streaming: 0.2.0's ``DeltaMessage`` and ``DeltaStream``.

``DeltaMessage`` is the original frozen dataclass (same fields, repr,
equality and hash) with 0.4.0's ``to_dict``/``from_dict`` and its 16-byte
``!IQI`` wire record, ``to_bytes``/``from_bytes``. That record carries no
sender, so a receiver cannot tell a redelivered record from a new one: use it
to talk to the original package; use ``Replica`` or a sync table's wire v1
frames for anything that must survive duplicates.

``DeltaStream`` is native (``atomik_core._native``): 0.2.0's behaviour, except
that a message a stream made takes effect at most once on each stream (in
0.2.0 a duplicated message undid its delta, XOR being self-inverse).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from atomik_core._native import DeltaStream

# The original wire record: addr (uint32), delta (uint64), seq (uint32),
# network byte order: 16 bytes.
_WIRE_FORMAT = "!IQI"
_WIRE_SIZE = struct.calcsize(_WIRE_FORMAT)

__all__ = ["DeltaMessage", "DeltaStream"]


@dataclass(frozen=True)
class DeltaMessage:
    """A single delta to be transmitted between nodes.

    Attributes:
        addr: Context address this delta applies to.
        delta: The XOR delta value.
        epoch: Epoch number (incremented on load by the sending stream).
        seq: Sequence number (monotonic per sender).
    """

    addr: Any
    delta: int
    epoch: int = 0
    seq: int = 0

    def to_dict(self) -> dict:
        """``{"addr", "delta", "seq"}`` (0.4.0's form: no epoch)."""
        return {"addr": self.addr, "delta": self.delta, "seq": self.seq}

    @classmethod
    def from_dict(cls, d: dict) -> DeltaMessage:
        """The message of a ``to_dict`` dictionary."""
        return cls(addr=d["addr"], delta=d["delta"], seq=d["seq"])

    def to_bytes(self) -> bytes:
        """The 16-byte ``!IQI`` record: addr, delta, seq (no sender, no epoch)."""
        return struct.pack(_WIRE_FORMAT, self.addr, self.delta, self.seq)

    @classmethod
    def from_bytes(cls, data: bytes) -> DeltaMessage:
        """The message of a 16-byte record; ``ValueError`` for any other length."""
        if len(data) != _WIRE_SIZE:
            raise ValueError(f"expected {_WIRE_SIZE} bytes, got {len(data)}")
        addr, delta, seq = struct.unpack(_WIRE_FORMAT, data)
        return cls(addr=addr, delta=delta, seq=seq)
