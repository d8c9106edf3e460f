"""Storage on SQLite and PostgreSQL: the migrations match the models, job runners side by
side do every transition once, and racing uploads of one slot stay consistent."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

import billing.db.models as models
from billing.config import Settings
from billing.db import ledger
from billing.db.accounts import Passwords, create_user
from billing.db.contracts import create_hourly_contract
from billing.db.models import Base, Invoice, InvoiceStatus, LedgerTransfer, Slot
from billing.db.session import make_session_factory, unit_of_work
from billing.domain.ledger import invariant_violations
from billing.domain.slots import SlotBody
from billing.jobs import run_jobs
from billing.services.hourly import put_slot
from billing.services.week_close import close_due
from tests.billing.support import Backend
from tests.support.db import migrated_engine
from tracker.clock import utc

MONDAY = utc(2026, 11, 2)
MY_TABLES = {
    value.__table__.name
    for value in vars(models).values()
    if isinstance(value, type) and issubclass(value, Base) and value is not Base
}


def test_the_migrations_build_exactly_the_models(database_url: str) -> None:
    engine = migrated_engine(database_url)
    try:
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()

    def table_of(diff: object) -> str | None:
        first = diff[0] if isinstance(diff, list) else diff
        for part in first:  # type: ignore[union-attr]
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None:
                return str(table.name)
            if hasattr(part, "columns") and name:
                return str(name)
        return None

    mine = [diff for diff in diffs if table_of(diff) in MY_TABLES or table_of(diff) is None]
    assert mine == []


def _week_of_work(url: str, contracts: int) -> None:
    engine = migrated_engine(url)
    factory = make_session_factory(engine)
    passwords = Passwords.with_cost(1, 1024, 1)
    now = utc(2026, 11, 6, 20)
    contracts_made = []
    with unit_of_work(factory) as session:
        for index in range(contracts):
            client = create_user(
                session,
                passwords,
                email=f"c{index}@s.test",
                password="p",
                role="client",
                now=MONDAY,
            )
            freelancer = create_user(
                session,
                passwords,
                email=f"f{index}@s.test",
                password="p",
                role="freelancer",
                now=MONDAY,
            )
            contract = create_hourly_contract(
                session,
                client=client,
                freelancer=freelancer,
                title="t",
                currency="USD",
                rate_cents=3000 + index,
                now=MONDAY,
                weekly_cap_minutes=60,
            )
            contracts_made.append(contract)
    with factory() as session:
        for contract in contracts_made:
            for slot in range(7):  # 70 minutes, 10 over the cap
                body = SlotBody(10, ((1, 1),) * 10, "m", False, None, None, None, now)
                put_slot(
                    session,
                    contract,
                    MONDAY + timedelta(hours=9, minutes=10 * slot),
                    body,
                    now=now,
                    future_skew=timedelta(minutes=5),
                )
    engine.dispose()


def test_job_runners_side_by_side_do_each_transition_once(database_url: str) -> None:
    contracts = 25
    _week_of_work(database_url, contracts)
    engine = migrated_engine(database_url)
    factory = make_session_factory(engine)
    settings = Settings(database_url=database_url)
    try:
        for instant in (
            utc(2026, 11, 9),
            utc(2026, 11, 9, 12),
            utc(2026, 11, 14),
            utc(2026, 11, 18),
        ):
            start = threading.Barrier(3)

            def runner(instant=instant, start=start):  # type: ignore[no-untyped-def]
                start.wait()
                return run_jobs(factory, instant, settings)

            with ThreadPoolExecutor(3) as pool:
                reports = list(pool.map(lambda _: runner(), range(3)))
            for step in ("closed", "locked", "finalized", "released"):
                assert sum(report[step] for report in reports) in (0, contracts), (instant, reports)
        with unit_of_work(factory) as session:
            invoices = list(session.scalars(select(Invoice).order_by(Invoice.number)))
            assert [invoice.number for invoice in invoices] == list(range(1, contracts + 1))
            assert {invoice.status for invoice in invoices} == {InvoiceStatus.FINALIZED}
            assert all(invoice.released_at is not None for invoice in invoices)
            # capped at 60 minutes: each invoice is exactly one hour at its rate
            assert sorted(invoice.total_cents for invoice in invoices) == [
                3000 + i for i in range(contracts)
            ]
            charges = session.scalar(select(func.count()).select_from(LedgerTransfer))
            assert charges == 2 * contracts  # one charge and one release each
            assert session.scalar(select(func.sum(Slot.over_limit_minutes))) == 10 * contracts
            totals = {invoice.id: invoice.total_cents for invoice in invoices}
            assert (
                invariant_violations(
                    ledger.balances(session), ledger.all_transfers(session), totals
                )
                == []
            )
    finally:
        engine.dispose()


def test_racing_uploads_of_one_slot_store_it_once(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = backend.hourly(client, freelancer)
    backend.clock.set(utc(2026, 11, 4, 12))
    start = threading.Barrier(4)

    def upload(_: int) -> int:
        start.wait()
        return int(backend.put_slot(freelancer, contract, utc(2026, 11, 3, 9), 10).status_code)

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(upload, range(4)))
    assert statuses == [200, 200, 200, 201]
    info = backend.request("GET", f"/contracts/{contract}", freelancer).json()
    assert info["week_logged_minutes"] == 10


def test_the_close_works_through_batches(database_url: str) -> None:
    _week_of_work(database_url, 7)
    engine = migrated_engine(database_url)
    factory = make_session_factory(engine)
    try:
        with factory() as session:
            assert close_due(session, utc(2026, 11, 9), batch=3) == 7
        with factory() as session:
            assert close_due(session, utc(2026, 11, 9), batch=3) == 0
            assert session.scalar(select(func.count()).select_from(Invoice)) == 7
    finally:
        engine.dispose()
