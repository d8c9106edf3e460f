"""The week's billing steps on SQLite and PostgreSQL: job runners side by side do every
transition once, and the close works through its batches."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from sqlalchemy import func, select

from billing.config import Settings
from billing.db import ledger
from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract
from billing.db.models import Contract, Invoice, InvoiceStatus, LedgerTransfer, Slot
from billing.db.session import make_session_factory, unit_of_work
from billing.domain.ledger import invariant_violations
from billing.domain.slots import SlotBody
from billing.jobs import run_jobs
from billing.passwords import Passwords
from billing.services.hourly import put_slot
from billing.services.week_close import close_due
from tests.support.db import migrated_engine
from tracker.clock import utc

MONDAY = utc(2026, 11, 2)


def _week_of_work(url: str, contracts: int) -> None:
    engine = migrated_engine(url)
    factory = make_session_factory(engine)
    passwords = Passwords.with_cost(1, 1024, 1)
    now = utc(2026, 11, 6, 20)
    contracts_made: list[Contract] = []
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

            def runner(
                instant: datetime = instant, start: threading.Barrier = start
            ) -> dict[str, int]:
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
