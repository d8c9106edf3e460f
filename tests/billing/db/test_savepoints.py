"""SQLite savepoints are sent as plain SQL (not compiled again on each use: the single
PUTs stored together take one each), and still do what savepoints do."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

from billing.db.session import make_engine, make_session_factory


def test_savepoints_are_plain_sql_and_still_undo_their_work(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE kept (x INTEGER)")
    sent: list[tuple[str, bool]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, *_: Any) -> None:
        sent.append((statement, context.compiled is None))

    event.listen(engine, "before_cursor_execute", seen)
    sessions = make_session_factory(engine)
    with sessions() as session:
        session.execute(text("INSERT INTO kept VALUES (1)"))
        _keep_two_undo_three(session)
        session.commit()
    with engine.connect() as connection:
        assert [row[0] for row in connection.exec_driver_sql("SELECT x FROM kept")] == [1, 2]
    savepoints = [(sql, plain) for sql, plain in sent if "SAVEPOINT" in sql]
    assert [sql.split(" sa_savepoint")[0] for sql, _ in savepoints] == [
        "SAVEPOINT", "RELEASE SAVEPOINT", "SAVEPOINT", "ROLLBACK TO SAVEPOINT",
    ]
    assert all(plain for _, plain in savepoints)  # none compiled
    engine.dispose()


def test_unwatched_savepoints_go_to_the_driver_and_still_undo_their_work(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE kept (x INTEGER)")
    ran: list[str] = []
    with make_session_factory(engine)() as session:
        session.execute(text("INSERT INTO kept VALUES (1)"))
        driver = session.connection().connection.dbapi_connection
        assert driver is not None
        driver.set_trace_callback(ran.append)  # what SQLite runs; no engine event watches
        _keep_two_undo_three(session)
        driver.set_trace_callback(None)
        session.commit()
    with engine.connect() as connection:
        assert [row[0] for row in connection.exec_driver_sql("SELECT x FROM kept")] == [1, 2]
    assert [sql.split(" sa_savepoint")[0] for sql in ran if "SAVEPOINT" in sql] == [
        "SAVEPOINT", "RELEASE SAVEPOINT", "SAVEPOINT", "ROLLBACK TO SAVEPOINT",
    ]
    engine.dispose()


def _keep_two_undo_three(session: Session) -> None:
    """One savepoint released (row 2 kept), one rolled back (row 3 undone)."""
    with session.begin_nested():
        session.execute(text("INSERT INTO kept VALUES (2)"))
    with contextlib.suppress(RuntimeError), session.begin_nested():
        session.execute(text("INSERT INTO kept VALUES (3)"))
        raise RuntimeError("undone")
