"""The hot statements sent as the SQL they compile to (``Prepared``) reach SQLite as
Core would send them: the same SQL with the same values, the same rows back, a driver
error raised as SQLAlchemy raises it; while an engine event watches, through Core's
``exec_driver_sql`` so the event sees the statement Core would have sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import Connection, Engine, event

from billing.db import slots
from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract
from billing.db.prepared import Prepared, watched
from billing.db.session import make_session_factory, unit_of_work
from billing.passwords import Passwords
from tests.support.db import migrated_engine
from tracker.clock import utc

WEEK = utc(2026, 11, 2)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = migrated_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    passwords = Passwords.with_cost(1, 1024, 1)
    with unit_of_work(make_session_factory(engine)) as session:
        client, freelancer = (
            create_user(session, passwords, email=f"{role}@x.test", password="pw", role=role,
                        now=WEEK)
            for role in ("client", "freelancer")
        )
        create_hourly_contract(session, client=client, freelancer=freelancer, title="t",
                               currency="USD", rate_cents=4000, now=WEEK)
    yield engine
    engine.dispose()


def _row(start_minutes: int) -> dict[str, object]:
    start = WEEK + timedelta(minutes=start_minutes)
    return {
        "contract_id": 1, "slot_start": start, "week_start": WEEK, "minutes": 3,
        "active_minutes": 2, "activity": [[1, 2], [0, 0], [3, 4]], "memo": "née ✓",
        "manual": False, "shot_taken_at": start + timedelta(minutes=2, microseconds=7),
        "shot_sha256": "ab" * 32, "shot_note": None, "clock_jump": True,
        "capture_source": "portal", "activity_source": None, "shot_blob_key": None,
        "over_limit_minutes": 1, "body_sha256": "cd" * 32, "received_at": WEEK,
        "verified": False, "chain_hash": None,
    }


STATEMENTS: list[tuple[Prepared, dict[str, Any]]] = [
    (slots._TOUCH["sqlite"], {"p_contract": 1, "p_week": WEEK}),
    (slots._INSERT_NEW["sqlite"], _row(0)),
    (slots._INSERT_NEW["sqlite"], _row(0)),  # held already: nothing inserted, no row back
    (slots._ADD_TO_TOTALS, {"p_contract": 1, "p_week": WEEK, "p_logged": 3, "p_billable": 2}),
    (slots._TOUCH["sqlite"], {"p_contract": 1, "p_week": WEEK}),
]


def _traced(engine: Engine, run: Any) -> tuple[list[str], list[Any]]:
    """What SQLite ran (each statement with its values bound) and what ``run`` returned
    for each statement, in a transaction rolled back afterwards."""
    traced: list[str] = []
    answers: list[Any] = []
    with engine.connect() as connection:
        driver = connection.connection.dbapi_connection
        assert driver is not None
        with connection.begin() as transaction:
            driver.set_trace_callback(traced.append)
            try:
                for prepared, values in STATEMENTS:
                    answers.append(run(connection, prepared, values))
            finally:
                driver.set_trace_callback(None)
            transaction.rollback()
    return traced, answers


def _by_core(connection: Connection, prepared: Prepared, values: dict[str, Any]) -> Any:
    result = connection.execute(prepared.statement, values)
    return [tuple(row) for row in result] if result.returns_rows else []


def _prepared(connection: Connection, prepared: Prepared, values: dict[str, Any]) -> Any:
    return [tuple(row) for row in prepared.rows(connection, values)]


def test_sqlite_runs_what_core_would_send_and_answers_the_same(engine: Engine) -> None:
    with engine.connect() as connection:
        assert not watched(connection)  # nothing watches: sent on the driver's cursor
    by_core = _traced(engine, _by_core)
    assert _traced(engine, _prepared) == by_core
    assert by_core[1][1] and not by_core[1][2]  # the insert, then the resend's none


def test_an_engine_event_sees_the_statement_core_would_send(engine: Engine) -> None:
    seen: list[tuple[str, Any]] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, params, *_: seen.append((statement, params)))
    _traced(engine, _by_core)
    by_core, seen[:] = list(seen), []
    _traced(engine, _prepared)
    assert seen == by_core


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(engine: Engine) -> None:
    unknown_contract = {"p_contract": 99, "p_week": WEEK}  # the foreign key refuses it
    refused = pytest.raises(sqlalchemy.exc.IntegrityError)
    with engine.connect() as connection, connection.begin(), refused as by_core:
        connection.execute(slots._TOUCH["sqlite"].statement, unknown_contract)
    refused = pytest.raises(sqlalchemy.exc.IntegrityError)
    with engine.connect() as connection, connection.begin(), refused as prepared:
        slots._TOUCH["sqlite"].rows(connection, unknown_contract)
    assert str(prepared.value.orig) == str(by_core.value.orig)
    assert prepared.value.statement == by_core.value.statement


def test_the_callers_values_must_be_the_statements(engine: Engine) -> None:
    with engine.connect() as connection, connection.begin():
        with pytest.raises(KeyError):
            slots._TOUCH["sqlite"].rows(connection, {"p_contract": 1, "p_wek": WEEK})
        with pytest.raises(ValueError):
            slots._TOUCH["sqlite"].rows(connection, {"p_contract": 1})
