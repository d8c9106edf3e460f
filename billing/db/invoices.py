"""Weekly invoices: drafts at the close, lock, finalization, availability.

The job steps (``close_due``, ``lock_due``, ``finalize_due``, ``release_due``) each
change a row only from the state before it, so running them twice at the same instant
changes nothing. On PostgreSQL they take their rows with ``FOR UPDATE SKIP LOCKED`` so
several servers can run jobs at once without doing the same work twice.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from billing.db import ledger
from billing.db.contracts import cap_for_week
from billing.db.errors import NotFound
from billing.db.models import (
    Contract,
    ContractCap,
    ContractWeek,
    Dispute,
    DisputeSlot,
    DisputeStatus,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Slot,
)
from billing.db.session import is_postgres
from billing.db.slot_partitions import in_week
from billing.domain.invoices import supplement_minutes, weekly_hours_line
from billing.domain.ledger import invoice_charge, release_pending
from billing.domain.money import Money, amount_for_minutes, fee_for
from billing.domain.weeks import (
    AVAILABLE_AFTER,
    GRACE,
    REVIEW_END,
    WEEK,
    WeekTimeline,
    effective_cap_minutes,
    week_start,
)

BATCH = 1000
COUNTER = "invoice"


def _hours_description(week: datetime) -> str:
    return f"Hours, week of {week:%Y-%m-%d}"


def undisputed_minutes(session: Session, contract_id: int, week: datetime) -> int:
    """Minutes of the week's undeleted slots that are not under any dispute."""
    total = session.scalar(
        select(func.coalesce(func.sum(Slot.minutes), 0))
        .outerjoin(DisputeSlot, DisputeSlot.slot_id == Slot.id)
        .where(
            Slot.contract_id == contract_id,
            Slot.week_start == week,
            *in_week(week),
            Slot.deleted_at.is_(None),
            DisputeSlot.slot_id.is_(None),
        )
    )
    return int(total or 0)


def hours_line(session: Session, invoice: Invoice) -> InvoiceLine | None:
    return session.scalar(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id, InvoiceLine.kind == "hours")
    )


def lines_of(session: Session, invoice_id: int) -> list[InvoiceLine]:
    return list(
        session.scalars(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.id)
        )
    )


def _retotal(session: Session, invoice: Invoice) -> None:
    invoice.total_cents = sum(line.amount_cents for line in lines_of(session, invoice.id))


def recompute_hours(session: Session, invoice: Invoice, contract: Contract) -> None:
    """Bring an unfinalized invoice's hours line in line with its week's slots."""
    if invoice.status in (InvoiceStatus.FINALIZED, InvoiceStatus.VOID):
        raise AssertionError("a finalized invoice never changes")
    assert contract.rate_cents is not None
    line_values = weekly_hours_line(
        undisputed_minutes(session, contract.id, invoice.week_start),
        cap_for_week(session, contract.id, invoice.week_start),
        contract.rate_cents,
    )
    line = hours_line(session, invoice)
    if line is None:
        line = InvoiceLine(
            invoice_id=invoice.id,
            kind="hours",
            description=_hours_description(invoice.week_start),
            week_start=invoice.week_start,
            dispute_id=None,
        )
        session.add(line)
    line.logged_minutes = line_values.logged_minutes
    line.billable_minutes = line_values.billable_minutes
    line.rate_cents = line_values.rate_cents
    line.amount_cents = line_values.amount_cents
    session.flush()
    _retotal(session, invoice)
    session.flush()


def week_invoice(session: Session, contract_id: int, week: datetime) -> Invoice | None:
    return session.scalar(
        select(Invoice).where(
            Invoice.contract_id == contract_id,
            Invoice.week_start == week,
            Invoice.kind == InvoiceKind.WEEKLY,
        )
    )


def refresh_week_invoice(
    session: Session, contract: Contract, week: datetime, *, now: datetime
) -> Invoice | None:
    """After a late slot or a deletion in grace: the draft follows (made if missing)."""
    invoice = week_invoice(session, contract.id, week)
    if invoice is None:
        invoice = Invoice(
            contract_id=contract.id,
            kind=InvoiceKind.WEEKLY.value,
            week_start=week,
            status=InvoiceStatus.DRAFT.value,
            currency=contract.currency,
            total_cents=0,
            created_at=now,
        )
        session.add(invoice)
        session.flush()
    if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.ISSUED):
        recompute_hours(session, invoice, contract)
    return invoice


# --- job steps ---------------------------------------------------------------------------


def _locked(session: Session, query):  # type: ignore[no-untyped-def]
    return query.with_for_update(skip_locked=True) if is_postgres(session) else query


def close_due(session: Session, now: datetime, *, batch: int = BATCH) -> int:
    """Close every week that ended at or before ``now``: one draft invoice per contract.

    Works on :class:`ContractWeek` totals (no slot scan): at the close nothing is
    disputed yet, so the week's undisputed minutes are its logged minutes.
    """
    closed = 0
    while True:
        made, taken = _close_batch(session, now, batch)
        closed += made
        if taken < batch:
            return closed


def _close_batch(session: Session, now: datetime, batch: int) -> tuple[int, int]:
    """Close up to ``batch`` contract-weeks; returns (invoices made, rows taken)."""
    last_closable = week_start(now) - WEEK
    rows = list(
        session.scalars(
            _locked(
                session,
                select(ContractWeek)
                .where(ContractWeek.closed.is_(False), ContractWeek.week_start <= last_closable)
                .order_by(ContractWeek.week_start, ContractWeek.contract_id)
                .limit(batch),
            )
        )
    )
    if not rows:
        return 0, 0
    contract_ids = sorted({row.contract_id for row in rows})
    contracts = {
        contract.id: contract
        for contract in session.scalars(select(Contract).where(Contract.id.in_(contract_ids)))
    }
    caps: dict[int, list[tuple[datetime, int | None]]] = defaultdict(list)
    for cap_row in session.execute(
        select(
            ContractCap.contract_id, ContractCap.effective_week_start, ContractCap.cap_minutes
        ).where(ContractCap.contract_id.in_(contract_ids))
    ):
        caps[cap_row[0]].append((cap_row[1], cap_row[2]))
    already = {
        (row[0], row[1])
        for row in session.execute(
            select(Invoice.contract_id, Invoice.week_start).where(
                Invoice.contract_id.in_(contract_ids), Invoice.kind == InvoiceKind.WEEKLY
            )
        )
    }
    invoices: list[dict[str, object]] = []
    lines: list[dict[str, object]] = []
    for row in rows:
        row.closed = True
        contract = contracts[row.contract_id]
        if row.logged_minutes <= 0 or (row.contract_id, row.week_start) in already:
            continue
        assert contract.rate_cents is not None
        values = weekly_hours_line(
            row.logged_minutes,
            effective_cap_minutes(caps[row.contract_id], row.week_start),
            contract.rate_cents,
        )
        invoices.append(
            {
                "contract_id": contract.id,
                "kind": InvoiceKind.WEEKLY.value,
                "week_start": row.week_start,
                "status": InvoiceStatus.DRAFT.value,
                "currency": contract.currency,
                "total_cents": values.amount_cents,
                "created_at": now,
            }
        )
        lines.append(
            {
                "kind": "hours",
                "description": _hours_description(row.week_start),
                "week_start": row.week_start,
                "logged_minutes": values.logged_minutes,
                "billable_minutes": values.billable_minutes,
                "rate_cents": values.rate_cents,
                "amount_cents": values.amount_cents,
                "dispute_id": None,
            }
        )
    if invoices:
        created = session.execute(
            insert(Invoice).returning(Invoice.id, sort_by_parameter_order=True), invoices
        ).scalars()
        for invoice_id, line in zip(created, lines, strict=True):
            line["invoice_id"] = invoice_id
        session.execute(insert(InvoiceLine), lines)
    session.flush()
    return len(invoices), len(rows)


def lock_due(session: Session, now: datetime) -> int:
    """Monday 12:00: drafts of weeks whose grace ended are issued for review."""
    latest_week = now - WEEK - GRACE  # lock_at = week start + 7 days + 12 hours
    result = session.execute(
        update(Invoice)
        .where(
            Invoice.status == InvoiceStatus.DRAFT,
            Invoice.kind == InvoiceKind.WEEKLY,
            Invoice.week_start <= latest_week,
        )
        .values(status=InvoiceStatus.ISSUED.value, issued_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def last_finalization(now: datetime) -> datetime:
    """The latest Saturday 00:00 at or before ``now`` (a finalization instant)."""
    saturday = week_start(now) + REVIEW_END
    return saturday if saturday <= now else saturday - WEEK


def _take_numbers(session: Session, count: int) -> list[int]:
    """The next ``count`` invoice numbers, gapless: the counter row stays locked until
    the transaction that uses them commits (or rolls back, giving them back)."""
    if count == 0:
        return []
    query = select(InvoiceCounter).where(InvoiceCounter.name == COUNTER)
    if is_postgres(session):
        query = query.with_for_update()
    counter = session.scalar(query)
    if counter is None:
        counter = InvoiceCounter(name=COUNTER, last_number=0)
        session.add(counter)
    first = counter.last_number + 1
    counter.last_number += count
    session.flush()
    return list(range(first, first + count))


@dataclass(frozen=True)
class FinalizeReport:
    finalized: int
    voided: int
    supplements: int


def _settle_disputes(
    session: Session,
    invoice: Invoice,
    contract: Contract,
    disputes: list[Dispute],
) -> int:
    """Add a supplement line to ``invoice`` for each dispute resolved paid."""
    assert contract.rate_cents is not None
    added = 0
    for dispute in disputes:
        billed = session.scalar(
            select(func.coalesce(func.sum(InvoiceLine.billable_minutes), 0))
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(
                Invoice.contract_id == contract.id,
                InvoiceLine.week_start == dispute.week_start,
                Invoice.status.in_(
                    [InvoiceStatus.FINALIZED, InvoiceStatus.ISSUED, InvoiceStatus.VOID]
                ),
            )
        )
        minutes = supplement_minutes(
            dispute.disputed_minutes,
            int(billed or 0),
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
        added += 1
        session.flush()
    return added


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
        contract = contracts[invoice.contract_id]
        disputes = paid.pop(invoice.contract_id, [])
        if disputes:
            supplements += _settle_disputes(session, invoice, contract, disputes)
            _retotal(session, invoice)
        invoice.finalized_at = now
        if invoice.total_cents <= 0:
            invoice.status = InvoiceStatus.VOID.value
        else:
            invoice.status = InvoiceStatus.FINALIZED.value
            to_charge.append(invoice)
    for invoice, number in zip(to_charge, _take_numbers(session, len(to_charge)), strict=True):
        invoice.number = number
    session.flush()
    transfers = []
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


def finalize_due(
    session: Session, now: datetime, *, fee_bps: int = 0, batch: int = BATCH
) -> FinalizeReport:
    """Saturday 00:00: issued invoices are numbered, charged and credited (pending).

    Disputes resolved *paid* before the finalization become supplement lines on the
    contract's invoice finalized now, or on a supplementary invoice of their own.
    """
    finalized = voided = supplements = 0
    last_week = now - WEEK - REVIEW_END  # finalize_at = week start + 12 days
    saturday = last_finalization(now)
    while True:
        invoices = list(
            session.scalars(
                _locked(
                    session,
                    select(Invoice)
                    .where(
                        Invoice.status == InvoiceStatus.ISSUED,
                        Invoice.kind == InvoiceKind.WEEKLY,
                        Invoice.week_start <= last_week,
                    )
                    .order_by(Invoice.week_start, Invoice.id)
                    .limit(batch),
                )
            )
        )
        if not invoices:
            break
        contract_ids = {invoice.contract_id for invoice in invoices}
        contracts = {
            c.id: c for c in session.scalars(select(Contract).where(Contract.id.in_(contract_ids)))
        }
        paid = _paid_unsettled(session, saturday, contract_ids)
        for invoice in invoices:
            invoice.available_at = WeekTimeline(invoice.week_start).available_at
        batch_report = _finalize_batch(session, invoices, contracts, paid, now, fee_bps)
        finalized += batch_report.finalized
        voided += batch_report.voided
        supplements += batch_report.supplements
    # paid disputes of contracts with no weekly invoice finalizing now
    for contract_id, disputes in _paid_unsettled(session, saturday, None).items():
        contract = session.get(Contract, contract_id)
        assert contract is not None
        invoice = Invoice(
            contract_id=contract_id,
            kind=InvoiceKind.SUPPLEMENTARY.value,
            week_start=week_start(saturday),
            status=InvoiceStatus.ISSUED.value,
            currency=contract.currency,
            total_cents=0,
            created_at=now,
            issued_at=now,
            available_at=saturday + (AVAILABLE_AFTER - REVIEW_END),
        )
        existing = session.scalar(
            select(Invoice).where(
                Invoice.contract_id == contract_id,
                Invoice.kind == InvoiceKind.SUPPLEMENTARY,
                Invoice.week_start == invoice.week_start,
            )
        )
        if existing is not None:  # already made this Saturday: the disputes are newer
            continue
        session.add(invoice)
        session.flush()
        batch_report = _finalize_batch(
            session, [invoice], {contract_id: contract}, {contract_id: disputes}, now, fee_bps
        )
        finalized += batch_report.finalized
        voided += batch_report.voided
        supplements += batch_report.supplements
    return FinalizeReport(finalized, voided, supplements)


def _paid_unsettled(
    session: Session, saturday: datetime, contract_ids: set[int] | None
) -> dict[int, list[Dispute]]:
    query = select(Dispute).where(
        Dispute.status == DisputeStatus.PAID,
        Dispute.settled_invoice_id.is_(None),
        Dispute.resolved_at < saturday,
    )
    if contract_ids is not None:
        query = query.where(Dispute.contract_id.in_(contract_ids))
    query = _locked(session, query.order_by(Dispute.id))
    grouped: dict[int, list[Dispute]] = defaultdict(list)
    for dispute in session.scalars(query):
        grouped[dispute.contract_id].append(dispute)
    return grouped


def release_due(session: Session, now: datetime, *, fee_bps: int = 0, batch: int = BATCH) -> int:
    """Close + 9 days (Wednesday 00:00): an invoice's pending earnings become available."""
    released = 0
    while True:
        invoices = list(
            session.scalars(
                _locked(
                    session,
                    select(Invoice)
                    .where(
                        Invoice.status == InvoiceStatus.FINALIZED,
                        Invoice.released_at.is_(None),
                        Invoice.available_at <= now,
                    )
                    .order_by(Invoice.id)
                    .limit(batch),
                )
            )
        )
        if not invoices:
            return released
        contract_ids = {invoice.contract_id for invoice in invoices}
        contracts = {
            c.id: c for c in session.scalars(select(Contract).where(Contract.id.in_(contract_ids)))
        }
        transfers = []
        for invoice in invoices:
            contract = contracts[invoice.contract_id]
            net = invoice.total_cents - fee_for(invoice.total_cents, fee_bps)
            transfers += release_pending(
                key=f"invoice:{invoice.id}:available",
                freelancer_id=contract.freelancer_id,
                currency=invoice.currency,
                amount_cents=net,
                invoice_id=invoice.id,
            )
            invoice.released_at = now
            released += 1
        ledger.post(session, transfers, now)
        session.flush()


# --- reading -----------------------------------------------------------------------------


def invoices_of(session: Session, contract: Contract) -> list[Invoice]:
    return list(
        session.scalars(
            select(Invoice)
            .where(Invoice.contract_id == contract.id)
            .order_by(Invoice.week_start, Invoice.id)
        )
    )


def invoice_of(session: Session, contract: Contract, invoice_id: int) -> Invoice:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.contract_id != contract.id:
        raise NotFound("no such invoice on this contract")
    return invoice


def invoice_csv(invoice: Invoice, contract: Contract, lines: list[InvoiceLine]) -> str:
    """The invoice as CSV: a header block, then one row per line, amounts in minor units."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["invoice_number", invoice.number if invoice.number is not None else ""])
    writer.writerow(["invoice_id", invoice.id])
    writer.writerow(["contract_id", contract.id])
    writer.writerow(["contract_title", contract.title])
    writer.writerow(["week_start", invoice.week_start.isoformat()])
    writer.writerow(["status", invoice.status])
    writer.writerow(["currency", invoice.currency])
    writer.writerow([])
    writer.writerow(
        [
            "kind",
            "description",
            "week_start",
            "logged_minutes",
            "billable_minutes",
            "rate_cents",
            "amount_cents",
            "dispute_id",
        ]
    )
    for line in lines:
        writer.writerow(
            [
                line.kind,
                line.description,
                line.week_start.isoformat(),
                line.logged_minutes,
                line.billable_minutes,
                line.rate_cents,
                line.amount_cents,
                line.dispute_id if line.dispute_id is not None else "",
            ]
        )
    writer.writerow([])
    writer.writerow(["total_cents", invoice.total_cents])
    writer.writerow(["total", Money(invoice.total_cents, invoice.currency).format()])
    return out.getvalue()
