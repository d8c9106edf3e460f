"""One data dir's SQLite connection: opened, checked, upgraded, and shared under a lock.

The database is ``tracker.sqlite3`` (WAL, ``synchronous=FULL``, 0600, in a 0700 dir).
Nothing is written to a file that cannot be used: the header, the version and an
integrity check are read first.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import platformdirs

from tracker.shot_seal import ShotKeys
from tracker.store.errors import CorruptStoreError, ForeignSchemaError, StoreError
from tracker.store.schema import SCHEMA, SCHEMA_VERSION, UPGRADES

DATABASE_NAME = "tracker.sqlite3"
DATA_DIR_ENV = "WORKDIARY_DATA_DIR"
_SQLITE_HEADER = b"SQLite format 3\x00"


def resolve_data_dir(data_dir: Path | str | None = None) -> Path:
    """Argument, else ``$WORKDIARY_DATA_DIR``, else the platform's user data dir."""
    if data_dir is not None:
        return Path(data_dir)
    from_env = os.environ.get(DATA_DIR_ENV)
    if from_env:
        return Path(from_env)
    return Path(platformdirs.user_data_dir("Workdiary"))


def make_private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


class Database:
    """The connection (``_conn``) and the lock every part of the store takes, and the
    keys that seal shot files (None: shots can be read only if written in the clear by an
    older version, and none can be saved).

    Raises :class:`CorruptStoreError` or :class:`ForeignSchemaError` (naming the file)
    when the existing database cannot be used; in that case nothing is written.
    """

    def __init__(
        self, data_dir: Path | str | None = None, shot_keys: ShotKeys | None = None
    ) -> None:
        self.data_dir = resolve_data_dir(data_dir)
        self.shot_keys = shot_keys
        self.db_path = self.data_dir / DATABASE_NAME
        self.shots_dir = self.data_dir / "shots"
        self._lock = threading.RLock()
        make_private_dir(self.data_dir)
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
        if version == 0:
            with self._transaction():
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        elif version < SCHEMA_VERSION:
            self._upgrade(version)
        # after the upgrade: a step that rebuilds a table must not cascade its drop
        conn.execute("PRAGMA foreign_keys=ON")
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
                for statement in UPGRADES[step]:
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
