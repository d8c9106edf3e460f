"""The tracker's local store: SQLite (stdlib ``sqlite3``) plus shot files beside it.

Where: ``data_dir`` argument, else ``$WORKDIARY_DATA_DIR``, else
``platformdirs.user_data_dir("Workdiary")``. The database is ``tracker.sqlite3`` (WAL,
``synchronous=FULL``, schema version in ``PRAGMA user_version``); shots live under
``shots/<contract>/<day>/`` (dirs 0700, files 0600), each written to a temporary name,
fsynced and ``os.replace``d before the slot row that names it is committed.

A slot row is written in one transaction when the slot ends or tracking stops, so a
crash loses at most the slot in progress. A shot file saved for a slot that never got
its row (crash mid-slot) is an orphan; :meth:`Store.remove_orphan_shot_files` clears
those, and the session calls it once when it is created.

Sync bookkeeping (for ``sync/``): each slot has ``sync_state`` pending → synced, or
rejected with ``sync_reason``. Before a slot's first PUT is sent the sync client
commits ``server_may_hold`` (:meth:`Store.mark_sending`): from then on the server may
hold the slot whatever became of the reply. Deleting such a slot keeps a *tombstone*
row (``deleted_at`` set, minutes and shot gone, ``sync_state`` pending) until the
server has confirmed the DELETE (:meth:`Store.pending_deletions`,
:meth:`Store.mark_deletion_synced`), across restarts; a DELETE the server refuses for
good (week locked) leaves the tombstone ``rejected`` with the reason. A slot the server
may hold whose minutes later shrink (idle discarded) gets ``replaces_synced`` and goes
back to pending: the server applies the shorter body as an audited shrink.

The store is safe to share between threads (one connection behind a lock).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Literal

import platformdirs

from tracker.contract import Contract
from tracker.shot import EncodedShot, ShotFile
from tracker.slots import SLOT_LENGTH, SLOT_MINUTES, slot_key, slot_start

SCHEMA_VERSION = 2
DATABASE_NAME = "tracker.sqlite3"
DATA_DIR_ENV = "WORKDIARY_DATA_DIR"
DEFAULT_HOLD = timedelta(minutes=10)
MAX_HOLD = timedelta(hours=24)
_SQLITE_HEADER = b"SQLite format 3\x00"

ShotState = Literal["taken", "none", "unavailable", "manual"]
SyncState = Literal["pending", "synced", "rejected"]


class StoreError(Exception):
    """Base of the store's errors; ``path`` names the file concerned."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class CorruptStoreError(StoreError):
    """The database file is not a readable Workdiary database. Nothing was changed."""


class ForeignSchemaError(StoreError):
    """The database has a schema version this build does not know. Nothing was changed."""

    def __init__(self, path: Path, found_version: int) -> None:
        super().__init__(
            path,
            f"schema version {found_version}, this Workdiary reads version {SCHEMA_VERSION}; "
            "the file was left untouched",
        )
        self.found_version = found_version


class SlotConflict(StoreError):
    """A slot cannot be written or changed as asked (e.g. it is already synced)."""


class SlotNotFound(KeyError):
    pass


@dataclass(frozen=True)
class MinuteActivity:
    """One tracked minute of a slot: its index (0–9) and event counts."""

    index: int
    key_events: int = 0
    mouse_events: int = 0

    @property
    def active(self) -> bool:
        return self.key_events > 0 or self.mouse_events > 0


@dataclass(frozen=True)
class Slot:
    """A slot as written by the session and read back by the UI and sync client.

    ``shot_state``: "taken" (``shot`` set), "none" (tracking stopped before the shot
    instant, or screenshots off), "unavailable" (grab failed or blank; ``capture_note``
    says why), "manual" (manual time has no shot). ``idle_hold``: part of an idle span
    not yet answered — not synced until it is. ``clock_jump``: the wall clock jumped
    (changed by hand, or the machine slept) while the slot was tracked; the jumped span
    is not in its minutes.
    """

    contract_id: int
    slot_start: datetime
    memo: str
    minutes: tuple[MinuteActivity, ...]
    manual: bool = False
    shot: ShotFile | None = None
    shot_state: ShotState = "none"
    capture_note: str | None = None
    idle_hold: bool = False
    over_limit: bool = False
    sync_state: SyncState = "pending"
    sync_reason: str | None = None
    synced_at: datetime | None = None
    deleted_at: datetime | None = None
    replaces_synced: bool = False
    server_may_hold: bool = False
    clock_jump: bool = False

    @property
    def slot_end(self) -> datetime:
        return self.slot_start + SLOT_LENGTH

    @property
    def key(self) -> str:
        return slot_key(self.slot_start)

    @property
    def minute_count(self) -> int:
        return len(self.minutes)

    @property
    def active_minutes(self) -> int:
        return sum(1 for minute in self.minutes if minute.active)

    @property
    def activity_level(self) -> float:
        return self.active_minutes / self.minute_count if self.minutes else 0.0


def resolve_data_dir(data_dir: Path | str | None = None) -> Path:
    """Argument, else ``$WORKDIARY_DATA_DIR``, else the platform's user data dir."""
    if data_dir is not None:
        return Path(data_dir)
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env)
    return Path(platformdirs.user_data_dir("Workdiary"))


_SCHEMA = f"""
CREATE TABLE slots (
    contract_id     INTEGER NOT NULL,
    slot_start      TEXT NOT NULL,              -- slot key, 2026-11-23T14:10:00Z
    memo            TEXT NOT NULL,
    manual          INTEGER NOT NULL DEFAULT 0,
    shot_state      TEXT NOT NULL CHECK (shot_state IN ('taken','none','unavailable','manual')),
    shot_path       TEXT,                       -- relative to the data dir
    thumb_path      TEXT,
    shot_sha256     TEXT,
    shot_bytes      INTEGER,
    shot_media_type TEXT,
    shot_width      INTEGER,
    shot_height     INTEGER,
    shot_taken_at   TEXT,
    capture_note    TEXT,
    idle_hold       INTEGER NOT NULL DEFAULT 0,
    over_limit      INTEGER NOT NULL DEFAULT 0,
    sync_state      TEXT NOT NULL DEFAULT 'pending'
                    CHECK (sync_state IN ('pending','synced','rejected')),
    sync_reason     TEXT,
    synced_at       TEXT,
    deleted_at      TEXT,                       -- tombstone: deleted after sync
    replaces_synced INTEGER NOT NULL DEFAULT 0,
    server_may_hold INTEGER NOT NULL DEFAULT 0, -- a PUT of it was sent (schema 2)
    clock_jump      INTEGER NOT NULL DEFAULT 0, -- the wall clock jumped (schema 2)
    PRIMARY KEY (contract_id, slot_start)
);
CREATE TABLE slot_minutes (
    contract_id  INTEGER NOT NULL,
    slot_start   TEXT NOT NULL,
    minute       INTEGER NOT NULL CHECK (minute BETWEEN 0 AND {SLOT_MINUTES - 1}),
    key_events   INTEGER NOT NULL CHECK (key_events >= 0),
    mouse_events INTEGER NOT NULL CHECK (mouse_events >= 0),
    PRIMARY KEY (contract_id, slot_start, minute),
    FOREIGN KEY (contract_id, slot_start) REFERENCES slots (contract_id, slot_start)
        ON DELETE CASCADE
);
CREATE INDEX slots_sync ON slots (sync_state, slot_start);
CREATE TABLE contracts (
    id                  INTEGER PRIMARY KEY,
    title               TEXT NOT NULL,
    rate_cents          INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    weekly_cap_minutes  INTEGER,
    screenshots_enabled INTEGER NOT NULL,
    blur_shots          INTEGER NOT NULL,
    manual_time_allowed INTEGER NOT NULL,
    active              INTEGER NOT NULL,
    server_week_minutes INTEGER NOT NULL,
    server_week_start   TEXT,
    fetched_at          TEXT
);
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


# Schema steps: version N → N + 1, applied in order in one transaction at open.
_UPGRADES: dict[int, tuple[str, ...]] = {
    # 1 → 2: ``server_may_hold`` and ``clock_jump``. Whatever v1 synced, tombstoned, or
    # saw refused may be on the server; v1 tombstones waited as 'synced', they wait as
    # 'pending' now.
    1: (
        "ALTER TABLE slots ADD COLUMN server_may_hold INTEGER NOT NULL DEFAULT 0",
        "UPDATE slots SET server_may_hold = 1 WHERE sync_state IN ('synced', 'rejected') "
        "OR deleted_at IS NOT NULL OR replaces_synced = 1",
        # ``clock_jump``: the wall clock jumped while the slot was tracked
        "ALTER TABLE slots ADD COLUMN clock_jump INTEGER NOT NULL DEFAULT 0",
        "UPDATE slots SET sync_state = 'pending' "
        "WHERE deleted_at IS NOT NULL AND sync_state = 'synced'",
    ),
}


def _text(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}")
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(UTC)


def _slot_instant(key: str) -> datetime:
    return datetime.strptime(key, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Store:
    """The SQLite database and shot files of one data dir. Use as a context manager.

    Raises :class:`CorruptStoreError` or :class:`ForeignSchemaError` (naming the file)
    when the existing database cannot be used; in that case nothing is written.
    """

    def __init__(self, data_dir: Path | str | None = None) -> None:
        self.data_dir = resolve_data_dir(data_dir)
        self.db_path = self.data_dir / DATABASE_NAME
        self.shots_dir = self.data_dir / "shots"
        self._lock = threading.RLock()
        self._make_private_dir(self.data_dir)
        self._check_existing_file()
        try:
            self._conn = sqlite3.connect(
                self.db_path, isolation_level=None, check_same_thread=False
            )
        except sqlite3.DatabaseError as error:
            raise CorruptStoreError(self.db_path, f"cannot open: {error}") from error
        try:
            self._prepare()
        except sqlite3.DatabaseError as error:
            self._conn.close()
            raise CorruptStoreError(self.db_path, f"not a readable database: {error}") from error
        except StoreError:
            self._conn.close()
            raise

    # -- opening -------------------------------------------------------------------

    def _check_existing_file(self) -> None:
        if not self.db_path.exists() or self.db_path.stat().st_size == 0:
            return
        with self.db_path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
        if header != _SQLITE_HEADER:
            raise CorruptStoreError(
                self.db_path, "not an SQLite database (bad header); left untouched"
            )

    def _prepare(self) -> None:
        conn = self._conn
        # read-only checks first: nothing may be written to a file we cannot use
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if not 0 <= version <= SCHEMA_VERSION or (version == 0 and tables):
            raise ForeignSchemaError(self.db_path, version)
        if version > 0:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            if verdict != "ok":
                raise CorruptStoreError(self.db_path, f"integrity check failed: {verdict}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        if version == 0:
            with self._transaction():
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        elif version < SCHEMA_VERSION:
            self._upgrade(version)
        # the WAL and shared-memory files hold slot data too
        for path in (
            self.db_path,
            self.db_path.with_name(DATABASE_NAME + "-wal"),
            self.db_path.with_name(DATABASE_NAME + "-shm"),
        ):
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)

    def _upgrade(self, version: int) -> None:
        """Apply the schema steps from ``version`` to :data:`SCHEMA_VERSION`, all or none."""
        with self._transaction() as conn:
            for step in range(version, SCHEMA_VERSION):
                for statement in _UPGRADES[step]:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- shot files ----------------------------------------------------------------

    @staticmethod
    def _make_private_dir(path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)

    def _write_private_file(self, path: Path, payload: bytes) -> None:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    def save_shot(self, contract_id: int, slot: datetime, encoded: EncodedShot) -> ShotFile:
        """Write a shot and its thumbnail durably (0600 in 0700 dirs). Touches no table,
        so a capture worker thread may call it while the GUI thread uses the database."""
        start = slot_start(slot)
        folder = self.shots_dir / str(contract_id) / start.strftime("%Y-%m-%d")
        for directory in (self.shots_dir, self.shots_dir / str(contract_id), folder):
            self._make_private_dir(directory)
        stem = f"{start.strftime('%H%M')}-{secrets.token_hex(4)}"
        path = folder / f"{stem}{encoded.file_suffix}"
        thumbnail_path = folder / f"{stem}.thumb{encoded.thumbnail_suffix}"
        self._write_private_file(path, encoded.image_bytes)
        try:
            self._write_private_file(thumbnail_path, encoded.thumbnail_bytes)
            _fsync_dir(folder)
        except BaseException:  # disk full half-way: leave no shot without its thumbnail
            with contextlib.suppress(OSError):
                path.unlink()
            raise
        return ShotFile(
            path=path,
            thumbnail_path=thumbnail_path,
            sha256=hashlib.sha256(encoded.image_bytes).hexdigest(),
            size_bytes=len(encoded.image_bytes),
            media_type=encoded.media_type,
            width=encoded.width,
            height=encoded.height,
            taken_at=encoded.taken_at,
        )

    def discard_shot_file(self, shot: ShotFile) -> None:
        """Remove a saved shot that no slot will reference."""
        for path in (shot.path, shot.thumbnail_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def read_shot(self, slot: Slot) -> bytes:
        if slot.shot is None:
            raise SlotNotFound(f"slot {slot.key} of contract {slot.contract_id} has no shot")
        return slot.shot.path.read_bytes()

    def remove_orphan_shot_files(self) -> list[Path]:
        """Delete shot files no slot row names, and leftover temporary files."""
        if not self.shots_dir.exists():
            return []
        with self._lock:
            base = str(self.data_dir)
            referenced = set()
            for shot_path, thumb_path in self._conn.execute(
                "SELECT shot_path, thumb_path FROM slots WHERE shot_path IS NOT NULL"
            ):
                referenced.add(os.path.join(base, shot_path))
                referenced.add(os.path.join(base, thumb_path))
        # os.walk on plain strings: this runs at every start over a year of shot files
        removed = []
        for folder, _dirs, names in os.walk(self.shots_dir):
            for name in names:
                path = os.path.join(folder, name)
                if path not in referenced:
                    os.unlink(path)
                    removed.append(Path(path))
        return sorted(removed)

    # -- slots ---------------------------------------------------------------------

    def write_slot(self, slot: Slot) -> Slot:
        """Write a finished slot in one transaction and return it as stored.

        If the slot is already stored (tracking stopped and restarted inside one slot),
        the two are merged: minutes already stored win, the stored memo stays, the first
        shot stays (a second shot file is discarded). Raises :class:`SlotConflict` if the
        stored slot is synced, deleted after sync, or manual vs. tracked differs.
        """
        if not slot.minutes:
            raise ValueError(f"slot {slot.key} has no minutes; nothing to write")
        discard: ShotFile | None = None
        with self._transaction() as conn:
            existing = self._get(slot.contract_id, slot.slot_start)
            if existing is None:
                merged = slot
            else:
                merged, discard = self._merge(existing, slot)
                conn.execute(
                    "DELETE FROM slots WHERE contract_id=? AND slot_start=?",
                    (slot.contract_id, slot.key),
                )
            self._insert(merged)
        if discard is not None:
            self.discard_shot_file(discard)
        stored = self.get_slot(slot.contract_id, slot.slot_start)
        assert stored is not None
        return stored

    def _merge(self, existing: Slot, new: Slot) -> tuple[Slot, ShotFile | None]:
        if existing.deleted_at is not None or existing.sync_state == "synced":
            raise SlotConflict(
                self.db_path, f"slot {new.key} of contract {new.contract_id} is already synced"
            )
        if existing.manual != new.manual:
            raise SlotConflict(self.db_path, f"slot {new.key} mixes manual and tracked time")
        have = {minute.index for minute in existing.minutes}
        minutes = tuple(
            sorted(
                existing.minutes + tuple(m for m in new.minutes if m.index not in have),
                key=lambda m: m.index,
            )
        )
        shot, state, note, discard = (
            existing.shot,
            existing.shot_state,
            existing.capture_note,
            # the same slot written again (a retried write that had committed) keeps its shot
            None if new.shot is not None and new.shot.path == _path_of(existing.shot) else new.shot,
        )
        if existing.shot is None and new.shot is not None:
            shot, state, note, discard = new.shot, new.shot_state, new.capture_note, None
        elif existing.shot is None and new.shot_state == "unavailable":
            state, note = "unavailable", new.capture_note
        merged = replace(
            existing,
            minutes=minutes,
            shot=shot,
            shot_state=state,
            capture_note=note,
            idle_hold=existing.idle_hold or new.idle_hold,
            clock_jump=existing.clock_jump or new.clock_jump,
        )
        return merged, discard

    def _relative(self, path: Path) -> str:
        return str(path.relative_to(self.data_dir))

    def _insert(self, slot: Slot) -> None:
        shot = slot.shot
        self._conn.execute(
            """INSERT INTO slots (contract_id, slot_start, memo, manual, shot_state, shot_path,
                   thumb_path, shot_sha256, shot_bytes, shot_media_type, shot_width, shot_height,
                   shot_taken_at, capture_note, idle_hold, over_limit, sync_state, sync_reason,
                   synced_at, deleted_at, replaces_synced, server_may_hold, clock_jump)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
            (
                slot.contract_id,
                slot.key,
                slot.memo,
                int(slot.manual),
                slot.shot_state,
                None if shot is None else self._relative(shot.path),
                None if shot is None else self._relative(shot.thumbnail_path),
                None if shot is None else shot.sha256,
                None if shot is None else shot.size_bytes,
                None if shot is None else shot.media_type,
                None if shot is None else shot.width,
                None if shot is None else shot.height,
                None if shot is None else _text(shot.taken_at),
                slot.capture_note,
                int(slot.idle_hold),
                int(slot.over_limit),
                slot.sync_state,
                slot.sync_reason,
                None if slot.synced_at is None else _text(slot.synced_at),
                None if slot.deleted_at is None else _text(slot.deleted_at),
                int(slot.replaces_synced),
                int(slot.server_may_hold),
                int(slot.clock_jump),
            ),
        )
        self._conn.executemany(
            "INSERT INTO slot_minutes (contract_id, slot_start, minute, key_events, mouse_events) "
            "VALUES (?,?,?,?,?)",
            [
                (slot.contract_id, slot.key, m.index, m.key_events, m.mouse_events)
                for m in slot.minutes
            ],
        )

    def _row_to_slot(
        self, row: sqlite3.Row | tuple[object, ...], minutes: tuple[MinuteActivity, ...]
    ) -> Slot:
        (
            contract_id,
            key,
            memo,
            manual,
            shot_state,
            shot_path,
            thumb_path,
            sha256,
            size_bytes,
            media_type,
            width,
            height,
            taken_at,
            capture_note,
            idle_hold,
            over_limit,
            sync_state,
            sync_reason,
            synced_at,
            deleted_at,
            replaces_synced,
            server_may_hold,
            clock_jump,
        ) = tuple(row)
        shot = None
        if shot_path is not None:
            shot = ShotFile(
                path=self.data_dir / str(shot_path),
                thumbnail_path=self.data_dir / str(thumb_path),
                sha256=str(sha256),
                size_bytes=int(str(size_bytes)),
                media_type=str(media_type),
                width=int(str(width)),
                height=int(str(height)),
                taken_at=_instant(str(taken_at)) or datetime.min.replace(tzinfo=UTC),
            )
        return Slot(
            contract_id=int(str(contract_id)),
            slot_start=_slot_instant(str(key)),
            memo=str(memo),
            minutes=minutes,
            manual=bool(manual),
            shot=shot,
            shot_state=_shot_state(str(shot_state)),
            capture_note=None if capture_note is None else str(capture_note),
            idle_hold=bool(idle_hold),
            over_limit=bool(over_limit),
            sync_state=_sync_state(str(sync_state)),
            sync_reason=None if sync_reason is None else str(sync_reason),
            synced_at=_instant(None if synced_at is None else str(synced_at)),
            deleted_at=_instant(None if deleted_at is None else str(deleted_at)),
            replaces_synced=bool(replaces_synced),
            server_may_hold=bool(server_may_hold),
            clock_jump=bool(clock_jump),
        )

    _COLUMNS = (
        "contract_id, slot_start, memo, manual, shot_state, shot_path, thumb_path, shot_sha256, "
        "shot_bytes, shot_media_type, shot_width, shot_height, shot_taken_at, capture_note, "
        "idle_hold, over_limit, sync_state, sync_reason, synced_at, deleted_at, replaces_synced, "
        "server_may_hold, clock_jump"
    )

    def _select(self, where: str, params: Sequence[object]) -> list[Slot]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {self._COLUMNS} FROM slots WHERE {where} ORDER BY slot_start, contract_id",
                tuple(params),
            ).fetchall()
            minutes: dict[tuple[int, str], list[MinuteActivity]] = {}
            if rows:
                for contract_id, key, minute, key_events, mouse_events in self._conn.execute(
                    "SELECT contract_id, slot_start, m.minute, m.key_events, m.mouse_events "
                    f"FROM slots JOIN slot_minutes m USING (contract_id, slot_start) WHERE {where} "
                    "ORDER BY m.minute",
                    tuple(params),
                ):
                    minutes.setdefault((int(contract_id), str(key)), []).append(
                        MinuteActivity(int(minute), int(key_events), int(mouse_events))
                    )
        return [
            self._row_to_slot(row, tuple(minutes.get((int(row[0]), str(row[1])), [])))
            for row in rows
        ]

    def _get(self, contract_id: int, start: datetime) -> Slot | None:
        found = self._select("contract_id=? AND slot_start=?", (contract_id, slot_key(start)))
        return found[0] if found else None

    def get_slot(self, contract_id: int, start: datetime) -> Slot | None:
        """The stored slot (tombstones included), or None."""
        return self._get(contract_id, start)

    def slots_between(
        self,
        start: datetime,
        end: datetime,
        contract_id: int | None = None,
        include_deleted: bool = False,
    ) -> list[Slot]:
        """Slots starting in ``[start, end)``, oldest first."""
        where = "slot_start >= ? AND slot_start < ?"
        params: list[object] = [_key_bound(start), _key_bound(end)]
        if contract_id is not None:
            where += " AND contract_id = ?"
            params.append(contract_id)
        if not include_deleted:
            where += " AND deleted_at IS NULL"
        return self._select(where, params)

    def diary_day(self, day: date, tz: tzinfo, contract_id: int | None = None) -> list[Slot]:
        """The local diary: slots starting on ``day`` in the user's time zone ``tz``."""
        start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        return self.slots_between(start, end, contract_id)

    def week_minutes(self, week_start: datetime) -> dict[int, int]:
        """Minutes stored per contract in the week from ``week_start`` (tombstones excluded)."""
        end = week_start + timedelta(days=7)
        with self._lock:
            rows = self._conn.execute(
                "SELECT s.contract_id, COUNT(*) FROM slots s JOIN slot_minutes m "
                "ON m.contract_id = s.contract_id AND m.slot_start = s.slot_start "
                "WHERE s.slot_start >= ? AND s.slot_start < ? AND s.deleted_at IS NULL "
                "GROUP BY s.contract_id",
                (_key_bound(week_start), _key_bound(end)),
            ).fetchall()
        return {int(contract_id): int(count) for contract_id, count in rows}

    def minutes_not_counted_by_server(
        self, contract_id: int, week_start: datetime, server_fetched_at: datetime | None
    ) -> int:
        """Local minutes of the week the server's count (fetched at ``server_fetched_at``)
        cannot include yet: not synced, or synced after the fetch."""
        end = week_start + timedelta(days=7)
        where = (
            "s.contract_id = ? AND s.slot_start >= ? AND s.slot_start < ? AND s.deleted_at IS NULL"
        )
        params: list[object] = [contract_id, _key_bound(week_start), _key_bound(end)]
        if server_fetched_at is not None:
            where += " AND (s.sync_state != 'synced' OR s.synced_at > ?)"
            params.append(_text(server_fetched_at))
        with self._lock:
            row = self._conn.execute(
                "SELECT COUNT(*) FROM slots s JOIN slot_minutes m "
                "ON m.contract_id = s.contract_id AND m.slot_start = s.slot_start WHERE " + where,
                tuple(params),
            ).fetchone()
        return int(row[0])

    def delete_slot(self, contract_id: int, start: datetime, now: datetime) -> Slot:
        """Delete a slot: its shot files go, its minutes go. A slot the server may hold
        (a PUT of it was sent) stays as a pending tombstone until the server has
        confirmed the DELETE. Returns the slot as it was. Raises :class:`SlotNotFound`."""
        with self._transaction() as conn:
            existing = self._get(contract_id, start)
            if existing is None or existing.deleted_at is not None:
                raise SlotNotFound(f"no slot {slot_key(start)} for contract {contract_id}")
            key = slot_key(start)
            conn.execute(
                "DELETE FROM slot_minutes WHERE contract_id=? AND slot_start=?", (contract_id, key)
            )
            if _server_may_hold(existing):
                conn.execute(
                    "UPDATE slots SET deleted_at=?, shot_path=NULL, thumb_path=NULL, "
                    "sync_state='pending', sync_reason=NULL, server_may_hold=1 "
                    "WHERE contract_id=? AND slot_start=?",
                    (_text(now), contract_id, key),
                )
            else:
                conn.execute(
                    "DELETE FROM slots WHERE contract_id=? AND slot_start=?", (contract_id, key)
                )
        if existing.shot is not None:
            self.discard_shot_file(existing.shot)
        return existing

    def remove_minutes(
        self, contract_id: int, start: datetime, indices: Sequence[int], now: datetime
    ) -> Slot | None:
        """Take minutes out of a stored slot (idle discarded). A slot left with no minutes
        is deleted with its shot (returns None). A slot the server may hold goes back to
        pending with ``replaces_synced``: its shorter body is sent again."""
        existing = self._get(contract_id, start)
        if existing is None or existing.deleted_at is not None:
            return None
        drop = set(indices)
        remaining = tuple(m for m in existing.minutes if m.index not in drop)
        if len(remaining) == len(existing.minutes):
            return existing
        if not remaining:
            self.delete_slot(contract_id, start, now)
            return None
        with self._transaction() as conn:
            key = slot_key(start)
            conn.executemany(
                "DELETE FROM slot_minutes WHERE contract_id=? AND slot_start=? AND minute=?",
                [(contract_id, key, index) for index in sorted(drop)],
            )
            if _server_may_hold(existing) and existing.sync_state != "rejected":
                conn.execute(
                    "UPDATE slots SET sync_state='pending', replaces_synced=1 "
                    "WHERE contract_id=? AND slot_start=?",
                    (contract_id, key),
                )
        return self._get(contract_id, start)

    def set_idle_hold(self, contract_id: int, since: datetime | None, held: bool) -> None:
        """Hold (or release) stored slots of a contract that end after ``since`` (all of
        the contract's slots if ``since`` is None)."""
        bound = "" if since is None else _key_bound(since - SLOT_LENGTH)
        with self._transaction() as conn:
            conn.execute(
                "UPDATE slots SET idle_hold=? "
                "WHERE contract_id=? AND slot_start > ? AND deleted_at IS NULL",
                (int(held), contract_id, bound),
            )

    # -- sync bookkeeping ------------------------------------------------------------

    def sync_queue(
        self, now: datetime, hold: timedelta = DEFAULT_HOLD, limit: int | None = None
    ) -> list[Slot]:
        """Finished slots past the hold window (slot end + ``hold`` ≤ now), not synced,
        not rejected, not held for an unanswered idle prompt; oldest first."""
        if not timedelta(0) <= hold <= MAX_HOLD:
            raise ValueError(f"hold window {hold} outside 0–24 h")
        latest_start = now - hold - SLOT_LENGTH
        slots = self._select(
            "sync_state = 'pending' AND deleted_at IS NULL AND idle_hold = 0 AND slot_start <= ?",
            (_key_bound(latest_start),),
        )
        return slots if limit is None else slots[:limit]

    def pending_deletions(self) -> list[Slot]:
        """Tombstones of slots the server may hold: each needs a DELETE (refused ones,
        ``sync_state`` rejected, are not retried)."""
        return self._select("deleted_at IS NOT NULL AND sync_state = 'pending'", ())

    def refused_deletions(self) -> list[Slot]:
        """Tombstones whose DELETE the server refused for good; ``sync_reason`` says why
        (the server still bills them)."""
        return self._select("deleted_at IS NOT NULL AND sync_state = 'rejected'", ())

    def mark_sending(self, contract_id: int, start: datetime) -> None:
        """Commit that the server may hold this slot from now on: call before its PUT is
        sent, so a later delete always leaves a tombstone. Raises :class:`SlotNotFound`
        if the slot was deleted meanwhile (then send nothing)."""
        self._update(contract_id, start, "server_may_hold=1", (), live_only=True)

    def mark_synced(
        self, contract_id: int, start: datetime, at: datetime, sent_minutes: int | None = None
    ) -> bool:
        """The server holds this slot (and its shot). With ``sent_minutes`` (the minutes
        of the body sent), nothing changes if the slot has since lost minutes: the newer
        body is still to send (returns False). Raises :class:`SlotNotFound` if the slot
        was deleted meanwhile (its tombstone is still to send)."""
        with self._transaction() as conn:  # one transaction: a delete cannot slip between
            current = self._get(contract_id, start)
            if current is None or current.deleted_at is not None:
                raise SlotNotFound(f"no slot {slot_key(start)} for contract {contract_id}")
            if sent_minutes is not None and current.minute_count != sent_minutes:
                return False
            conn.execute(
                "UPDATE slots SET sync_state='synced', sync_reason=NULL, synced_at=?, "
                "replaces_synced=0, server_may_hold=1 WHERE contract_id=? AND slot_start=?",
                (_text(at), contract_id, slot_key(start)),
            )
        return True

    def mark_rejected(self, contract_id: int, start: datetime, reason: str) -> None:
        """The server refused the slot for good (e.g. "week locked"). Raises
        :class:`SlotNotFound` if it was deleted meanwhile (its tombstone stays pending)."""
        self._update(
            contract_id, start, "sync_state='rejected', sync_reason=?", (reason,), live_only=True
        )

    def mark_deletion_refused(self, contract_id: int, start: datetime, reason: str) -> None:
        """The server refused the DELETE for good (e.g. "week locked"): keep the
        tombstone with the reason, and stop sending it."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE slots SET sync_state='rejected', sync_reason=? "
                "WHERE contract_id=? AND slot_start=? AND deleted_at IS NOT NULL",
                (reason, contract_id, slot_key(start)),
            )

    def mark_over_limit(self, contract_id: int, start: datetime, over_limit: bool) -> None:
        self._update(contract_id, start, "over_limit=?", (int(over_limit),))

    def mark_deletion_synced(self, contract_id: int, start: datetime) -> None:
        """The server no longer holds the slot: drop the tombstone."""
        with self._transaction() as conn:
            conn.execute(
                "DELETE FROM slots WHERE contract_id=? AND slot_start=? AND deleted_at IS NOT NULL",
                (contract_id, slot_key(start)),
            )

    def _update(
        self,
        contract_id: int,
        start: datetime,
        assignments: str,
        params: tuple[object, ...],
        *,
        live_only: bool = False,
    ) -> None:
        where = "contract_id=? AND slot_start=?" + (" AND deleted_at IS NULL" if live_only else "")
        with self._transaction() as conn:
            changed = conn.execute(
                f"UPDATE slots SET {assignments} WHERE {where}",
                (*params, contract_id, slot_key(start)),
            ).rowcount
        if changed == 0:
            raise SlotNotFound(f"no slot {slot_key(start)} for contract {contract_id}")

    # -- contracts cache and settings ----------------------------------------------------

    def save_contracts(self, contracts: Sequence[Contract]) -> None:
        """Replace the cached contract list (what the server last said)."""
        with self._transaction() as conn:
            conn.execute("DELETE FROM contracts")
            conn.executemany(
                "INSERT INTO contracts VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        c.id,
                        c.title,
                        c.rate_cents,
                        c.currency,
                        c.weekly_cap_minutes,
                        int(c.screenshots_enabled),
                        int(c.blur_shots),
                        int(c.manual_time_allowed),
                        int(c.active),
                        c.server_week_minutes,
                        None if c.server_week_start is None else _text(c.server_week_start),
                        None if c.fetched_at is None else _text(c.fetched_at),
                    )
                    for c in contracts
                ],
            )

    def contracts(self) -> list[Contract]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM contracts ORDER BY title, id").fetchall()
        return [
            Contract(
                id=int(r[0]),
                title=str(r[1]),
                rate_cents=int(r[2]),
                currency=str(r[3]),
                weekly_cap_minutes=None if r[4] is None else int(r[4]),
                screenshots_enabled=bool(r[5]),
                blur_shots=bool(r[6]),
                manual_time_allowed=bool(r[7]),
                active=bool(r[8]),
                server_week_minutes=int(r[9]),
                server_week_start=_instant(r[10]),
                fetched_at=_instant(r[11]),
            )
            for r in rows
        ]

    def contract(self, contract_id: int) -> Contract | None:
        return next((c for c in self.contracts() if c.id == contract_id), None)

    def get_setting(self, name: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM settings WHERE name=?", (name,)).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, name: str, value: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO settings (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )


def _server_may_hold(slot: Slot) -> bool:
    """A PUT of the slot was sent (whatever the reply), or it was synced."""
    return slot.server_may_hold or slot.sync_state == "synced" or slot.replaces_synced


def _path_of(shot: ShotFile | None) -> Path | None:
    return None if shot is None else shot.path


def _key_bound(instant: datetime) -> str:
    """A slot-key-comparable bound: keys sort as text, so format the instant the same way."""
    at = instant.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _shot_state(text: str) -> ShotState:
    if text == "taken":
        return "taken"
    if text == "none":
        return "none"
    if text == "unavailable":
        return "unavailable"
    if text == "manual":
        return "manual"
    raise ValueError(f"unknown shot_state {text!r}")


def _sync_state(text: str) -> SyncState:
    if text == "pending":
        return "pending"
    if text == "synced":
        return "synced"
    if text == "rejected":
        return "rejected"
    raise ValueError(f"unknown sync_state {text!r}")


def open_store(data_dir: Path | str | None = None) -> Store:
    """Open (creating if needed) the store in ``data_dir`` (see :func:`resolve_data_dir`)."""
    return Store(data_dir)
