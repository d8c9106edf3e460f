"""Weekly slot partitions on PostgreSQL (migration 0004).

Data written before the migration survives it (ids, every column, a disputed slot and
the foreign key on it); each week's slots live in that week's partition; the queries
the billing code runs for one week read one partition (EXPLAIN); the jobs create the
coming weeks' partitions themselves, moving a week's early rows out of the default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from billing.config import Settings
from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract
from billing.db.invoices import undisputed_minutes
from billing.db.migrate import upgrade
from billing.db.models import Contract, Dispute, Invoice, User
from billing.db.session import make_engine, make_session_factory
from billing.db.slot_partitions import ensure_slot_partitions
from billing.db.slots import diary
from billing.domain.slots import SlotBody
from billing.jobs import run_jobs
from billing.passwords import Passwords
from billing.services.hourly import put_slot
from billing.services.week_close import close_due
from billing.services.week_totals import resplit_over_cap
from tests.support.db import fresh_database_url
from tracker.clock import utc

pytestmark = pytest.mark.postgres

BEFORE = "0003_fixed_attachments"
# the slot columns of 0003 (the ones 0004 carries over), and the one added since
COLUMNS = (
    "id, contract_id, slot_start, week_start, minutes, active_minutes, activity, memo, "
    "manual, shot_taken_at, shot_sha256, shot_note, shot_blob_key, over_limit_minutes, "
    "body_sha256, received_at, deleted_at, deleted_by_id"
)
LATER_SLOT_COLUMNS = (  # name, definition
    ("clock_jump", "boolean NOT NULL DEFAULT false"),  # 0005
    ("capture_source", "varchar(48)"),  # 0009_capture_provenance
    ("activity_source", "varchar(16)"),
    ("verified", "boolean NOT NULL DEFAULT false"),  # 0010_signed_diary
    ("chain_hash", "varchar(64)"),
)
WEEKS = [utc(2026, 10, 19), utc(2026, 10, 26), utc(2026, 11, 2)]  # Mondays
SKEW = timedelta(minutes=5)
TEN = timedelta(minutes=10)


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database_url("postgresql", tmp_path) as url:
        yield url


def _slot_body(now: datetime) -> SlotBody:
    return SlotBody(10, ((1, 2),) * 10, "memo", False, None, None, None, now)


def _four_slots_a_week(session: Session, client: User, freelancer: User) -> Contract:
    """An hourly contract between the two with four slots in each of ``WEEKS``."""
    contract = create_hourly_contract(
        session,
        client=client,
        freelancer=freelancer,
        title="t",
        currency="USD",
        rate_cents=3000,
        now=WEEKS[0],
        weekly_cap_minutes=None,
    )
    for week in WEEKS:
        for index in range(4):
            start = week + timedelta(days=index, hours=9)
            put_slot(
                session, contract, start, _slot_body(start + TEN), now=start + TEN,
                future_skew=SKEW,
            )
    return contract


def _seed(engine: Engine) -> int:
    """Three weeks of slots, the first week closed, and one of its slots disputed."""
    factory = make_session_factory(engine)
    passwords = Passwords.with_cost(1, 1024, 1)
    with factory() as session:
        people = [
            create_user(session, passwords, email=f"{r}@p.test", password="p", role=r, now=WEEKS[0])
            for r in ("client", "freelancer")
        ]
        contract_id = _four_slots_a_week(session, people[0], people[1]).id
    with factory() as session:
        close_due(session, WEEKS[1])
        invoice = session.query(Invoice).filter_by(contract_id=contract_id).one()
        dispute = Dispute(
            contract_id=contract_id,
            invoice_id=invoice.id,
            week_start=WEEKS[0],
            opened_by_id=people[0].id,
            reason="r",
            status="open",
            disputed_minutes=10,
            opened_at=WEEKS[1],
            answer_due_at=WEEKS[1] + timedelta(days=3),
        )
        session.add(dispute)
        session.flush()
        # the 0003 schema: dispute_slots has no slot_start yet
        session.execute(
            text(
                "INSERT INTO dispute_slots (slot_id, dispute_id) "
                "SELECT id, :dispute FROM slots WHERE slot_start = :start"
            ),
            {"dispute": dispute.id, "start": WEEKS[0] + timedelta(hours=9)},
        )
        session.commit()
    return contract_id


def _seed_with_todays_services(engine: Engine) -> None:
    """:func:`_seed` on the 0003 schema. Today's services write the slot columns added
    after 0004 (0005: ``clock_jump``, 0006: provenance), so they are added for the seed
    and dropped again: the migrations then start from the plain 0003 schema, holding the
    seeded rows."""
    with engine.begin() as connection:
        for name, definition in LATER_SLOT_COLUMNS:
            connection.execute(text(f"ALTER TABLE slots ADD COLUMN {name} {definition}"))
    _seed(engine)
    with engine.begin() as connection:
        for name, _ in LATER_SLOT_COLUMNS:
            connection.execute(text(f"ALTER TABLE slots DROP COLUMN {name}"))


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def test_data_from_before_the_migration_survives_it(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine, BEFORE)
        _seed_with_todays_services(engine)
        slots_before = _rows(engine, f"SELECT {COLUMNS}, activity::text FROM slots ORDER BY id")
        disputed_before = _rows(engine, "SELECT slot_id, dispute_id FROM dispute_slots")
        upgrade(engine)

        after = _rows(engine, f"SELECT {COLUMNS}, activity::text FROM slots ORDER BY id")
        assert after == slots_before
        assert _rows(engine, "SELECT DISTINCT clock_jump FROM slots") == [(False,)]
        kind = _rows(engine, "SELECT relkind FROM pg_class WHERE relname = 'slots'")
        assert kind == [("p",)]  # partitioned
        homes = _rows(
            engine,
            "SELECT tableoid::regclass::text, count(*) FROM slots GROUP BY 1 ORDER BY 1",
        )
        assert homes == [(f"slots_w{week:%Y%m%d}", 4) for week in WEEKS]
        disputed = _rows(engine, "SELECT slot_id, dispute_id, slot_start FROM dispute_slots")
        assert [row[:2] for row in disputed] == disputed_before
        assert disputed[0][2] == WEEKS[0] + timedelta(hours=9)
        # the foreign key holds on (id, slot_start): a wrong instant is refused
        with pytest.raises(sqlalchemy.exc.IntegrityError), engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO dispute_slots (slot_id, slot_start, dispute_id) "
                    "SELECT max(id), now(), 1 FROM slots"
                )
            )
        # new ids continue after the old ones
        factory = make_session_factory(engine)
        with factory() as session:
            contract = session.query(Contract).one()
            late = WEEKS[2] + timedelta(days=4, hours=9)
            put_slot(
                session, contract, late, _slot_body(late + TEN), now=late + TEN, future_skew=SKEW
            )
        newest = _rows(engine, "SELECT max(id) FROM slots")[0][0]
        assert newest == max(row[0] for row in slots_before) + 1
    finally:
        engine.dispose()


def _partitions_read(engine: Engine, run: Any) -> list[set[str]]:
    """Run ``run(session)``; EXPLAIN every statement it sent that reads ``slots``."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if re.search(r"\bslots\b", statement) and statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with Session(engine) as session:
            run(session)
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    plans = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, params in sent:
            cursor.execute("EXPLAIN " + statement, params)
            plan = "\n".join(str(row[0]) for row in cursor.fetchall())
            plans.append(set(re.findall(r"\b(slots_(?:w\d{8}|default))\b", plan)))
        raw.rollback()
    finally:
        raw.close()
    assert plans, "no statement read the slot table"
    return plans


def test_a_weeks_queries_read_one_partition(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        contract_id = _seed_after_migration(engine)
        week = WEEKS[1]
        one_partition = {f"slots_w{week:%Y%m%d}"}

        def week_queries(session: Session) -> None:
            contract = session.get(Contract, contract_id)
            assert contract is not None
            assert undisputed_minutes(session, contract_id, week) == 40
            assert len(diary(session, contract_id, week, week + timedelta(days=7))) == 4
            resplit_over_cap(session, contract, week)

        plans = _partitions_read(engine, week_queries)
        assert len(plans) >= 3
        assert all(plan == one_partition for plan in plans), plans
    finally:
        engine.dispose()


def _seed_after_migration(engine: Engine) -> int:
    """The three weeks' partitions (as the jobs make them), then their slots."""
    factory = make_session_factory(engine)
    passwords = Passwords.with_cost(1, 1024, 1)
    with factory() as session:
        ensure_slot_partitions(session, WEEKS[0], len(WEEKS) - 1)
        client = create_user(
            session, passwords, email="c@q.test", password="p", role="client", now=WEEKS[0]
        )
        freelancer = create_user(
            session, passwords, email="f@q.test", password="p", role="freelancer", now=WEEKS[0]
        )
        return _four_slots_a_week(session, client, freelancer).id


def test_the_jobs_create_the_coming_weeks_partitions(pg_url: str) -> None:
    engine = make_engine(pg_url)
    settings = Settings(database_url=pg_url, slot_partitions_ahead=3)
    far = utc(2031, 3, 5, 12)  # a Wednesday, years after the migration's own weeks
    mondays = [utc(2031, 3, 3) + timedelta(days=7 * n) for n in range(4)]
    try:
        upgrade(engine)
        contract_id = _seed_after_migration(engine)
        factory = make_session_factory(engine)
        early = mondays[2] + timedelta(hours=9)  # a slot that arrives before its partition
        with factory() as session:
            contract = session.get(Contract, contract_id)
            assert contract is not None
            put_slot(
                session, contract, early, _slot_body(early + TEN), now=early + TEN, future_skew=SKEW
            )
        assert _rows(engine, "SELECT count(*) FROM slots_default") == [(1,)]

        report = run_jobs(factory, far, settings)
        assert report["slot_partitions_created"] == 4  # this week and 3 ahead
        names = {row[0] for row in _rows(engine, "SELECT relname FROM pg_class")}
        assert {f"slots_w{m:%Y%m%d}" for m in mondays} <= names
        assert _rows(engine, "SELECT count(*) FROM slots_default") == [(0,)]
        assert _rows(
            engine,
            f"SELECT tableoid::regclass::text FROM slots WHERE slot_start = '{early.isoformat()}'",
        ) == [(f"slots_w{mondays[2]:%Y%m%d}",)]
        assert "slot_partitions_created" not in run_jobs(factory, far, settings)  # once
    finally:
        engine.dispose()
