"""``PersistentSyncTable``: atomik-core 0.4.0's crash-safe table, made safe.

Same constructor, methods and results as 0.4.0 wherever 0.4.0 is correct;
the log itself is ``atomik-wal`` (native): every ``put`` and ``receive`` is
appended as a checksummed wire v1 record and fsynced before it is applied,
before ``put`` returns and before the callback fires; reopening replays the
log without firing any callback (nothing is re-sent), cuts off a torn last
record, and refuses a log damaged before its end; the file is locked against
a second writer; ``compact`` replaces it atomically (directory fsync
included). A log written by 0.4.0 (raw 16-byte records, no header) is
refused with ``WalError`` rather than guessed at.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Optional, Union

from atomik_core._native import SyncCore
from atomik_core.stream import DeltaMessage
from atomik_core.sync import _SyncBase

__all__ = ["PersistentSyncTable"]


class PersistentSyncTable(_SyncBase):
    """``PersistentSyncTable(num_contexts=256, path="state.wal", on_delta=None,
    width=64, *, sender_id=None)``: a sync table whose changes are durable.

    The sender id is stored in the log when it is created, so a reopened
    table continues its own sequence and its peers keep deduplicating.
    """

    __slots__ = ("_wal_path",)

    def __init__(
        self,
        num_contexts: int = 256,
        path: Union[str, os.PathLike] = "state.wal",
        on_delta: Optional[Callable[[DeltaMessage], None]] = None,
        width: int = 64,
        *,
        sender_id: Optional[int] = None,
    ):
        self._wal_path = Path(path)
        self._core = SyncCore(num_contexts, width, sender_id, os.fspath(path))
        if on_delta is not None:
            self._core.set_callback(on_delta)

    def compact(self) -> None:
        """Rewrite the log as one snapshot of the table, atomically."""
        self._core.compact()

    @property
    def recovery(self) -> dict:
        """What opening the log found: records replayed, torn bytes cut off,
        whether it started from a compaction."""
        return self._core.recovery

    def close(self) -> None:
        """Close the log and release its lock (later writes raise ValueError)."""
        self._core.close()

    def __enter__(self) -> PersistentSyncTable:
        return self

    def __exit__(self, exc_type: object, exc_val: object, exc_tb: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"PersistentSyncTable(contexts={self.num_contexts}, "
            f"width={self.width}, active={self._core.active()}, "
            f"wal={str(self._wal_path)!r})"
        )
