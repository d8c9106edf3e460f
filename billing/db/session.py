"""Engine and unit of work.

``make_engine(url)`` builds the engine for a ``sqlite:///…`` file (WAL, foreign keys,
``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing on a lock upgrade;
one process's writers queue on a lock of their own first, :mod:`billing.db.sqlite_writers`)
or for ``postgresql+psycopg://…``. ``unit_of_work(factory)`` is the
one way services open a transaction: commit on success, roll back on error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from billing.db.prepared import sent, watched
from billing.db.sqlite_writers import READ_ONLY, take_turns

SQLITE_SYNCHRONOUS = ("OFF", "NORMAL", "FULL", "EXTRA")
BUSY_TIMEOUT_SECONDS = 30


def sqlite_url(data_dir: Path) -> str:
    """The default database: ``billing.sqlite3`` inside the server's data directory."""
    return f"sqlite:///{(data_dir / 'billing.sqlite3').resolve()}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///…`` URL (None for an in-memory database)."""
    path = url.split("///", 1)[1].split("?", 1)[0] if "///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def tighten(path: Path, mode: int) -> None:
    """Clear any permission bit beyond ``mode`` on ``path`` (an owner's own bits stay)."""
    try:
        current = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return
    if current & ~mode:
        os.chmod(path, current & mode)


def private_sqlite_files(url: str) -> None:
    """The database file and its WAL/SHM readable by the server's user only (0600).

    SQLite creates the WAL and SHM with the main file's mode, so a new database file is
    created 0600 before the first connection; existing ones are tightened if looser.
    """
    path = _sqlite_path(url)
    if path is None:
        return
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm", f"{path.name}-journal"):
        tighten(path.with_name(name), 0o600)


def is_postgres(engine_or_session: Engine | Session) -> bool:
    bind = (
        engine_or_session.get_bind()
        if isinstance(engine_or_session, Session)
        else engine_or_session
    )
    return bind.dialect.name == "postgresql"


def core(session: Session) -> Connection:
    """The connection of ``session``'s transaction, for the hot Core statements (the
    single PUT's): they load and flush no ORM rows, and going through the session's own
    ``execute`` cost ~5 % of the calls a grouped PUT makes while it is stored."""
    return session.connection()


def make_engine(url: str, *, sqlite_synchronous: str = "FULL", pool_size: int = 10) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and ``BEGIN IMMEDIATE``."""
    if is_sqlite(url):
        if sqlite_synchronous not in SQLITE_SYNCHRONOUS:
            raise ValueError(f"sqlite synchronous must be one of {SQLITE_SYNCHRONOUS}")
        private_sqlite_files(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
            pool_size=pool_size,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Autocommit at the driver level so SQLAlchemy's "begin" hook below decides
            # how a transaction starts (sqlite docs, "BEGIN IMMEDIATE").
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
            cursor.close()

        take_turns(engine, BUSY_TIMEOUT_SECONDS)  # before the BEGIN below: the turn first

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            reads = connection.get_execution_options().get(READ_ONLY)
            connection.exec_driver_sql("BEGIN" if reads else "BEGIN IMMEDIATE")

        _plain_savepoints(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def _plain_savepoints(engine: Engine) -> None:
    """``engine``'s savepoints sent as the plain SQL they compile to, not compiled again
    each time: the PUTs stored together take one each (SQLAlchemy compiles its
    ``SAVEPOINT`` and ``RELEASE`` clauses on every use; the two cost a grouped PUT more
    than any of its own statements), and handed to the driver's cursor as the hot
    statements are (:mod:`billing.db.prepared`). The names are SQLAlchemy's own
    (``sa_savepoint_N``)."""
    dialect = engine.dialect
    for method, sql in (
        ("do_savepoint", "SAVEPOINT {}"),
        ("do_release_savepoint", "RELEASE SAVEPOINT {}"),
        ("do_rollback_to_savepoint", "ROLLBACK TO SAVEPOINT {}"),
    ):
        setattr(dialect, method, _sending(sql))


def _sending(sql: str) -> Any:
    def send(connection: Connection, name: str) -> None:
        # on the driver's cursor unless something watches the statements (see prepared)
        if watched(connection):
            connection.exec_driver_sql(sql.format(name))
        else:
            sent(connection, sql.format(name), ())

    return send


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (``expire_on_commit=False``)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def make_read_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read. On SQLite their transactions are deferred: in WAL mode they
    read beside the writer, neither taking the write lock nor waiting for it. Nothing may
    be written in them (a write there could fail where ``BEGIN IMMEDIATE`` would wait)."""
    return sessionmaker(bind=engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commits when the block ends normally, rolls back on an exception."""
    with factory.begin() as session:
        yield session
