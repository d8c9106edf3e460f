"""Revision 0006: amounts stored in hundredths become each currency's own minor unit.

Seeded at the revision before it (as the server wrote them then: ¥1,000 as 100000),
migrated, read back — on a real SQLite file and on PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from billing.db.accounts import create_user
from billing.db.contracts import create_fixed_contract, create_hourly_contract
from billing.db.migrate import alembic_config, upgrade
from billing.db.milestones_tables import FixedMilestoneRequest, FixedProposal
from billing.db.models import Invoice, InvoiceLine, LedgerAccount, LedgerTransfer, User
from billing.db.session import make_engine, make_session_factory
from billing.passwords import Passwords
from tracker.clock import utc

NOW = utc(2026, 11, 2)
WEEK = utc(2026, 10, 26)


def _revision_before(engine: Engine) -> str:
    script = ScriptDirectory.from_config(alembic_config(engine))
    before = script.get_revision("0007_money").down_revision
    assert isinstance(before, str)
    return before


def _invoice(session: Any, contract_id: int, currency: str, rate: int, amount: int) -> None:
    invoice = Invoice(
        contract_id=contract_id,
        kind="weekly",
        week_start=WEEK,
        status="draft",
        currency=currency,
        total_cents=amount,
        created_at=NOW,
    )
    session.add(invoice)
    session.flush()
    session.add(
        InvoiceLine(
            invoice_id=invoice.id,
            kind="hours",
            description="hours",
            week_start=WEEK,
            logged_minutes=25,
            billable_minutes=25,
            rate_cents=rate,
            amount_cents=amount,
        )
    )
    accounts = [
        LedgerAccount(code=f"{kind}:{currency}", kind=kind, currency=currency)
        for kind in ("client_funding", "freelancer_pending")
    ]
    session.add_all(accounts)
    session.flush()
    session.add(
        LedgerTransfer(
            idempotency_key=f"invoice:{invoice.id}",
            source_account_id=accounts[0].id,
            destination_account_id=accounts[1].id,
            amount_cents=amount,
            currency=currency,
            invoice_id=invoice.id,
            created_at=NOW,
        )
    )


def _seed(engine: Engine) -> dict[str, int]:
    """What the server stored before 0006: every currency in hundredths."""
    passwords = Passwords.with_cost(1, 1024, 1)
    ids: dict[str, int] = {}
    with make_session_factory(engine)() as session:
        client, freelancer = (
            create_user(session, passwords, email=f"{r}@m.test", password="p", role=r, now=NOW)
            for r in ("client", "freelancer")
        )
        # ¥1,000/h, 12.50 KWD/h, $40.00/h, in hundredths; 25 minutes each
        for currency, rate, amount in (
            ("JPY", 100_000, 41_667),
            ("KWD", 12_50, 5_21),
            ("USD", 40_00, 16_67),
        ):
            contract = _hourly(session, client, freelancer, currency, rate)
            _invoice(session, contract, currency, rate, amount)
            ids[currency] = contract
        fixed = create_fixed_contract(
            session, client=client, freelancer=freelancer, title="f", currency="JPY", now=NOW
        )
        session.add(
            FixedMilestoneRequest(
                contract_id=fixed.id,
                seq=1,
                amount_cents=5_000_050,  # ¥50,000.50 in the old hundredths: rounds up
                description="d",
                created_at=NOW,
                state="pending",
            )
        )
        session.add(
            FixedProposal(
                contract_id=fixed.id,
                seq=1,
                message="m",
                changes=[{"kind": "add", "title": "t", "amount_cents": 1_200_000}, {"kind": "x"}],
                created_at=NOW,
                state="pending",
            )
        )
        ids["fixed"] = fixed.id
        session.commit()
    return ids


def _hourly(session: Any, client: User, freelancer: User, currency: str, rate: int) -> int:
    return create_hourly_contract(
        session,
        client=client,
        freelancer=freelancer,
        title=currency,
        currency=currency,
        rate_cents=rate,
        now=NOW - timedelta(days=30),
    ).id


def _one(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).one()


def test_amounts_become_minor_units_of_their_currency(database_url: str) -> None:
    engine = make_engine(database_url, sqlite_synchronous="NORMAL")
    try:
        upgrade(engine, _revision_before(engine))
        ids = _seed(engine)
        upgrade(engine)
        rate_sql = "SELECT rate_cents FROM contracts WHERE id = :id"
        rates = {currency: _one(engine, rate_sql, id=ids[currency])[0] for currency in ids}
        assert rates == {"JPY": 1000, "KWD": 12_500, "USD": 4000, "fixed": None}
        invoice_sql = (
            "SELECT i.total_cents, l.rate_cents, l.amount_cents, t.amount_cents FROM invoices i "
            "JOIN invoice_lines l ON l.invoice_id = i.id "
            "JOIN ledger_transfers t ON t.invoice_id = i.id WHERE i.contract_id = :id"
        )
        # ¥416.67 → ¥417 (half-up), 5.21 KWD → 5.210, $16.67 untouched; the total,
        # its line and its transfer stay equal
        assert tuple(_one(engine, invoice_sql, id=ids["JPY"])) == (417, 1000, 417, 417)
        assert tuple(_one(engine, invoice_sql, id=ids["KWD"])) == (5210, 12_500, 5210, 5210)
        assert tuple(_one(engine, invoice_sql, id=ids["USD"])) == (1667, 4000, 1667, 1667)
        request_sql = "SELECT amount_cents FROM fixed_milestone_requests WHERE contract_id = :id"
        assert _one(engine, request_sql, id=ids["fixed"])[0] == 50_001
        with make_session_factory(engine)() as session:
            proposal = session.query(FixedProposal).filter_by(contract_id=ids["fixed"]).one()
            assert proposal.changes == [
                {"kind": "add", "title": "t", "amount_cents": 12_000},
                {"kind": "x"},
            ]
        upgrade(engine)  # at the head already: nothing changes twice
        assert _one(engine, invoice_sql, id=ids["JPY"])[0] == 417
    finally:
        engine.dispose()
