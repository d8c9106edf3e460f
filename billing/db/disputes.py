"""Dispute rows: the queries the dispute services and pages need."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing.db.errors import NotFound
from billing.db.locks import for_update
from billing.db.models import (
    Contract,
    Dispute,
    DisputeMessage,
    DisputeSlot,
    DisputeStatus,
    Role,
    Slot,
    User,
)


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


def has_message_from(session: Session, dispute: Dispute, author_id: int) -> bool:
    found = session.scalar(
        select(DisputeMessage.id)
        .where(DisputeMessage.dispute_id == dispute.id, DisputeMessage.author_id == author_id)
        .limit(1)
    )
    return found is not None


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


def resolved_by_admin(session: Session, admin: User, limit: int) -> list[Dispute]:
    """The latest disputes assigned to this admin that are resolved."""
    return list(
        session.scalars(
            select(Dispute)
            .where(Dispute.assigned_admin_id == admin.id, Dispute.status != DisputeStatus.OPEN)
            .order_by(Dispute.resolved_at.desc())
            .limit(limit)
        )
    )


def open_count(session: Session, contract_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Dispute.id)).where(
                Dispute.contract_id == contract_id, Dispute.status == DisputeStatus.OPEN
            )
        )
        or 0
    )


def dispute_for_update(session: Session, dispute_id: int) -> Dispute | None:
    return session.scalar(for_update(session, select(Dispute).where(Dispute.id == dispute_id)))


def disputed_among(session: Session, slot_ids: Collection[int]) -> set[int]:
    """Those of ``slot_ids`` already under a dispute."""
    return set(
        session.scalars(select(DisputeSlot.slot_id).where(DisputeSlot.slot_id.in_(slot_ids)))
    )
