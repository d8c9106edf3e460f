"""Slot ingest, shots, deletion and the diary (the wire contract of ARCHITECTURE.md).

Each function works inside the caller's transaction; the API commits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
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
from billing.db.slot_partitions import in_week
from billing.domain.slots import ContractTerms, SlotBody, refusal
from billing.domain.weeks import WeekTimeline, allocate_cap, as_utc, split_over_cap, week_start


@dataclass(frozen=True)
class StoredSlot:
    """What ingest tells the caller about the slot it holds."""

    slot_start: datetime
    over_limit_minutes: int
    shot_sha256: str | None
    shot_blob_key: str | None


@dataclass(frozen=True)
class SlotOutcome:
    slot: StoredSlot
    created: bool
    week_logged_minutes: int


@dataclass(frozen=True)
class _Totals:
    logged_minutes: int
    billable_minutes: int
    closed: bool


def _terms(contract: Contract) -> ContractTerms:
    return ContractTerms(
        is_hourly=contract.kind == ContractKind.HOURLY,
        screenshots_enabled=contract.screenshots_enabled,
        manual_time_allowed=contract.manual_time_allowed,
        ended_at=contract.ended_at,
    )


def _refuse(status: int, reason: str) -> ServiceError:
    return Conflict(reason) if status == 409 else Invalid(reason)


def _touch_totals(session: Session, contract_id: int, week: datetime) -> _Totals:
    """Create-or-lock the week's totals row in one statement and read it.

    ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: on PostgreSQL the update takes the
    row lock, which serialises every change to one contract's week across servers;
    SQLite's ``BEGIN IMMEDIATE`` already serialises writers.
    """
    module = postgresql if is_postgres(session) else sqlite
    table = ContractWeek.__table__
    statement = (
        module.insert(table)
        .values(
            contract_id=contract_id,
            week_start=week,
            logged_minutes=0,
            billable_minutes=0,
            closed=False,
        )
        .on_conflict_do_update(
            index_elements=[table.c.contract_id, table.c.week_start],
            set_={"logged_minutes": table.c.logged_minutes},
        )
        .returning(table.c.logged_minutes, table.c.billable_minutes, table.c.closed)
    )
    row = session.execute(statement).one()
    return _Totals(int(row[0]), int(row[1]), bool(row[2]))


def lock_week_totals(session: Session, contract_id: int, week: datetime) -> ContractWeek:
    """The contract's running totals for ``week`` (ORM row), created if needed, locked."""
    _touch_totals(session, contract_id, week)
    totals = session.scalars(
        select(ContractWeek)
        .where(ContractWeek.contract_id == contract_id, ContractWeek.week_start == week)
        .execution_options(populate_existing=True)
    ).one()
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


_HELD_COLUMNS = (
    Slot.id,
    Slot.body_sha256,
    Slot.deleted_at,
    Slot.over_limit_minutes,
    Slot.shot_sha256,
    Slot.shot_blob_key,
)


def put_slot(
    session: Session,
    contract: Contract,
    slot_start: datetime,
    body: SlotBody,
    *,
    now: datetime,
    future_skew: timedelta,
) -> SlotOutcome:
    """Store a slot; the same body again changes nothing; a different one is a 409.

    The hot path of the server, so it speaks SQL directly: lock the week's totals, look
    for a held slot, insert, add to the totals — four statements.
    """
    refused = refusal(slot_start, body, _terms(contract), now=now, future_skew=future_skew)
    if refused is not None:
        replay = _held_replay(session, contract, slot_start, body) if refused[0] == 409 else None
        if replay is None:
            raise _refuse(*refused)
        return replay
    slot_start = as_utc(slot_start)
    week = week_start(slot_start)
    totals = _touch_totals(session, contract.id, week)
    fingerprint = body.fingerprint()
    held = session.execute(
        select(*_HELD_COLUMNS).where(Slot.contract_id == contract.id, Slot.slot_start == slot_start)
    ).first()
    if held is not None:
        if held.deleted_at is not None:
            raise Conflict("slot was deleted; a deleted slot cannot be synced again")
        if held.body_sha256 != fingerprint:
            existing = session.get(Slot, held.id)
            assert existing is not None
            raise Conflict(_difference(existing, body))
        stored = StoredSlot(
            slot_start, held.over_limit_minutes, held.shot_sha256, held.shot_blob_key
        )
        return SlotOutcome(stored, False, totals.logged_minutes)
    if totals.closed:
        _check_week_open(session, contract.id, week)
    cap = cap_for_week(session, contract.id, week)
    billable, over_limit = split_over_cap(body.minutes, totals.billable_minutes, cap)
    session.execute(
        insert(Slot).values(
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
    )
    session.execute(
        update(ContractWeek)
        .where(ContractWeek.contract_id == contract.id, ContractWeek.week_start == week)
        .values(
            logged_minutes=ContractWeek.logged_minutes + body.minutes,
            billable_minutes=ContractWeek.billable_minutes + billable,
        )
        .execution_options(synchronize_session=False)
    )
    if totals.closed:
        from billing.db.invoices import refresh_week_invoice

        refresh_week_invoice(session, contract, week, now=now)
    stored = StoredSlot(slot_start, over_limit, body.shot_sha256, None)
    return SlotOutcome(stored, True, totals.logged_minutes + body.minutes)


def _held_replay(
    session: Session, contract: Contract, slot_start: datetime, body: SlotBody
) -> SlotOutcome | None:
    """A resend of a slot already held with this very body: 200 even once the week is
    locked or the contract ended (the tracker lost the first answer, not the slot)."""
    start = as_utc(slot_start)
    held = session.execute(
        select(*_HELD_COLUMNS).where(Slot.contract_id == contract.id, Slot.slot_start == start)
    ).first()
    if held is None or held.deleted_at is not None or held.body_sha256 != body.fingerprint():
        return None
    totals = session.get(ContractWeek, (contract.id, week_start(start)))
    stored = StoredSlot(start, held.over_limit_minutes, held.shot_sha256, held.shot_blob_key)
    return SlotOutcome(stored, False, 0 if totals is None else totals.logged_minutes)


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
                *in_week(week),
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


@dataclass(frozen=True)
class BatchItemOutcome:
    """One slot of a batch: its HTTP-like status (201, 200, 409, 422) and why."""

    slot_start: datetime
    status: int
    detail: str | None = None
    slot: StoredSlot | None = None


def put_slots(
    session: Session,
    contract: Contract,
    items: list[tuple[datetime, SlotBody]],
    *,
    now: datetime,
    future_skew: timedelta,
) -> list[BatchItemOutcome]:
    """Store many slots of one contract in one transaction, with the rules of
    :func:`put_slot` applied to each (a refused slot does not stop the others).

    Set-wise SQL: one lock per week touched, one look-up of held slots, one multi-row
    insert, one totals update per week — the per-slot cost is a small fraction of a PUT.
    """
    outcomes: dict[int, BatchItemOutcome] = {}
    valid: list[tuple[int, datetime, SlotBody]] = []
    seen: set[datetime] = set()
    for index, (raw_start, body) in enumerate(items):
        refused = refusal(raw_start, body, _terms(contract), now=now, future_skew=future_skew)
        start = as_utc(raw_start)
        replay = None
        if refused is not None and refused[0] == 409:
            replay = _held_replay(session, contract, raw_start, body)
        if replay is not None:
            outcomes[index] = BatchItemOutcome(start, 200, None, replay.slot)
        elif refused is not None:
            outcomes[index] = BatchItemOutcome(start, refused[0], refused[1])
        elif start in seen:
            outcomes[index] = BatchItemOutcome(start, 422, "slot_start sent twice in this batch")
        else:
            seen.add(start)
            valid.append((index, start, body))
    weeks = sorted({week_start(start) for _, start, _ in valid})
    totals = {week: _touch_totals(session, contract.id, week) for week in weeks}  # in order
    held = (
        {
            row.slot_start: row
            for row in session.execute(
                select(Slot.slot_start, *_HELD_COLUMNS).where(
                    Slot.contract_id == contract.id, Slot.slot_start.in_([s for _, s, _ in valid])
                )
            )
        }
        if valid
        else {}
    )
    billable_so_far = {week: totals[week].billable_minutes for week in weeks}
    added_logged = dict.fromkeys(weeks, 0)
    caps: dict[datetime, int | None] = {}
    locked_weeks: set[datetime] = set()
    rows: list[dict[str, object]] = []
    for index, start, body in valid:
        week = week_start(start)
        fingerprint = body.fingerprint()
        row = held.get(start)
        if row is not None:
            if row.deleted_at is not None:
                outcomes[index] = BatchItemOutcome(start, 409, "slot was deleted")
            elif row.body_sha256 != fingerprint:
                existing = session.get(Slot, row.id)
                assert existing is not None
                outcomes[index] = BatchItemOutcome(start, 409, _difference(existing, body))
            else:
                stored = StoredSlot(
                    start, row.over_limit_minutes, row.shot_sha256, row.shot_blob_key
                )
                outcomes[index] = BatchItemOutcome(start, 200, None, stored)
            continue
        if totals[week].closed and week not in caps:
            invoice = _week_invoice(session, contract.id, week)
            if invoice is not None and invoice.status != InvoiceStatus.DRAFT:
                locked_weeks.add(week)
        if week in locked_weeks:
            outcomes[index] = BatchItemOutcome(start, 409, "week locked")
            continue
        if week not in caps:
            caps[week] = cap_for_week(session, contract.id, week)
        billable, over_limit = split_over_cap(body.minutes, billable_so_far[week], caps[week])
        billable_so_far[week] += billable
        added_logged[week] += body.minutes
        rows.append(
            {
                "contract_id": contract.id,
                "slot_start": start,
                "week_start": week,
                "minutes": body.minutes,
                "active_minutes": body.active_minutes,
                "activity": [list(pair) for pair in body.activity],
                "memo": body.memo,
                "manual": body.manual,
                "shot_taken_at": body.shot_taken_at,
                "shot_sha256": body.shot_sha256,
                "shot_note": body.shot_note,
                "shot_blob_key": None,
                "over_limit_minutes": over_limit,
                "body_sha256": fingerprint,
                "received_at": now,
            }
        )
        outcomes[index] = BatchItemOutcome(
            start, 201, None, StoredSlot(start, over_limit, body.shot_sha256, None)
        )
    if rows:
        session.execute(insert(Slot), rows)
        for week in weeks:
            if added_logged[week]:
                session.execute(
                    update(ContractWeek)
                    .where(ContractWeek.contract_id == contract.id, ContractWeek.week_start == week)
                    .values(
                        logged_minutes=ContractWeek.logged_minutes + added_logged[week],
                        billable_minutes=billable_so_far[week],
                    )
                    .execution_options(synchronize_session=False)
                )
                if totals[week].closed:
                    from billing.db.invoices import refresh_week_invoice

                    refresh_week_invoice(session, contract, week, now=now)
    return [outcomes[index] for index in range(len(items))]
