"""What sync needs from the local store, as Protocols (``tracker.store.Store`` is the real one).

Sync depends on the record types (:mod:`tracker.model`) and on these ports, never on the
store's SQLite module: an uploader test may pass any object with these methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from diarychain.chain import ChainEntry
from diarychain.keys import DeviceKey
from tracker.contract import Contract
from tracker.model import Slot


class QueueCounts(Protocol):
    """Counts of slots by where they are (``tracker.store.QueueCounts`` is the real one)."""

    @property
    def waiting(self) -> int: ...
    @property
    def deletions(self) -> int: ...
    @property
    def held(self) -> int: ...
    @property
    def first_held(self) -> datetime | None: ...
    @property
    def synced_since(self) -> int: ...


class UploadQueue(Protocol):
    """The uploader's view of the store: what to send, and where to note the answers."""

    def sync_queue(
        self, now: datetime, hold: timedelta = ..., limit: int | None = None
    ) -> list[Slot]: ...

    def pending_deletions(self) -> list[Slot]: ...

    def queue_counts(self, now: datetime, hold: timedelta, since: datetime) -> QueueCounts: ...

    def refused_deletions(self) -> list[Slot]: ...

    def read_shot(self, slot: Slot) -> bytes: ...

    def mark_sending(self, contract_id: int, start: datetime) -> None: ...

    def mark_synced(
        self, contract_id: int, start: datetime, at: datetime, sent_minutes: int | None = None
    ) -> bool: ...

    def mark_sending_many(self, keys: Sequence[tuple[int, datetime]]) -> list[bool]: ...

    def mark_synced_many(
        self, sent: Sequence[tuple[int, datetime, int]], at: datetime
    ) -> list[bool | None]: ...

    def mark_rejected(self, contract_id: int, start: datetime, reason: str) -> None: ...

    def mark_over_limit(self, contract_id: int, start: datetime, over_limit: bool) -> None: ...

    def mark_deletion_synced(self, contract_id: int, start: datetime) -> None: ...

    def mark_deletion_refused(self, contract_id: int, start: datetime, reason: str) -> None: ...

    def save_contracts(self, contracts: Sequence[Contract]) -> None: ...

    # the signed diary (``tracker.store.chain_log``)
    def sign_slots(
        self, slots: Sequence[Slot], key: DeviceKey, now: datetime
    ) -> list[tuple[ChainEntry, ...]]: ...

    def sign_deletions(self, tombstones: Iterable[Slot], key: DeviceKey, now: datetime) -> None: ...

    def unanswered_runs(self, key: DeviceKey) -> dict[int, tuple[ChainEntry, ...]]: ...

    def mark_answered(self, hashes: Iterable[str]) -> None: ...


class SyncStore(UploadQueue, Protocol):
    """The sync service's view: the upload queue, plus the contract cache, the setting
    naming the server, and the database file (one uploader per file)."""

    @property
    def db_path(self) -> Path: ...

    def contracts(self) -> list[Contract]: ...

    def get_setting(self, name: str) -> str | None: ...

    def set_setting(self, name: str, value: str) -> None: ...
