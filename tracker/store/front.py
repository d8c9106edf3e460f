"""The store's front: one object over the database, shot files, slots, sync queue,
contract cache, per-contract choices, signed diary and settings of one data dir."""

from __future__ import annotations

from pathlib import Path

from tracker.shot_seal import ShotKeys
from tracker.store.chain_log import ChainLog
from tracker.store.contract_choices import ContractChoices
from tracker.store.contracts import ContractCache
from tracker.store.settings import Settings
from tracker.store.shot_edits import ShotEdits
from tracker.store.shot_sealing import PlainShotSealing
from tracker.store.slot_edits import SlotEdits
from tracker.store.sync_queue import SyncQueue


class Store(
    SlotEdits, ShotEdits, PlainShotSealing, SyncQueue, ChainLog, ContractCache, ContractChoices,
    Settings
):
    """The SQLite database and shot files of one data dir. Use as a context manager.

    Raises :class:`CorruptStoreError` or :class:`ForeignSchemaError` (naming the file)
    when the existing database cannot be used; in that case nothing is written. Safe to
    share between threads (one connection behind a lock).
    """


def open_store(data_dir: Path | str | None = None, shot_keys: ShotKeys | None = None) -> Store:
    """Open (creating if needed) the store in ``data_dir`` (see :func:`resolve_data_dir`);
    ``shot_keys`` seal the shot files (:mod:`tracker.shot_seal`)."""
    return Store(data_dir, shot_keys)
