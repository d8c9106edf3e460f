"""Invoice rows: the queries the week's draft, the job steps and the pages need.

No rule here: what a line bills is decided in ``billing.domain.invoices``, when a week
closes, locks and finalizes in ``billing.domain.weeks``; the steps themselves are in
``billing.services.week_close``; numbering is in ``billing.db.numbering``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from billing.db.errors import NotFound
from billing.db.locks import skip_locked
from billing.db.models import (
    Contract,
    ContractCap,
    ContractWeek,
    Dispute,
    DisputeSlot,
    DisputeStatus,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Slot,
)
from billing.db.slot_partitions import in_week

BATCH = 1000
BILLED_STATUSES = (InvoiceStatus.FINALIZED, InvoiceStatus.ISSUED, InvoiceStatus.VOID)


def hours_description(week: datetime) -> str:
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


def retotal(session: Session, invoice: Invoice) -> None:
    """The invoice's total is the sum of its lines."""
    session.flush()
    invoice.total_cents = sum(line.amount_cents for line in lines_of(session, invoice.id))
    session.flush()


def week_invoice(session: Session, contract_id: int, week: datetime) -> Invoice | None:
    return session.scalar(
        select(Invoice).where(
            Invoice.contract_id == contract_id,
            Invoice.week_start == week,
            Invoice.kind == InvoiceKind.WEEKLY,
        )
    )


def new_invoice(
    session: Session,
    contract: Contract,
    kind: InvoiceKind,
    week: datetime,
    now: datetime,
    *,
    issue: bool = False,
    available_at: datetime | None = None,
) -> Invoice:
    """An empty invoice of ``contract`` for ``week``: a draft, or issued at ``now``."""
    status = InvoiceStatus.ISSUED if issue else InvoiceStatus.DRAFT
    invoice = Invoice(
        contract_id=contract.id,
        kind=kind.value,
        week_start=week,
        status=status.value,
        currency=contract.currency,
        total_cents=0,
        created_at=now,
        issued_at=now if issue else None,
        available_at=available_at,
    )
    session.add(invoice)
    session.flush()
    return invoice


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


def finalized_of_freelancer(session: Session, freelancer_id: int) -> list[tuple[Invoice, Contract]]:
    rows = session.execute(
        select(Invoice, Contract)
        .join(Contract, Contract.id == Invoice.contract_id)
        .where(Contract.freelancer_id == freelancer_id, Invoice.status == InvoiceStatus.FINALIZED)
    )
    return [(row[0], row[1]) for row in rows]


def disputes_of_invoice(session: Session, invoice: Invoice) -> list[Dispute]:
    return list(
        session.scalars(
            select(Dispute).where(Dispute.invoice_id == invoice.id).order_by(Dispute.id)
        )
    )


# --- what the job steps take ------------------------------------------------------------


def contracts_by_id(session: Session, contract_ids: Collection[int]) -> dict[int, Contract]:
    return {
        contract.id: contract
        for contract in session.scalars(select(Contract).where(Contract.id.in_(contract_ids)))
    }


def weeks_to_close(session: Session, bound: datetime, batch: int) -> list[ContractWeek]:
    """Open contract-weeks starting at or before ``bound``, locked, oldest first."""
    query = (
        select(ContractWeek)
        .where(ContractWeek.closed.is_(False), ContractWeek.week_start <= bound)
        .order_by(ContractWeek.week_start, ContractWeek.contract_id)
        .limit(batch)
    )
    return list(session.scalars(skip_locked(session, query)))


def cap_changes_of(
    session: Session, contract_ids: Collection[int]
) -> dict[int, list[tuple[datetime, int | None]]]:
    caps: dict[int, list[tuple[datetime, int | None]]] = defaultdict(list)
    for row in session.execute(
        select(
            ContractCap.contract_id, ContractCap.effective_week_start, ContractCap.cap_minutes
        ).where(ContractCap.contract_id.in_(contract_ids))
    ):
        caps[row[0]].append((row[1], row[2]))
    return caps


def weekly_invoice_keys(
    session: Session, contract_ids: Collection[int]
) -> set[tuple[int, datetime]]:
    """``(contract_id, week_start)`` of the weekly invoices these contracts already have."""
    rows = session.execute(
        select(Invoice.contract_id, Invoice.week_start).where(
            Invoice.contract_id.in_(contract_ids), Invoice.kind == InvoiceKind.WEEKLY
        )
    )
    return {(row[0], row[1]) for row in rows}


def insert_drafts(
    session: Session, invoices: list[dict[str, object]], lines: list[dict[str, object]]
) -> None:
    """Insert draft invoices and their hours line (``lines[i]`` belongs to ``invoices[i]``)."""
    if not invoices:
        return
    created = session.execute(
        insert(Invoice).returning(Invoice.id, sort_by_parameter_order=True), invoices
    ).scalars()
    for invoice_id, line in zip(created, lines, strict=True):
        line["invoice_id"] = invoice_id
    session.execute(insert(InvoiceLine), lines)


def issue_drafts(session: Session, bound: datetime, now: datetime) -> int:
    """Weekly drafts of weeks starting at or before ``bound`` become issued."""
    result = session.execute(
        update(Invoice)
        .where(
            Invoice.status == InvoiceStatus.DRAFT,
            Invoice.kind == InvoiceKind.WEEKLY,
            Invoice.week_start <= bound,
        )
        .values(status=InvoiceStatus.ISSUED.value, issued_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def issued_to_finalize(session: Session, bound: datetime, batch: int) -> list[Invoice]:
    query = (
        select(Invoice)
        .where(
            Invoice.status == InvoiceStatus.ISSUED,
            Invoice.kind == InvoiceKind.WEEKLY,
            Invoice.week_start <= bound,
        )
        .order_by(Invoice.week_start, Invoice.id)
        .limit(batch)
    )
    return list(session.scalars(skip_locked(session, query)))


def finalized_to_release(session: Session, now: datetime, batch: int) -> list[Invoice]:
    query = (
        select(Invoice)
        .where(
            Invoice.status == InvoiceStatus.FINALIZED,
            Invoice.released_at.is_(None),
            Invoice.available_at <= now,
        )
        .order_by(Invoice.id)
        .limit(batch)
    )
    return list(session.scalars(skip_locked(session, query)))


def paid_unsettled(
    session: Session, before: datetime, contract_ids: Collection[int] | None
) -> dict[int, list[Dispute]]:
    """Disputes resolved paid before ``before`` not yet on an invoice, by contract."""
    query = select(Dispute).where(
        Dispute.status == DisputeStatus.PAID,
        Dispute.settled_invoice_id.is_(None),
        Dispute.resolved_at < before,
    )
    if contract_ids is not None:
        query = query.where(Dispute.contract_id.in_(contract_ids))
    grouped: dict[int, list[Dispute]] = defaultdict(list)
    for dispute in session.scalars(skip_locked(session, query.order_by(Dispute.id))):
        grouped[dispute.contract_id].append(dispute)
    return grouped


def billed_minutes(session: Session, contract_id: int, week: datetime) -> int:
    """Minutes of ``week`` already on the contract's issued, finalized or void invoices."""
    on_week = (InvoiceLine.week_start == week, Invoice.contract_id == contract_id)
    query = (
        select(func.coalesce(func.sum(InvoiceLine.billable_minutes), 0))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(*on_week, Invoice.status.in_(BILLED_STATUSES))
    )
    return int(session.scalar(query) or 0)


def supplementary_invoice(session: Session, contract_id: int, week: datetime) -> Invoice | None:
    return session.scalar(
        select(Invoice).where(
            Invoice.contract_id == contract_id,
            Invoice.kind == InvoiceKind.SUPPLEMENTARY,
            Invoice.week_start == week,
        )
    )
