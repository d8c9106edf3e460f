"""Slot ingest, shots, deletion and the diary (the wire contract of ARCHITECTURE.md).

Each function works inside the caller's transaction; the API commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.blobs import BlobStore
from billing.db.contracts import cap_for_week
from billing.db.errors import Conflict, Invalid, NotFound, ServiceError
from billing.db.models import (
    AuditRecord,
    Contract,
    ContractKind,
    ContractWeek,
    DisputeSlot,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Slot,
    User,
)
from billing.db.session import is_postgres
from billing.db.upsert import insert_ignore
from billing.domain.slots import ContractTerms, SlotBody, refusal
from billing.domain.weeks import WeekTimeline, allocate_cap, as_utc, split_over_cap, week_start


@dataclass(frozen=True)
class SlotOutcome:
    slot: Slot
    created: bool
    week_logged_minutes: int


def _terms(contract: Contract) -> ContractTerms:
    return ContractTerms(
        is_hourly=contract.kind == ContractKind.HOURLY,
        screenshots_enabled=contract.screenshots_enabled,
        manual_time_allowed=contract.manual_time_allowed,
        ended_at=contract.ended_at,
    )


def _refuse(status: int, reason: str) -> ServiceError:
    return Conflict(reason) if status == 409 else Invalid(reason)


def lock_week_totals(session: Session, contract_id: int, week: datetime) -> ContractWeek:
    """The contract's running totals for ``week``, created if needed, row-locked on PG.

    Locking this row serialises every change to one contract's week across servers.
    """
    insert_ignore(
        session,
        ContractWeek,
        [
            {
                "contract_id": contract_id,
                "week_start": week,
                "logged_minutes": 0,
                "billable_minutes": 0,
                "closed": False,
            }
        ],
    )
    query = select(ContractWeek).where(
        ContractWeek.contract_id == contract_id, ContractWeek.week_start == week
    )
    if is_postgres(session):
        query = query.with_for_update()
    totals = session.scalars(query.execution_options(populate_existing=True)).one()
    return totals


def _week_invoice(session: Session, contract_id: int, week: datetime) -> Invoice | None:
    return session.scalar(
        select(Invoice).where(
            Invoice.contract_id == contract_id,
            Invoice.week_start == week,
            Invoice.kind == InvoiceKind.WEEKLY,
        )
    )


def _check_week_open(session: Session, contract_id: int, week: datetime) -> None:
    invoice = _week_invoice(session, contract_id, week)
    if invoice is not None and invoice.status != InvoiceStatus.DRAFT:
        raise Conflict("week locked")


def put_slot(
    session: Session,
    contract: Contract,
    slot_start: datetime,
    body: SlotBody,
    *,
    now: datetime,
    future_skew: timedelta,
) -> SlotOutcome:
    """Store a slot; the same body again changes nothing; a different one is a 409."""
    refused = refusal(slot_start, body, _terms(contract), now=now, future_skew=future_skew)
    if refused is not None:
        raise _refuse(*refused)
    slot_start = as_utc(slot_start)
    week = week_start(slot_start)
    totals = lock_week_totals(session, contract.id, week)
    fingerprint = body.fingerprint()
    held = session.scalar(
        select(Slot).where(Slot.contract_id == contract.id, Slot.slot_start == slot_start)
    )
    if held is not None:
        if held.deleted_at is not None:
            raise Conflict("slot was deleted; a deleted slot cannot be synced again")
        if held.body_sha256 != fingerprint:
            raise Conflict(_difference(held, body))
        return SlotOutcome(held, False, totals.logged_minutes)
    _check_week_open(session, contract.id, week)
    cap = cap_for_week(session, contract.id, week)
    billable, over_limit = split_over_cap(body.minutes, totals.billable_minutes, cap)
    slot = Slot(
        contract_id=contract.id,
        slot_start=slot_start,
        week_start=week,
        minutes=body.minutes,
        active_minutes=body.active_minutes,
        activity=[list(pair) for pair in body.activity],
        memo=body.memo,
        manual=body.manual,
        shot_taken_at=body.shot_taken_at,
        shot_sha256=body.shot_sha256,
        shot_note=body.shot_note,
        shot_blob_key=None,
        over_limit_minutes=over_limit,
        body_sha256=fingerprint,
        received_at=now,
    )
    session.add(slot)
    totals.logged_minutes += body.minutes
    totals.billable_minutes += billable
    session.flush()
    if totals.closed:
        from billing.db.invoices import refresh_week_invoice

        refresh_week_invoice(session, contract, week, now=now)
    return SlotOutcome(slot, True, totals.logged_minutes)


def _difference(held: Slot, body: SlotBody) -> str:
    """Say what differs between the stored slot and a conflicting upload."""
    differences = []
    if held.minutes != body.minutes:
        differences.append(f"minutes {held.minutes} held, {body.minutes} sent")
    if held.memo != body.memo:
        differences.append("memo differs")
    if held.manual != body.manual:
        differences.append("manual flag differs")
    if held.shot_sha256 != body.shot_sha256:
        differences.append("shot sha256 differs")
    if [list(pair) for pair in body.activity] != held.activity:
        differences.append("activity counts differ")
    detail = "; ".join(differences) or "shot taken_at or note differs"
    return f"slot already held with a different body ({detail})"


def get_slot(session: Session, contract: Contract, slot_start: datetime) -> Slot:
    slot = session.scalar(
        select(Slot).where(
            Slot.contract_id == contract.id,
            Slot.slot_start == as_utc(slot_start),
            Slot.deleted_at.is_(None),
        )
    )
    if slot is None:
        raise NotFound("no such slot on this contract")
    return slot


def shot_key(slot: Slot) -> str:
    assert slot.shot_sha256 is not None
    return f"{slot.contract_id}/{slot.slot_start:%Y%m%dT%H%M}Z-{slot.shot_sha256[:16]}"


def put_shot(
    session: Session,
    blobs: BlobStore,
    contract: Contract,
    slot_start: datetime,
    image: bytes,
    *,
    max_bytes: int,
) -> tuple[Slot, bool]:
    """Store the slot's shot bytes; they must hash to the sha256 the slot announced."""
    slot = get_slot(session, contract, slot_start)
    if slot.shot_sha256 is None:
        raise Conflict("this slot was synced without a shot")
    if not image:
        raise Invalid("empty body: send the image bytes")
    if len(image) > max_bytes:
        raise Invalid(f"shot is larger than {max_bytes} bytes")
    digest = hashlib.sha256(image).hexdigest()
    if digest != slot.shot_sha256:
        raise Invalid(f"sha256 mismatch: the slot announced {slot.shot_sha256}, got {digest}")
    if slot.shot_blob_key is not None and blobs.exists(slot.shot_blob_key):
        return slot, False
    key = shot_key(slot)
    blobs.put(key, image)
    slot.shot_blob_key = key
    session.flush()
    return slot, True


def delete_slot(
    session: Session, contract: Contract, slot_start: datetime, *, actor: User, now: datetime
) -> str | None:
    """Unbill a synced slot before its week locks; returns the blob key to remove.

    The row stays (marked deleted) with an audit record; the caller removes the blob
    after the transaction commits.
    """
    slot_start = as_utc(slot_start)
    week = week_start(slot_start)
    if not WeekTimeline(week).accepts_slot_changes(now):
        raise Conflict("week locked")
    totals = lock_week_totals(session, contract.id, week)
    slot = session.scalar(
        select(Slot).where(Slot.contract_id == contract.id, Slot.slot_start == slot_start)
    )
    if slot is None:
        raise NotFound("no such slot on this contract")
    if slot.deleted_at is not None:
        return None
    _check_week_open(session, contract.id, week)
    blob_key = slot.shot_blob_key
    slot.deleted_at = now
    slot.deleted_by_id = actor.id
    slot.shot_blob_key = None
    session.add(
        AuditRecord(
            at=now,
            actor_id=actor.id,
            action="slot_deleted",
            contract_id=contract.id,
            subject=f"slot {slot_start.isoformat()}",
            detail={"minutes": slot.minutes, "had_shot": blob_key is not None},
        )
    )
    session.flush()
    recompute_week(session, contract, week, totals=totals)
    if totals.closed:
        from billing.db.invoices import refresh_week_invoice

        refresh_week_invoice(session, contract, week, now=now)
    return blob_key


def recompute_week(
    session: Session, contract: Contract, week: datetime, totals: ContractWeek | None = None
) -> None:
    """Re-split the week's minutes over the cap (slots in arrival order) and re-total."""
    totals = totals or lock_week_totals(session, contract.id, week)
    slots = list(
        session.scalars(
            select(Slot)
            .where(
                Slot.contract_id == contract.id,
                Slot.week_start == week,
                Slot.deleted_at.is_(None),
            )
            .order_by(Slot.id)
        )
    )
    cap = cap_for_week(session, contract.id, week)
    over = allocate_cap([slot.minutes for slot in slots], cap)
    for slot, over_limit in zip(slots, over, strict=True):
        if slot.over_limit_minutes != over_limit:
            slot.over_limit_minutes = over_limit
    totals.logged_minutes = sum(slot.minutes for slot in slots)
    totals.billable_minutes = totals.logged_minutes - sum(over)
    session.flush()


def diary(
    session: Session, contract: Contract, start: datetime, end: datetime
) -> list[tuple[Slot, int | None]]:
    """Undeleted slots in ``[start, end)`` with the id of the dispute each is under."""
    rows = session.execute(
        select(Slot, DisputeSlot.dispute_id)
        .outerjoin(DisputeSlot, DisputeSlot.slot_id == Slot.id)
        .where(
            Slot.contract_id == contract.id,
            Slot.slot_start >= start,
            Slot.slot_start < end,
            Slot.deleted_at.is_(None),
        )
        .order_by(Slot.slot_start)
    )
    return [(row[0], row[1]) for row in rows]
