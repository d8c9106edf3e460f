"""Turns for one process's SQLite transactions, handed over the moment one ends.

Every SQLite transaction here is ``BEGIN IMMEDIATE``: it takes the database's write
lock at once. Concurrent threads of one server would otherwise wait for that lock in
SQLite's busy handler, which polls by sleeping (1, 2, 5, 10 … 100 ms): a waiter keeps
sleeping after the lock is free, and sixteen clients' requests spend most of their time
so. Here a thread first takes the process's turn (a lock that wakes its next waiter
when the holder's connection goes back to the pool, right after its COMMIT or
ROLLBACK); other processes on the same file still meet in the busy handler.

A read-only engine (:data:`READ_ONLY`, see :func:`billing.db.session.make_read_sessions`)
begins plain deferred transactions, which in WAL mode read beside the writer: they
take no turn.

A turn not had within the busy timeout is given up and the transaction begins without
it, as it would have without this module, so nothing here can hang a server.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine, event

READ_ONLY = "workdiary_read_only"  # execution option of an engine whose sessions only read


class SqliteTurns:
    """The one writer turn of an engine's connections (see the module docstring)."""

    def __init__(self, timeout: float) -> None:
        self._lock = threading.Lock()
        self._timeout = timeout
        self._holder: object | None = None  # the DBAPI connection holding the turn

    def take(self, dbapi_connection: object) -> None:
        """Wait for the turn (a connection that holds it already keeps it)."""
        if self._holder is dbapi_connection:
            return
        if self._lock.acquire(timeout=self._timeout):
            self._holder = dbapi_connection

    def give_back(self, dbapi_connection: object) -> None:
        """End ``dbapi_connection``'s turn, if it holds it."""
        if self._holder is dbapi_connection:
            self._holder = None
            self._lock.release()


def take_turns(engine: Engine, timeout: float) -> SqliteTurns:
    """Make ``engine``'s transactions take turns; call before its ``begin`` listener that
    sends ``BEGIN IMMEDIATE`` is added, so the turn is had first."""
    turns = SqliteTurns(timeout)

    @event.listens_for(engine, "begin")
    def _take(connection: Any) -> None:
        if not connection.get_execution_options().get(READ_ONLY):
            turns.take(connection.connection.dbapi_connection)

    # back in the pool: the transaction has committed or rolled back (a session returns
    # its connection at once when it does); a connection dropped or closed gives it back too
    for name in ("checkin", "invalidate", "soft_invalidate", "close", "close_detached"):
        event.listen(engine.pool, name, _give_back(turns))
    return turns


def _give_back(turns: SqliteTurns) -> Any:
    def give_back(dbapi_connection: Any, *_args: Any) -> None:
        turns.give_back(dbapi_connection)

    return give_back
