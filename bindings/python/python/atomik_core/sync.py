"""``SyncTable``: atomik-core 0.4.0's distributed state table, done right.

Same constructor, methods and results as 0.4.0's ``SyncTable`` wherever
0.4.0 is correct. The state lives in the native sync core (an exactly-once
``Replica``, see ``docs/python.md``): each local ``put`` is a wire v1 frame
with this table's sender id, epoch and seq, carried by the ``DeltaMessage``
the ``on_delta`` callback gets, so a table that receives the same message
twice applies it once. In 0.4.0 a redelivered message undid its update.

``put(addr, value)`` sends the delta ``state ^ value``: two concurrent puts
to one address on different tables converge to ``old ^ v1 ^ v2``, a value
nobody wrote. It is a delta API, as in 0.4.0; use ``Replica.load`` where the
last writer must win.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

from atomik_core._native import SyncCore
from atomik_core.stream import DeltaMessage

__all__ = ["SyncTable"]


def _core(table: Any) -> SyncCore:
    core = getattr(table, "_core", None)
    if not isinstance(core, SyncCore):
        raise TypeError(f"expected a sync table, got {type(table).__name__}")
    return core


class _SyncBase:
    """Methods shared by ``SyncTable`` and ``PersistentSyncTable`` (which,
    as in 0.4.0, are unrelated classes)."""

    __slots__ = ("_core",)
    _core: SyncCore

    def on_delta(self, callback: Optional[Callable[[DeltaMessage], None]]) -> None:
        """Register the callback fired with the message of each local change
        (one at a time; None removes it)."""
        self._core.set_callback(callback)

    def put(self, addr: int, value: int) -> DeltaMessage:
        """Write ``value`` at ``addr``: apply the delta ``state ^ value`` and
        fire the callback with its message (not when the delta is 0)."""
        return self._core.put(addr, value)

    def get(self, addr: int) -> int:
        """The current state at ``addr``."""
        return self._core.get(addr)

    def receive(self, msg: DeltaMessage) -> None:
        """Apply a peer's message (never fires the callback). A message a
        sync table made applies once however often it arrives; one without
        a sender (hand-built, or from a 16-byte record) applies every time."""
        self._core.receive(msg)

    def receive_frame(self, frame: bytes) -> str:
        """Apply a peer's wire v1 frame; returns "applied", "duplicate",
        "stale" or "own"."""
        return self._core.receive_frame(frame)

    def snapshot(self) -> dict[int, int]:
        """``{address: state}`` for every context (zeros included)."""
        return self._core.snapshot()

    def diff(self, other: Any) -> list[int]:
        """Sorted addresses where this table and ``other`` disagree."""
        return self._core.diff(_core(other))

    @property
    def num_contexts(self) -> int:
        """Number of context slots."""
        return self._core.num_contexts

    @property
    def width(self) -> int:
        """Bit width per context."""
        return self._core.width

    @property
    def sender_id(self) -> int:
        """This table's sender id, carried by its wire v1 frames."""
        return self._core.sender_id

    def __len__(self) -> int:
        return self._core.num_contexts

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._core.num_contexts))

    def __contains__(self, addr: object) -> bool:
        return isinstance(addr, int) and 0 <= addr < self._core.num_contexts


class SyncTable(_SyncBase):
    """Distributed state table with automatic delta propagation.

    ``SyncTable(num_contexts=256, width=64, *, sender_id=None)``; the sender
    id (random unless given) names this table's messages to its peers.
    """

    __slots__ = ()

    def __init__(self, num_contexts: int = 256, width: int = 64, *, sender_id: Optional[int] = None):
        self._core = SyncCore(num_contexts, width, sender_id)

    @classmethod
    def from_snapshot(cls, snap: dict[int, int], width: int = 64) -> SyncTable:
        """A table holding ``snap``'s values (``max(address) + 1`` contexts,
        256 for an empty snapshot)."""
        if not snap:
            return cls(num_contexts=256, width=width)
        table = cls(num_contexts=max(snap.keys()) + 1, width=width)
        table._core.load_snapshot(snap)
        return table

    def __repr__(self) -> str:
        return f"SyncTable(contexts={self.num_contexts}, width={self.width}, active={self._core.active()})"
