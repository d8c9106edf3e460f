"""The statements of the shot retention step: which contract-weeks are past their
retention, which of them an open dispute keeps, and the shots they still hold. When a
shot is due is decided in ``billing.domain.retention``; the step is
``billing.services.retention``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from billing.db.locks import skip_locked
from billing.db.models import AuditRecord, ContractWeek, Dispute, DisputeStatus, Slot
from billing.db.slot_partitions import in_week

WeekKey = tuple[datetime, int]  # (week_start, contract_id): the order the step walks in


def weeks_past_retention(
    session: Session, bound: datetime, after: WeekKey | None, batch: int
) -> list[ContractWeek]:
    """Contract-weeks starting at or before ``bound`` whose shots are not all deleted
    yet, after ``after`` in (week, contract) order, locked (``SKIP LOCKED``)."""
    query = select(ContractWeek).where(
        ContractWeek.shots_expired.is_(False), ContractWeek.week_start <= bound
    )
    if after is not None:
        week, contract_id = after
        query = query.where(
            or_(
                ContractWeek.week_start > week,
                and_(ContractWeek.week_start == week, ContractWeek.contract_id > contract_id),
            )
        )
    query = query.order_by(ContractWeek.week_start, ContractWeek.contract_id).limit(batch)
    return list(session.scalars(skip_locked(session, query)))


def weeks_under_open_dispute(session: Session, weeks: Collection[ContractWeek]) -> set[WeekKey]:
    """Those of ``weeks`` that an open dispute concerns."""
    if not weeks:
        return set()
    rows = session.execute(
        select(Dispute.week_start, Dispute.contract_id).where(
            Dispute.status == DisputeStatus.OPEN.value,
            Dispute.contract_id.in_({week.contract_id for week in weeks}),
            Dispute.week_start.in_({week.week_start for week in weeks}),
        )
    )
    return {(week, contract_id) for week, contract_id in rows}


def shots_held(session: Session, week: datetime, contract_ids: Collection[int]) -> list[Slot]:
    """The live slots of these contracts' ``week`` that announced a shot and were not
    yet cleared by retention (uploaded or not), locked against a shot upload naming a
    blob on them meanwhile (``billing.services.hourly.put_shot`` takes the same lock)."""
    query = (
        select(Slot)
        .where(
            Slot.contract_id.in_(contract_ids),
            Slot.week_start == week,
            *in_week(week),
            Slot.shot_sha256.is_not(None),
            Slot.shot_note.is_(None),
            Slot.deleted_at.is_(None),
        )
        .order_by(Slot.contract_id, Slot.slot_start)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list(session.scalars(query))


def record_system_action(
    session: Session,
    at: datetime,
    action: str,
    contract_id: int,
    subject: str,
    detail: dict[str, Any],
) -> None:
    """An audit record of something the server did by its own schedule (no actor)."""
    session.add(
        AuditRecord(
            at=at,
            actor_id=None,
            action=action,
            contract_id=contract_id,
            subject=subject,
            detail=detail,
        )
    )
