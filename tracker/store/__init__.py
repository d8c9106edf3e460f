"""The tracker's local store: SQLite (stdlib ``sqlite3``) plus shot files beside it.

Where: ``data_dir`` argument, else ``$WORKDIARY_DATA_DIR``, else
``platformdirs.user_data_dir("Workdiary")``. :class:`Store` is the front; its parts:

- ``schema``: the tables and the upgrade steps (version in ``PRAGMA user_version``);
- ``database``: opening, checking and upgrading the file (WAL, ``synchronous=FULL``);
- ``shots``: shot files under ``shots/<contract>/<day>/`` (0700 dirs, 0600 files),
  sealed with the key given at open (``shot_sealing`` seals older plain ones once);
- ``slots`` and ``slot_edits``: writing, reading, deleting and shrinking slots;
- ``sync_queue``: what sync sends next and what the server said;
- ``contracts`` and ``settings``: the contract cache and named settings;
- ``contract_choices``: the last memo and the consent per contract.

The record types (``Slot``, ``MinuteActivity`` …) live in :mod:`tracker.model`; they are
re-exported here for callers of the store.
"""

from tracker.model import (
    DEFAULT_HOLD,
    MAX_HOLD,
    MinuteActivity,
    ShotState,
    Slot,
    SlotNotFound,
    SyncState,
)
from tracker.store.database import DATA_DIR_ENV, DATABASE_NAME, resolve_data_dir
from tracker.store.errors import (
    CorruptStoreError,
    ForeignSchemaError,
    ShotKeyMissing,
    SlotConflict,
    StoreError,
)
from tracker.store.front import Store, open_store
from tracker.store.schema import SCHEMA_VERSION

__all__ = [
    "DATABASE_NAME",
    "DATA_DIR_ENV",
    "DEFAULT_HOLD",
    "MAX_HOLD",
    "SCHEMA_VERSION",
    "CorruptStoreError",
    "ForeignSchemaError",
    "MinuteActivity",
    "ShotKeyMissing",
    "ShotState",
    "Slot",
    "SlotConflict",
    "SlotNotFound",
    "Store",
    "StoreError",
    "SyncState",
    "open_store",
    "resolve_data_dir",
]
