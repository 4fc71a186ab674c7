"""Async transports of atomik-core 0.4.0's sync API (asyncio and friends).

Only the network send is async; receives and reads are instant. The bytes
are those of ``CallbackTransport``: 16-byte records by default, wire v1
frames with ``wire="v1"``, and ``receive_bytes`` takes either.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

from atomik_core.stream import DeltaMessage
from atomik_core.sync import SyncTable
from atomik_core.transport import _check_wire, deliver, encode

__all__ = ["AsyncCallbackTransport", "AsyncSyncTable"]

_Send = Optional[Callable[[bytes], Awaitable[Any]]]


class AsyncCallbackTransport:
    """``AsyncCallbackTransport(table, send_fn=None, *, wire="compat")``:
    queues each local delta's bytes; ``await send_pending()`` sends them."""

    __slots__ = ("_table", "_send_fn", "_queue", "_wire")

    def __init__(self, table: SyncTable, send_fn: _Send = None, *, wire: str = "compat") -> None:
        self._table = table
        self._send_fn = send_fn
        self._wire = _check_wire(wire)
        self._queue: list[bytes] = []
        table.on_delta(self._on_local_delta)

    def _on_local_delta(self, msg: DeltaMessage) -> None:
        self._queue.append(encode(msg, self._wire))

    async def send_pending(self) -> int:
        """Send every queued delta; returns how many were queued."""
        if self._send_fn is None or not self._queue:
            count = len(self._queue)
            self._queue.clear()
            return count
        pending = self._queue
        self._queue = []
        for data in pending:
            await self._send_fn(data)
        return len(pending)

    def receive_bytes(self, data: bytes) -> None:
        """Apply a peer's 16-byte record or wire v1 frame."""
        deliver(self._table, data)

    @property
    def pending_count(self) -> int:
        """Number of deltas queued for sending."""
        return len(self._queue)


class AsyncSyncTable:
    """``AsyncSyncTable(num_contexts=256, width=64, send_fn=None, *,
    wire="compat", sender_id=None)``: ``await put(...)`` writes and sends."""

    __slots__ = ("_table", "_transport")

    def __init__(
        self,
        num_contexts: int = 256,
        width: int = 64,
        send_fn: _Send = None,
        *,
        wire: str = "compat",
        sender_id: Optional[int] = None,
    ) -> None:
        self._table = SyncTable(num_contexts=num_contexts, width=width, sender_id=sender_id)
        self._transport = AsyncCallbackTransport(self._table, send_fn=send_fn, wire=wire)

    async def put(self, addr: int, value: int) -> DeltaMessage:
        """Write ``value`` at ``addr`` and send the delta."""
        msg = self._table.put(addr, value)
        await self._transport.send_pending()
        return msg

    def get(self, addr: int) -> int:
        """The current state at ``addr``."""
        return self._table.get(addr)

    def receive(self, msg: DeltaMessage) -> None:
        """Apply a peer's message (see ``SyncTable.receive``); sends nothing."""
        self._table.receive(msg)

    def receive_bytes(self, data: bytes) -> None:
        """Apply a peer's 16-byte record or wire v1 frame."""
        self._transport.receive_bytes(data)

    @property
    def num_contexts(self) -> int:
        """Number of context slots."""
        return self._table.num_contexts

    @property
    def width(self) -> int:
        """Bit width per context."""
        return self._table.width

    def snapshot(self) -> dict[int, int]:
        """``{address: state}`` for every context."""
        return self._table.snapshot()

    def diff(self, other: AsyncSyncTable) -> list[int]:
        """Addresses where this table and ``other`` disagree."""
        return self._table.diff(other._table)

    def __repr__(self) -> str:
        return f"AsyncSyncTable({self._table!r})"
