"""The hourly services as units of work, on SQLite and PostgreSQL: a refusal rolls back
everything the call had written, and the caller's session stays usable."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from billing.blobs import LocalBlobStore
from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract, week_totals
from billing.db.errors import Conflict
from billing.db.models import Contract, User
from billing.db.session import make_session_factory, unit_of_work
from billing.db.slots import slot_at
from billing.domain.slots import SlotBody
from billing.passwords import Passwords
from billing.services import hourly
from tests.support.db import migrated_engine
from tracker.clock import utc

MONDAY = utc(2026, 11, 2)
NOW = utc(2026, 11, 4, 12)
SKEW = timedelta(minutes=5)


def _body(minutes: int, memo: str = "work", client_now: datetime = NOW) -> SlotBody:
    return SlotBody(minutes, ((1, 0),) * minutes, memo, False, None, None, None, client_now)


def _contract(engine: Engine) -> tuple[Contract, User]:
    passwords = Passwords.with_cost(1, 1024, 1)
    with unit_of_work(make_session_factory(engine)) as session:
        people = [
            create_user(
                session, passwords, email=f"{role}@u.test", password="p", role=role, now=MONDAY
            )
            for role in ("client", "freelancer")
        ]
        contract = create_hourly_contract(
            session,
            client=people[0],
            freelancer=people[1],
            title="t",
            currency="USD",
            rate_cents=6000,
            now=MONDAY,
            weekly_cap_minutes=600,
        )
        return contract, people[1]


def test_a_refused_put_leaves_nothing_and_the_session_goes_on(database_url: str) -> None:
    engine = migrated_engine(database_url)
    contract, _freelancer = _contract(engine)
    start = utc(2026, 11, 3, 9)
    try:
        with make_session_factory(engine)() as session:
            first = hourly.put_slot(session, contract, start, _body(10), now=NOW, future_skew=SKEW)
            assert first.created and first.week_logged_minutes == 10
            with pytest.raises(Conflict, match="memo differs"):
                hourly.put_slot(
                    session, contract, start, _body(10, "other"), now=NOW, future_skew=SKEW
                )
            later = start + timedelta(minutes=10)
            second = hourly.put_slot(session, contract, later, _body(7), now=NOW, future_skew=SKEW)
            assert second.created and second.week_logged_minutes == 17
        with make_session_factory(engine)() as session:
            totals = week_totals(session, contract.id, MONDAY)
            assert totals is not None and (totals.logged_minutes, totals.billable_minutes) == (
                17,
                17,
            )
    finally:
        engine.dispose()


def test_deleting_slots_with_one_in_a_locked_week_deletes_none(
    database_url: str, tmp_path: Path
) -> None:
    engine = migrated_engine(database_url)
    contract, freelancer = _contract(engine)
    last_week, this_week = utc(2026, 11, 3, 9), utc(2026, 11, 10, 9)
    after_lock = utc(2026, 11, 10, 12)  # Monday noon: the week of 2 November is locked
    try:
        with make_session_factory(engine)() as session:
            for start in (last_week, this_week):
                body = _body(10, client_now=after_lock)
                hourly.put_slot(session, contract, start, body, now=start + SKEW, future_skew=SKEW)
            with pytest.raises(Conflict, match="week locked"):
                hourly.delete_slots(
                    session,
                    LocalBlobStore(tmp_path / "blobs"),
                    contract,
                    [this_week, last_week],
                    actor=freelancer,
                    now=after_lock,
                )
        with make_session_factory(engine)() as session:
            totals = week_totals(session, contract.id, utc(2026, 11, 9))
            assert totals is not None and totals.logged_minutes == 10  # this week's slot stayed
            assert slot_at(session, contract.id, this_week).deleted_at is None  # type: ignore[union-attr]
    finally:
        engine.dispose()
