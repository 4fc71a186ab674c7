"""Transports of atomik-core 0.4.0's sync API.

``MemoryTransport`` relays message objects between tables in one process;
each carries its sender's wire v1 frame, so a table applies it once however
often it arrives. ``CallbackTransport`` hands bytes to a send function: the
16-byte ``!IQI`` record by default (0.4.0's, for talking to it; it has no
sender, so its receiver applies every record it gets), or with
``wire="v1"`` the table's wire v1 frame, which survives duplicates.
``receive_bytes`` takes either, told apart by length.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from atomik_core._native import frame_of
from atomik_core.stream import DeltaMessage

__all__ = ["MemoryTransport", "CallbackTransport"]

_WIRES = ("compat", "v1")


def _check_wire(wire: str) -> str:
    if wire not in _WIRES:
        raise ValueError(f"wire must be 'compat' (16-byte records) or 'v1' (frames), got {wire!r}")
    return wire


def encode(msg: DeltaMessage, wire: str) -> bytes:
    """The bytes of ``msg`` on ``wire``: its 16-byte record, or its frame."""
    if wire == "compat":
        return msg.to_bytes()
    frame = frame_of(msg)
    if frame is None:
        raise ValueError("only a sync table's own messages have a wire v1 frame")
    return frame


def deliver(table: Any, data: bytes) -> None:
    """Apply received bytes: a 16-byte record or a wire v1 frame."""
    if len(data) == 16:
        table.receive(DeltaMessage.from_bytes(data))
    else:
        table.receive_frame(data)


class MemoryTransport:
    """In-memory hub: every connected table's deltas reach all the others."""

    def __init__(self) -> None:
        self._tables: list = []

    def connect(self, table: Any) -> None:
        """Connect a table; its ``on_delta`` callback now relays to the others."""
        self._tables.append(table)
        table.on_delta(lambda msg, src=table: self._relay(src, msg))

    def disconnect(self, table: Any) -> None:
        """Disconnect a table (its callback is removed)."""
        self._tables.remove(table)
        table.on_delta(None)

    def _relay(self, source: Any, msg: DeltaMessage) -> None:
        for table in self._tables:
            if table is not source:
                table.receive(msg)

    @property
    def peer_count(self) -> int:
        """Number of connected tables."""
        return len(self._tables)


class CallbackTransport:
    """``CallbackTransport(table, send_fn=None, *, wire="compat")``: sends each
    local delta's bytes through ``send_fn``; ``receive_bytes`` applies a
    peer's."""

    def __init__(self, table: Any, send_fn: Optional[Callable[[bytes], Any]] = None, *, wire: str = "compat") -> None:
        self._table = table
        self._send_fn = send_fn
        self._wire = _check_wire(wire)
        table.on_delta(self._on_local_delta)

    def _on_local_delta(self, msg: DeltaMessage) -> None:
        if self._send_fn is not None:
            self._send_fn(encode(msg, self._wire))

    def receive_bytes(self, data: bytes) -> None:
        """Apply a peer's 16-byte record or wire v1 frame."""
        deliver(self._table, data)
