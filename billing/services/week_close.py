"""The weekly billing steps: close (drafts), lock (issue), finalize (number, charge,
credit pending) and availability (pending → available), by ``billing.domain.weeks``.

Each step is one unit of work on the session it is given and commits it. A step only
moves rows from the state before it, so running it twice at the same instant changes
nothing; on PostgreSQL the rows are taken ``FOR UPDATE SKIP LOCKED`` so several servers
can run the steps at once without doing the same work twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from billing.db import invoices as invoices_db
from billing.db import ledger
from billing.db.contracts import cap_for_week
from billing.db.models import (
    Contract,
    ContractWeek,
    Dispute,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
)
from billing.db.numbering import take_invoice_numbers
from billing.domain.invoices import supplement_minutes, weekly_hours_line
from billing.domain.ledger import Transfer, invoice_charge, release_pending
from billing.domain.money import amount_for_minutes, fee_for
from billing.domain.weeks import (
    WeekTimeline,
    closed_weeks_bound,
    effective_cap_minutes,
    finalized_weeks_bound,
    locked_weeks_bound,
)
from billing.services.transaction import committed

BATCH = invoices_db.BATCH


# --- close -------------------------------------------------------------------------------


def close_due(session: Session, now: datetime, *, batch: int = BATCH) -> int:
    """Close every week that ended at or before ``now``: one draft invoice per contract.

    Works on the weeks' running totals (no slot scan): at the close nothing is disputed
    yet, so the week's undisputed minutes are its logged minutes.
    """
    closed = 0
    with committed(session):
        while True:
            made, taken = _close_batch(session, now, batch)
            closed += made
            if taken < batch:
                return closed


def _close_batch(session: Session, now: datetime, batch: int) -> tuple[int, int]:
    """Close up to ``batch`` contract-weeks; returns (invoices made, rows taken)."""
    weeks = invoices_db.weeks_to_close(session, closed_weeks_bound(now), batch)
    if not weeks:
        return 0, 0
    contract_ids = sorted({row.contract_id for row in weeks})
    contracts = invoices_db.contracts_by_id(session, contract_ids)
    caps = invoices_db.cap_changes_of(session, contract_ids)
    already = invoices_db.weekly_invoice_keys(session, contract_ids)
    invoices: list[dict[str, object]] = []
    lines: list[dict[str, object]] = []
    for row in weeks:
        row.closed = True
        if row.logged_minutes <= 0 or (row.contract_id, row.week_start) in already:
            continue
        contract = contracts[row.contract_id]
        cap = effective_cap_minutes(caps[row.contract_id], row.week_start)
        invoice, line = _draft_values(contract, row, cap, now)
        invoices.append(invoice)
        lines.append(line)
    invoices_db.insert_drafts(session, invoices, lines)
    session.flush()
    return len(invoices), len(weeks)


def _draft_values(
    contract: Contract, week: ContractWeek, cap: int | None, now: datetime
) -> tuple[dict[str, object], dict[str, object]]:
    """The draft invoice of a closed week and its hours line, as insert values."""
    assert contract.rate_cents is not None
    values = weekly_hours_line(week.logged_minutes, cap, contract.rate_cents)
    invoice: dict[str, object] = {
        "contract_id": contract.id,
        "kind": InvoiceKind.WEEKLY.value,
        "week_start": week.week_start,
        "status": InvoiceStatus.DRAFT.value,
        "currency": contract.currency,
        "total_cents": values.amount_cents,
        "created_at": now,
    }
    line: dict[str, object] = {
        "kind": "hours",
        "description": invoices_db.hours_description(week.week_start),
        "week_start": week.week_start,
        "logged_minutes": values.logged_minutes,
        "billable_minutes": values.billable_minutes,
        "rate_cents": values.rate_cents,
        "amount_cents": values.amount_cents,
        "dispute_id": None,
    }
    return invoice, line


# --- lock --------------------------------------------------------------------------------


def lock_due(session: Session, now: datetime) -> int:
    """Monday 12:00: drafts of weeks whose grace ended are issued for review."""
    with committed(session):
        return invoices_db.issue_drafts(session, locked_weeks_bound(now), now)


# --- finalize ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FinalizeReport:
    finalized: int = 0
    voided: int = 0
    supplements: int = 0

    def __add__(self, other: FinalizeReport) -> FinalizeReport:
        return FinalizeReport(
            self.finalized + other.finalized,
            self.voided + other.voided,
            self.supplements + other.supplements,
        )


def finalize_due(
    session: Session, now: datetime, *, fee_bps: int = 0, batch: int = BATCH
) -> FinalizeReport:
    """Saturday 00:00: issued invoices are numbered, charged and credited (pending).

    Disputes resolved *paid* before the finalization become supplement lines on the
    contract's invoice finalized now, or on a supplementary invoice of their own.
    """
    report = FinalizeReport()
    saturday = WeekTimeline.last_finalized(now).finalize_at
    with committed(session):
        while invoices := invoices_db.issued_to_finalize(
            session, finalized_weeks_bound(now), batch
        ):
            contract_ids = {invoice.contract_id for invoice in invoices}
            contracts = invoices_db.contracts_by_id(session, contract_ids)
            paid = invoices_db.paid_unsettled(session, saturday, contract_ids)
            for invoice in invoices:
                invoice.available_at = WeekTimeline(invoice.week_start).available_at
            report += _finalize_batch(session, invoices, contracts, paid, now, fee_bps)
        return report + _supplementary_invoices(session, now, fee_bps)


def _supplementary_invoices(session: Session, now: datetime, fee_bps: int) -> FinalizeReport:
    """Paid disputes of contracts with no weekly invoice finalizing now: an invoice each."""
    report = FinalizeReport()
    finalizing = WeekTimeline.last_finalized(now)
    for contract_id, disputes in invoices_db.paid_unsettled(
        session, finalizing.finalize_at, None
    ).items():
        week = finalizing.close_at  # the week the Saturday is in
        if invoices_db.supplementary_invoice(session, contract_id, week) is not None:
            continue  # already made this Saturday: the disputes are newer
        contracts = invoices_db.contracts_by_id(session, [contract_id])
        contract = contracts[contract_id]
        invoice = invoices_db.new_invoice(
            session,
            contract,
            InvoiceKind.SUPPLEMENTARY,
            week,
            now,
            issue=True,
            available_at=finalizing.available_at,
        )
        report += _finalize_batch(
            session, [invoice], contracts, {contract_id: disputes}, now, fee_bps
        )
    return report


def _settle_disputes(
    session: Session, invoice: Invoice, contract: Contract, disputes: list[Dispute]
) -> int:
    """Add a supplement line to ``invoice`` for each dispute resolved paid."""
    assert contract.rate_cents is not None
    for dispute in disputes:
        minutes = supplement_minutes(
            dispute.disputed_minutes,
            invoices_db.billed_minutes(session, contract.id, dispute.week_start),
            cap_for_week(session, contract.id, dispute.week_start),
        )
        session.add(
            InvoiceLine(
                invoice_id=invoice.id,
                kind="supplement",
                description=(
                    f"Dispute #{dispute.id} resolved paid (week of {dispute.week_start:%Y-%m-%d})"
                ),
                week_start=dispute.week_start,
                logged_minutes=dispute.disputed_minutes,
                billable_minutes=minutes,
                rate_cents=contract.rate_cents,
                amount_cents=amount_for_minutes(minutes, contract.rate_cents),
                dispute_id=dispute.id,
            )
        )
        dispute.settled_invoice_id = invoice.id
        session.flush()
    return len(disputes)


def _finalize_batch(
    session: Session,
    invoices: list[Invoice],
    contracts: dict[int, Contract],
    paid: dict[int, list[Dispute]],
    now: datetime,
    fee_bps: int,
) -> FinalizeReport:
    """Number, charge and credit a batch of invoices (voiding those with nothing to bill)."""
    supplements = 0
    to_charge: list[Invoice] = []
    for invoice in invoices:
        disputes = paid.pop(invoice.contract_id, [])
        if disputes:
            supplements += _settle_disputes(
                session, invoice, contracts[invoice.contract_id], disputes
            )
            invoices_db.retotal(session, invoice)
        invoice.finalized_at = now
        if invoice.total_cents <= 0:
            invoice.status = InvoiceStatus.VOID.value
        else:
            invoice.status = InvoiceStatus.FINALIZED.value
            to_charge.append(invoice)
    numbers = take_invoice_numbers(session, len(to_charge))
    for invoice, number in zip(to_charge, numbers, strict=True):
        invoice.number = number
    session.flush()
    transfers: list[Transfer] = []
    for invoice in to_charge:
        contract = contracts[invoice.contract_id]
        transfers += invoice_charge(
            invoice_id=invoice.id,
            client_id=contract.client_id,
            freelancer_id=contract.freelancer_id,
            currency=contract.currency,
            amount_cents=invoice.total_cents,
            fee_basis_points=fee_bps,
        )
    ledger.post(session, transfers, now)
    return FinalizeReport(len(to_charge), len(invoices) - len(to_charge), supplements)


# --- availability ------------------------------------------------------------------------


def release_due(session: Session, now: datetime, *, fee_bps: int = 0, batch: int = BATCH) -> int:
    """Close + 9 days (Wednesday 00:00): an invoice's pending earnings become available."""
    released = 0
    with committed(session):
        while invoices := invoices_db.finalized_to_release(session, now, batch):
            contracts = invoices_db.contracts_by_id(
                session, {invoice.contract_id for invoice in invoices}
            )
            transfers: list[Transfer] = []
            for invoice in invoices:
                net = invoice.total_cents - fee_for(invoice.total_cents, fee_bps)
                transfers += release_pending(
                    key=f"invoice:{invoice.id}:available",
                    freelancer_id=contracts[invoice.contract_id].freelancer_id,
                    currency=invoice.currency,
                    amount_cents=net,
                    invoice_id=invoice.id,
                )
                invoice.released_at = now
                released += 1
            ledger.post(session, transfers, now)
            session.flush()
        return released
