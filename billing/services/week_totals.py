"""What follows every change to a week's slots or disputes: the split over the cap,
the running totals, and the week's draft (or in-review) invoice.

Used inside the hourly services' transactions; nothing here commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from billing.db import invoices as invoices_db
from billing.db import slots as slots_db
from billing.db.contracts import cap_for_week
from billing.db.models import (
    Contract,
    ContractWeek,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
)
from billing.domain.invoices import weekly_hours_line
from billing.domain.weeks import allocate_cap


def resplit_over_cap(
    session: Session, contract: Contract, week: datetime, totals: ContractWeek | None = None
) -> None:
    """Re-split the week's minutes over the cap (slots in arrival order) and re-total."""
    totals = totals or slots_db.lock_week_totals(session, contract.id, week)
    slots = slots_db.live_slots_of_week(session, contract.id, week)
    over = allocate_cap([slot.minutes for slot in slots], cap_for_week(session, contract.id, week))
    for slot, over_limit in zip(slots, over, strict=True):
        if slot.over_limit_minutes != over_limit:
            slot.over_limit_minutes = over_limit
    totals.logged_minutes = sum(slot.minutes for slot in slots)
    totals.billable_minutes = totals.logged_minutes - sum(over)
    session.flush()


def recompute_hours(session: Session, invoice: Invoice, contract: Contract) -> None:
    """Bring an unfinalized invoice's hours line in line with its week's slots."""
    if invoice.status in (InvoiceStatus.FINALIZED, InvoiceStatus.VOID):
        raise AssertionError("a finalized invoice never changes")
    assert contract.rate_cents is not None
    values = weekly_hours_line(
        invoices_db.undisputed_minutes(session, contract.id, invoice.week_start),
        cap_for_week(session, contract.id, invoice.week_start),
        contract.rate_cents,
    )
    line = invoices_db.hours_line(session, invoice)
    if line is None:
        line = InvoiceLine(
            invoice_id=invoice.id,
            kind="hours",
            description=invoices_db.hours_description(invoice.week_start),
            week_start=invoice.week_start,
            dispute_id=None,
        )
        session.add(line)
    line.logged_minutes = values.logged_minutes
    line.billable_minutes = values.billable_minutes
    line.rate_cents = values.rate_cents
    line.amount_cents = values.amount_cents
    invoices_db.retotal(session, invoice)


def refresh_draft(session: Session, contract: Contract, week: datetime, *, now: datetime) -> None:
    """After a late slot or a deletion in grace: the draft follows (made if missing)."""
    invoice = invoices_db.week_invoice(session, contract.id, week)
    if invoice is None:
        invoice = invoices_db.new_invoice(session, contract, InvoiceKind.WEEKLY, week, now)
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED):
        recompute_hours(session, invoice, contract)
