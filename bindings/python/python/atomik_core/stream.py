"""Delta streaming with 0.2.0's ``DeltaStream`` API, minus its duplicate bug.

``DeltaMessage`` is 0.2.0's frozen dataclass, unchanged (same fields, repr,
equality and hash). ``DeltaStream`` behaves as in 0.2.0 with one deliberate
difference: a message a stream produced takes effect at most once on each
stream. In 0.2.0 a duplicated message undid its delta (XOR is self-inverse)
and a stream applying its own message undid its own update.

This stream still ignores epochs and cannot report lost messages; for
replication over a real network use ``atomik_core.Replica`` (exactly-once,
gap reports, epochs that survive reloads, wire v1 frames).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Hashable, Iterator, Optional

from atomik_core._native import AtomikContext, SeqFilter

# Attribute that identifies the stream a message came from. It is a plain
# instance attribute, not a dataclass field, so fields(), astuple(), asdict(),
# ==, hash() and repr() of a DeltaMessage are exactly 0.2.0's.
_SENDER = "_atomik_sender"


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


def _sender_of(msg: DeltaMessage) -> Optional[int]:
    return getattr(msg, _SENDER, None)


class DeltaStream:
    """Produces and consumes delta messages for state synchronization.

    Same API as 0.2.0: ``load``/``accum`` locally (``accum`` returns the
    message to send), ``apply`` messages from peers, ``read``, ``pending``,
    ``contexts``. Addresses may be any hashable value, as in 0.2.0.

    Each stream has a random 64-bit id that it attaches to the messages it
    creates; ``apply`` ignores a message whose (stream id, seq) it has seen
    before, including the stream's own messages. Messages built by hand
    (``DeltaMessage(addr, delta)``) carry no id and are always applied, as in
    0.2.0.
    """

    __slots__ = ("_contexts", "_width", "_epoch", "_seq", "_pending", "_sender", "_seen")

    def __init__(self, width: int = 64, num_contexts: int = 256):
        self._width = width
        self._contexts: dict[Hashable, AtomikContext] = {}
        self._epoch = 0
        self._seq = 0
        self._pending: list[DeltaMessage] = []
        self._sender = int.from_bytes(os.urandom(8), "little")
        self._seen = SeqFilter()

    def _get_or_create(self, addr: Hashable) -> AtomikContext:
        ctx = self._contexts.get(addr)
        if ctx is None:
            ctx = self._contexts[addr] = AtomikContext(width=self._width)
        return ctx

    def load(self, addr: Hashable, initial_state: int) -> None:
        """Initialize a context. Sender and receiver must load the same
        initial_state before streaming deltas."""
        self._get_or_create(addr).load(initial_state)
        self._epoch += 1

    def accum(self, addr: Hashable, delta: int) -> DeltaMessage:
        """Apply a delta locally and return the message to send to peers."""
        self._get_or_create(addr).accum(delta)
        self._seq += 1
        msg = DeltaMessage(addr=addr, delta=delta, epoch=self._epoch, seq=self._seq)
        object.__setattr__(msg, _SENDER, self._sender)
        self._pending.append(msg)
        return msg

    def apply(self, msg: DeltaMessage) -> None:
        """Apply a message received from a peer, in any order.

        A message this stream has already applied (or produced) is ignored:
        applying it again would undo its delta.
        """
        sender = _sender_of(msg)
        if sender is not None and (sender == self._sender or not self._seen.first_time(sender, msg.seq)):
            return  # our own message (already applied locally) or a duplicate
        self._get_or_create(msg.addr).accum(msg.delta)

    def read(self, addr: Hashable) -> int:
        """Read the current state at an address (0 if never touched)."""
        ctx = self._contexts.get(addr)
        return 0 if ctx is None else ctx.read()

    def pending(self) -> list[DeltaMessage]:
        """Get and clear all pending outbound delta messages."""
        msgs = self._pending
        self._pending = []
        return msgs

    def contexts(self) -> Iterator[tuple[Hashable, AtomikContext]]:
        """Iterate over all active (addr, context) pairs."""
        yield from self._contexts.items()
