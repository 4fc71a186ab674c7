"""Replication over NATS JetStream, through the Rust library ``atomik-nats``.

``NatsTransport(url)`` is a connection; ``transport.join(table, node_id,
data_dir)`` makes this process a node of ``table``, exactly as ``atomik node
--table TABLE --id NODE_ID --data-dir DATA_DIR`` would: the same stream
(``ATOMIK_<table>``), the same wire v1 frames, the same checkpoint file
(``<data_dir>/<table>.ckpt``), snapshots and incarnations. A Python node and
CLI nodes of one table converge.

The table it returns, ``NatsSyncTable``, has the reading and writing methods
of ``SyncTable`` (``put``, ``get``, ``snapshot``, ``diff``, ``len``, ``in``)
plus the node's own (``accum``, ``load``, ``swap``, ``sync``,
``checkpoint``, ``status``, ``close``). Its state lives in the node, not in
a ``SyncTable``: the node owns the replica its checkpoints save, so a table
cannot be handed to it from outside. Every call that waits releases the GIL.
"""

from __future__ import annotations

import os
from typing import Any, Iterator, Optional, Tuple, Union

from atomik_core._native import NatsClient, NatsError, NatsNode

__all__ = ["NatsTransport", "NatsSyncTable", "NatsError"]

_Path = Union[str, "os.PathLike[str]"]

#: Seconds ``sync()`` waits for JetStream by default, as ``atomik node --sync-timeout-s``.
SYNC_TIMEOUT = 60.0


class NatsTransport:
    """``NatsTransport(url, *, user=None, password=None, nkey_seed_file=None,
    tls_ca=None, tls_cert=None, tls_key=None)``: one connection to NATS
    (``url`` may list several servers, comma separated). Fails at once with
    ``NatsError`` if the URL is bad, no server answers, or the credentials
    are refused. One connection serves any number of tables."""

    __slots__ = ("_client",)

    def __init__(
        self,
        url: str,
        *,
        user: Optional[str] = None,
        password: Optional[str] = None,
        nkey_seed_file: Optional[_Path] = None,
        tls_ca: Optional[_Path] = None,
        tls_cert: Optional[_Path] = None,
        tls_key: Optional[_Path] = None,
    ) -> None:
        self._client = NatsClient(
            url,
            user=user,
            password=password,
            nkey_seed_file=_fs(nkey_seed_file),
            tls_ca=_fs(tls_ca),
            tls_cert=_fs(tls_cert),
            tls_key=_fs(tls_key),
        )

    def join(
        self,
        table: str,
        node_id: int,
        data_dir: _Path,
        *,
        num_contexts: int = 256,
        stream_replicas: int = 1,
        snapshots: bool = True,
        checkpoint_every: float = 1.0,
    ) -> NatsSyncTable:
        """Join ``table`` as node ``node_id`` (0..65535, unique among the
        table's nodes), keeping the checkpoint in ``data_dir``. Recovers from
        the checkpoint there, else the table's newest snapshot, else the
        stream, and returns once caught up with the stream's end.
        ``num_contexts`` must match every other node's ``--contexts``."""
        node = self._client.join(
            table,
            node_id,
            os.fspath(data_dir),
            num_contexts=num_contexts,
            stream_replicas=stream_replicas,
            snapshots=snapshots,
            checkpoint_every=checkpoint_every,
        )
        return NatsSyncTable(node)

    @property
    def url(self) -> str:
        """The server URL(s) given."""
        return self._client.url

    def __repr__(self) -> str:
        return f"NatsTransport({self.url!r})"


def _fs(path: Optional[_Path]) -> Optional[str]:
    return None if path is None else os.fspath(path)


class NatsSyncTable:
    """A table of 64-bit contexts replicated over JetStream (made by
    ``NatsTransport.join``). Updates apply locally at once and are queued
    for the stream; ``sync()`` returns once JetStream acknowledged them and
    the stream is applied to its end."""

    __slots__ = ("_node",)

    def __init__(self, node: NatsNode) -> None:
        self._node = node

    # -- the SyncTable API -------------------------------------------------

    def put(self, addr: int, value: int) -> Optional[Tuple[int, int, int]]:
        """Write ``value`` (masked to 64 bits) at ``addr`` as ``SyncTable.put``
        does: the delta ``get(addr) ^ value`` as an ACCUM (none if 0).
        Returns the message's ``(sender, seq, epoch)``, or ``None`` for no
        change. A delta: a concurrent remote update is kept, not overwritten."""
        delta = self._node.read(addr) ^ (value & 0xFFFF_FFFF_FFFF_FFFF)
        return self._node.accum(addr, delta) if delta else None

    def get(self, addr: int) -> int:
        """The state of context ``addr``."""
        return self._node.read(addr)

    def snapshot(self) -> dict[int, int]:
        """``{address: state}`` for every context (zeros included)."""
        return dict(enumerate(self._node.dump()))

    def diff(self, other: Any) -> list[int]:
        """Sorted addresses where this table and ``other`` (any table with
        ``snapshot()``) disagree."""
        mine, theirs = self.snapshot(), other.snapshot()
        return sorted(a for a in mine.keys() | theirs.keys() if mine.get(a, 0) != theirs.get(a, 0))

    @property
    def num_contexts(self) -> int:
        """Number of contexts (the same on every node of the table)."""
        return self._node.num_contexts

    @property
    def width(self) -> int:
        """Bit width per context: always 64, as ``atomik node``."""
        return 64

    @property
    def sender_id(self) -> int:
        """The current sender id, ``node_id << 16 | incarnation``."""
        return self._node.sender_id

    def __len__(self) -> int:
        return self._node.num_contexts

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._node.num_contexts))

    def __contains__(self, addr: object) -> bool:
        return isinstance(addr, int) and 0 <= addr < self._node.num_contexts

    # -- the node's operations ---------------------------------------------

    def accum(self, addr: int, delta: int) -> Tuple[int, int, int]:
        """XOR ``delta`` into ``addr``; returns ``(sender, seq, epoch)``."""
        return self._node.accum(addr, delta)

    def load(self, addr: int, value: int) -> Tuple[int, int, int]:
        """Set ``addr`` to ``value`` in a new epoch (of concurrent loads, the
        higher epoch wins on every node); returns ``(sender, seq, epoch)``."""
        return self._node.load(addr, value)

    def swap(self, addr: int, value: int) -> int:
        """Set ``addr`` to ``value`` in a new epoch; returns the old state."""
        old, _ = self._node.swap(addr, value)
        return old

    def sync(self, timeout: Optional[float] = SYNC_TIMEOUT) -> int:
        """Wait until JetStream acknowledged every earlier update and the
        stream is applied to where it ended; returns that stream sequence.
        ``NatsError`` after ``timeout`` seconds (``None``: no limit); the
        updates stay queued and are published later."""
        return self._node.sync(timeout)

    def checkpoint(self, timeout: float = SYNC_TIMEOUT) -> None:
        """Write the checkpoint file now. A checkpoint holds only updates
        JetStream acknowledged, so it waits for them: ``NatsError`` after
        ``timeout`` seconds."""
        self._node.checkpoint(timeout)

    def status(self) -> dict[str, Any]:
        """Counters and health, the fields of ``atomik node``'s ``status``."""
        return self._node.status()

    def close(self, timeout: float = SYNC_TIMEOUT) -> None:
        """Write the final checkpoint and leave the table (idempotent). The
        node stops either way; ``NatsError`` if the checkpoint was not
        written within ``timeout`` seconds (JetStream unreachable)."""
        self._node.shutdown(timeout)

    @property
    def closed(self) -> bool:
        """Whether ``close()`` has run."""
        return self._node.closed

    @property
    def table(self) -> str:
        """The table (stream) name."""
        return self._node.table

    def __enter__(self) -> NatsSyncTable:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else f"sender={self.sender_id:#x}"
        return f"NatsSyncTable(table={self.table!r}, contexts={self.num_contexts}, {state})"
