"""Disputes on slots: opened by the client in review, moderated and resolved by an admin."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.db.errors import Conflict, Forbidden, Invalid, NotFound
from billing.db.invoices import recompute_hours, week_invoice
from billing.db.models import (
    AuditRecord,
    Contract,
    Dispute,
    DisputeMessage,
    DisputeSlot,
    DisputeStatus,
    InvoiceStatus,
    Role,
    Slot,
    User,
)
from billing.db.session import is_postgres
from billing.db.slots import lock_week_totals
from billing.domain.weeks import FREELANCER_ANSWER_WINDOW, WeekTimeline, as_utc, week_start


def open_dispute(
    session: Session,
    contract: Contract,
    client: User,
    slot_starts: list[datetime],
    reason: str,
    *,
    now: datetime,
) -> Dispute:
    """Dispute slots of one week in review; they leave the invoice until resolved."""
    starts = sorted({as_utc(start) for start in slot_starts})
    weeks = {week_start(start) for start in starts}
    if len(weeks) != 1:
        raise Invalid("a dispute covers slots of one week")
    week = weeks.pop()
    timeline = WeekTimeline(week)
    if not timeline.in_review(now):
        if now < timeline.lock_at:
            raise Conflict(f"review of this week opens at {timeline.lock_at.isoformat()}")
        raise Conflict(f"review of this week ended at {timeline.finalize_at.isoformat()}")
    lock_week_totals(session, contract.id, week)  # serialise with other disputes of the week
    invoice = week_invoice(session, contract.id, week)
    if invoice is None or invoice.status != InvoiceStatus.ISSUED:
        raise Conflict("this week has no invoice in review")
    slots = list(
        session.scalars(
            select(Slot).where(
                Slot.contract_id == contract.id,
                Slot.slot_start.in_(starts),
                Slot.deleted_at.is_(None),
            )
        )
    )
    missing = sorted(set(starts) - {slot.slot_start for slot in slots})
    if missing:
        raise Invalid(f"no slot at {', '.join(m.isoformat() for m in missing[:5])}")
    disputed = set(
        session.scalars(
            select(DisputeSlot.slot_id).where(DisputeSlot.slot_id.in_([s.id for s in slots]))
        )
    )
    if disputed:
        raise Conflict("some of these slots are already disputed")
    dispute = Dispute(
        contract_id=contract.id,
        invoice_id=invoice.id,
        week_start=week,
        opened_by_id=client.id,
        reason=reason,
        status=DisputeStatus.OPEN.value,
        disputed_minutes=sum(slot.minutes for slot in slots),
        opened_at=now,
        answer_due_at=now + FREELANCER_ANSWER_WINDOW,
    )
    session.add(dispute)
    session.flush()
    session.add_all(
        DisputeSlot(slot_id=slot.id, slot_start=slot.slot_start, dispute_id=dispute.id)
        for slot in slots
    )
    session.flush()
    recompute_hours(session, invoice, contract)
    return dispute


def dispute_on(session: Session, contract: Contract, dispute_id: int) -> Dispute:
    dispute = session.get(Dispute, dispute_id)
    if dispute is None or dispute.contract_id != contract.id:
        raise NotFound("no such dispute on this contract")
    return dispute


def disputes_on(session: Session, contract: Contract, viewer: User, role: Role) -> list[Dispute]:
    query = select(Dispute).where(Dispute.contract_id == contract.id).order_by(Dispute.id)
    if role == Role.ADMIN:  # an admin sees only the disputes assigned to them
        query = query.where(Dispute.assigned_admin_id == viewer.id)
    return list(session.scalars(query))


def check_admin_may_see(dispute: Dispute, viewer: User, role: Role) -> None:
    if role == Role.ADMIN and dispute.assigned_admin_id != viewer.id:
        raise NotFound("no such dispute on this contract")


def slot_starts_of(session: Session, dispute: Dispute) -> list[datetime]:
    return list(
        session.scalars(
            select(Slot.slot_start)
            .join(DisputeSlot, DisputeSlot.slot_id == Slot.id)
            .where(DisputeSlot.dispute_id == dispute.id)
            .order_by(Slot.slot_start)
        )
    )


def messages_of(session: Session, dispute: Dispute) -> list[tuple[DisputeMessage, User]]:
    rows = session.execute(
        select(DisputeMessage, User)
        .join(User, User.id == DisputeMessage.author_id)
        .where(DisputeMessage.dispute_id == dispute.id)
        .order_by(DisputeMessage.id)
    )
    return [(row[0], row[1]) for row in rows]


def add_message(
    session: Session, dispute: Dispute, author: User, body: str, *, now: datetime
) -> DisputeMessage:
    """Both sides (and the assigned admin) add to the record while it is open."""
    if dispute.status != DisputeStatus.OPEN:
        raise Conflict("dispute is resolved; the record is closed")
    message = DisputeMessage(dispute_id=dispute.id, author_id=author.id, body=body, created_at=now)
    session.add(message)
    session.flush()
    return message


def open_disputes_for_admin(session: Session, admin: User) -> list[Dispute]:
    """The support queue: open disputes unassigned or assigned to this admin."""
    return list(
        session.scalars(
            select(Dispute)
            .where(
                Dispute.status == DisputeStatus.OPEN,
                (Dispute.assigned_admin_id.is_(None)) | (Dispute.assigned_admin_id == admin.id),
            )
            .order_by(Dispute.opened_at, Dispute.id)
        )
    )


def assign(session: Session, dispute_id: int, admin: User, *, now: datetime) -> Dispute:
    """An admin takes an open dispute; taking one held by another admin is a 409."""
    query = select(Dispute).where(Dispute.id == dispute_id)
    if is_postgres(session):
        query = query.with_for_update()
    dispute = session.scalar(query)
    if dispute is None or dispute.status != DisputeStatus.OPEN:
        raise NotFound("no such open dispute")
    if dispute.assigned_admin_id not in (None, admin.id):
        raise Conflict("another admin handles this dispute")
    dispute.assigned_admin_id = admin.id
    session.add(
        AuditRecord(
            at=now,
            actor_id=admin.id,
            action="dispute_assigned",
            contract_id=dispute.contract_id,
            subject=f"dispute {dispute.id}",
            detail={},
        )
    )
    session.flush()
    return dispute


def resolve(
    session: Session,
    contract: Contract,
    dispute: Dispute,
    admin: User,
    *,
    paid: bool,
    note: str,
    now: datetime,
) -> Dispute:
    """Record the admin's decision; a paid dispute is billed at the next finalization.

    The freelancer has three days to answer: before that, the admin may decide only
    once the freelancer has written in the record.
    """
    if dispute.assigned_admin_id != admin.id:
        raise Forbidden("only the admin assigned to this dispute may resolve it")
    if dispute.status != DisputeStatus.OPEN:
        raise Conflict("dispute already resolved")
    answered = session.scalar(
        select(DisputeMessage.id)
        .where(
            DisputeMessage.dispute_id == dispute.id,
            DisputeMessage.author_id == contract.freelancer_id,
        )
        .limit(1)
    )
    if answered is None and now < dispute.answer_due_at:
        raise Conflict(f"the freelancer has until {dispute.answer_due_at.isoformat()} to answer")
    dispute.status = (DisputeStatus.PAID if paid else DisputeStatus.NOT_PAID).value
    dispute.resolved_at = now
    dispute.resolved_by_id = admin.id
    dispute.resolution_note = note
    session.add(
        AuditRecord(
            at=now,
            actor_id=admin.id,
            action="dispute_resolved",
            contract_id=contract.id,
            subject=f"dispute {dispute.id}",
            detail={"outcome": dispute.status, "minutes": dispute.disputed_minutes},
        )
    )
    session.flush()
    return dispute
