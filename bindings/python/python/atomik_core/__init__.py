"""ATOMiK Core — delta-state algebra, backed by the Rust ``atomik`` crate.

A drop-in replacement for the pure-Python ``atomik-core`` 0.2.0 package:

  LOAD  — set the reference state
  ACCUM — XOR a delta into the accumulator
  READ  — reconstruct the current state (reference XOR accumulator)
  SWAP  — atomic read-and-reset (snapshot + new epoch)

    from atomik_core import AtomikContext

    ctx = AtomikContext()
    ctx.load(0xDEADBEEF)
    ctx.accum(0x000000FF)
    assert ctx.read() == 0xDEADBE10

It also provides atomik-core 0.4.0's sync API (``SyncTable``, the memory,
callback and async transports, ``PersistentSyncTable``) without 0.4.0's
bugs: each message applies once, and the write-ahead log is checksummed,
fsynced, locked and never re-sends on replay.

Beyond 0.2.0: ``AtomikTable.accum_many`` and ``Fingerprint`` take any
buffer-protocol object (bytes, ``array.array``, numpy arrays) and release the
GIL on large inputs; ``PositionalFingerprint`` sees swapped chunks; ``Replica``
applies each delta exactly once over an unreliable network, using the wire v1
frames every other tier of the project speaks. ``NatsTransport`` joins a
table to a NATS JetStream stream as an ``atomik node`` does (the Rust
``atomik-nats`` library). ``BoardTable(port)`` is the table of an FPGA
board behind a serial port (docs/board.md), with ``AtomikTable``'s methods.
"""

from atomik_core._native import (
    AtomikContext,
    AtomikTable,
    BoardError,
    BoardProtocolError,
    BoardReset,
    BoardTable,
    BoardTimeout,
    Fingerprint,
    PositionalFingerprint,
    Replica,
    ReplicaRefused,
    WalError,
    WireFormatError,
    decode_frame,
)
from atomik_core.async_transport import AsyncCallbackTransport, AsyncSyncTable
from atomik_core.nats import NatsError, NatsSyncTable, NatsTransport
from atomik_core.persistent import PersistentSyncTable
from atomik_core.stream import DeltaMessage, DeltaStream
from atomik_core.sync import SyncTable
from atomik_core.transport import CallbackTransport, MemoryTransport

__version__ = "0.4.0"

__all__ = [
    "AtomikContext",
    "AtomikTable",
    "DeltaStream",
    "DeltaMessage",
    "Fingerprint",
    "SyncTable",
    "PersistentSyncTable",
    "MemoryTransport",
    "CallbackTransport",
    "AsyncCallbackTransport",
    "AsyncSyncTable",
    "NatsTransport",
    "NatsSyncTable",
    "NatsError",
    "PositionalFingerprint",
    "Replica",
    "ReplicaRefused",
    "WireFormatError",
    "WalError",
    "decode_frame",
    "BoardTable",
    "BoardError",
    "BoardTimeout",
    "BoardReset",
    "BoardProtocolError",
]
