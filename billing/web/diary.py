"""The work diary of one contract: a day of slots, the week strip, review and deletion.

Everything billed, disputed or refused is decided by ``billing.db`` (slots, disputes,
invoices, contracts); this module picks the day in the viewer's zone, asks those
services, and lays the answer out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.api.deps import BlobsDep, ClockDep, SessionDep
from billing.db import contracts as contracts_db
from billing.db import disputes as disputes_db
from billing.db import invoices as invoices_db
from billing.db import slots as slots_db
from billing.db.models import ContractKind, Invoice, InvoiceLine, InvoiceStatus, Role, Slot
from billing.domain.weeks import WeekTimeline, week_start
from billing.web.deps import (
    CsrfChecked,
    SecretDep,
    ViewerDep,
    WebContract,
    ZoneDep,
    load_contract,
    render_page,
)
from billing.web.diary_grid import build_day, local_day_bounds, minutes_per_local_day
from billing.web.formatting import zone_names
from billing.web.render import redirect, safe_next
from billing.web.route import WebRoute

router = APIRouter(route_class=WebRoute)

MAX_SLOTS_PER_FORM = 7 * 24 * 6


@dataclass(frozen=True)
class WeekReview:
    """One billing week touched by the shown day: its timeline and invoice, if any."""

    week_start: datetime
    timeline: WeekTimeline
    invoice: Invoice | None
    lines: list[InvoiceLine]
    in_review: bool
    open_for_changes: bool


def _parse_day(text: str | None, zone: ZoneInfo, now: datetime) -> date:
    if not text:
        return now.astimezone(zone).date()
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise HTTPException(422, detail=f"not a date (YYYY-MM-DD): {text!r}") from error


def _deleted_slots(
    session: Session, contract_id: int, start: datetime, end: datetime
) -> list[Slot]:
    """Deleted slots in ``[start, end)``: the diary shows them struck out (audit trail).

    ``billing.db.slots.diary`` returns only live slots; this read adds the rest.
    """
    return list(
        session.scalars(
            select(Slot).where(
                Slot.contract_id == contract_id,
                Slot.slot_start >= start,
                Slot.slot_start < end,
                Slot.deleted_at.is_not(None),
            )
        )
    )


def _week_review(
    session: Session, access: WebContract, week: datetime, now: datetime
) -> WeekReview:
    timeline = WeekTimeline(week)
    invoice = invoices_db.week_invoice(session, access.contract.id, week)
    lines = invoices_db.lines_of(session, invoice.id) if invoice is not None else []
    return WeekReview(
        week_start=week,
        timeline=timeline,
        invoice=invoice,
        lines=lines,
        in_review=invoice is not None
        and invoice.status == InvoiceStatus.ISSUED
        and timeline.in_review(now),
        open_for_changes=timeline.accepts_slot_changes(now)
        and (invoice is None or invoice.status == InvoiceStatus.DRAFT),
    )


@router.get("/contracts/{contract_id}/diary", include_in_schema=False)
def diary_page(
    request: Request,
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    zone: ZoneDep,
    day: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    access = load_contract(session, viewer, contract_id)
    contract = access.contract
    if contract.kind != ContractKind.HOURLY:
        return redirect(f"/web/contracts/{contract.id}/milestones", secret=secret)
    now = clock.now()
    shown_day = _parse_day(day, zone.zone, now)
    monday = shown_day - timedelta(days=shown_day.weekday())
    week_days = [monday + timedelta(days=offset) for offset in range(7)]
    range_start, _ = local_day_bounds(week_days[0], zone.zone)
    _, range_end = local_day_bounds(week_days[-1], zone.zone)

    live = slots_db.diary(session, contract, range_start, range_end)
    deleted = _deleted_slots(session, contract.id, range_start, range_end)
    disputed_ids = frozenset(slot.id for slot, dispute_id in live if dispute_id is not None)

    day_start, day_end = local_day_bounds(shown_day, zone.zone)
    weeks = sorted({week_start(day_start), week_start(day_end - timedelta(microseconds=1))})
    reviews = {week: _week_review(session, access, week, now) for week in weeks}

    selectable: set[int] = set()
    for slot, dispute_id in live:
        review = reviews.get(slot.week_start)
        if review is None:
            continue
        if access.role == Role.CLIENT and review.in_review and dispute_id is None:
            selectable.add(slot.id)
        if access.role == Role.FREELANCER and review.open_for_changes:
            selectable.add(slot.id)

    all_slots = [slot for slot, _ in live] + deleted
    hour_rows, totals = build_day(
        all_slots, shown_day, zone.zone, disputed_ids, frozenset(selectable)
    )
    per_day = minutes_per_local_day(all_slots, week_days, zone.zone)
    this_week = week_start(now)
    return render_page(
        request,
        "diary.html",
        viewer=viewer,
        zone=zone,
        secret=secret,
        nav="contracts",
        contract=contract,
        role=access.role.value,
        shown_day=shown_day,
        today=now.astimezone(zone.zone).date(),
        week_days=week_days,
        per_day=per_day,
        week_minutes=sum(per_day.values()),
        hour_rows=hour_rows,
        totals=totals,
        reviews=list(reviews.values()),
        selectable=bool(selectable),
        cap_minutes=contracts_db.cap_for_week(session, contract.id, this_week),
        next_cap_minutes=contracts_db.cap_for_week(
            session, contract.id, this_week + timedelta(days=7)
        ),
        billing_week=contracts_db.week_totals(session, contract.id, week_start(day_start)),
        billing_week_start=week_start(day_start),
        zone_names=_zone_choices(zone.zone),
        timedelta=timedelta,
    )


def _zone_choices(current: ZoneInfo) -> list[str]:
    names = zone_names()
    return names if current.key in names else [current.key, *names]


def _slot_starts(session: Session, contract_id: int, slot_ids: list[int]) -> list[datetime]:
    """The starts of the chosen slots, which must all be on this contract."""
    if not slot_ids:
        raise HTTPException(422, detail="Select at least one slot.")
    if len(slot_ids) > MAX_SLOTS_PER_FORM:
        raise HTTPException(422, detail="Too many slots in one request.")
    rows = list(
        session.execute(
            select(Slot.id, Slot.slot_start).where(
                Slot.contract_id == contract_id, Slot.id.in_(slot_ids)
            )
        )
    )
    if len(rows) != len(set(slot_ids)):
        raise HTTPException(404, detail="Some of the selected slots are not on this contract.")
    return [row[1] for row in rows]


@router.post(
    "/contracts/{contract_id}/disputes", include_in_schema=False, dependencies=[CsrfChecked]
)
def dispute_slots(
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    reason: Annotated[str, Form(min_length=1, max_length=4000)],
    slot: Annotated[list[int], Form()] = [],  # noqa: B006 — FastAPI copies defaults
    day: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    access = load_contract(session, viewer, contract_id, Role.CLIENT)
    starts = _slot_starts(session, contract_id, slot)
    if not reason.strip():
        raise HTTPException(422, detail="Say why you dispute these slots.")
    dispute = disputes_db.open_dispute(
        session, access.contract, viewer.user, starts, reason.strip(), now=clock.now()
    )
    session.commit()
    minutes = dispute.disputed_minutes
    return redirect(
        f"/web/contracts/{contract_id}/diary?day={day}"
        if day
        else f"/web/contracts/{contract_id}/diary",
        flash=f"Disputed {len(starts)} slot(s), {minutes} min — taken out of the invoice "
        "until an admin resolves the dispute.",
        secret=secret,
    )


@router.post(
    "/contracts/{contract_id}/slots/delete", include_in_schema=False, dependencies=[CsrfChecked]
)
def delete_slots(
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    blobs: BlobsDep,
    viewer: ViewerDep,
    secret: SecretDep,
    slot: Annotated[list[int], Form()] = [],  # noqa: B006
    day: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    access = load_contract(session, viewer, contract_id, Role.FREELANCER)
    starts = _slot_starts(session, contract_id, slot)
    now = clock.now()
    blob_keys = [
        slots_db.delete_slot(session, access.contract, start, actor=viewer.user, now=now)
        for start in starts
    ]
    session.commit()
    # blobs go only after the deletion is committed (a rollback keeps the shot)
    for key in blob_keys:
        if key is not None:
            blobs.delete(key)
    return redirect(
        f"/web/contracts/{contract_id}/diary?day={day}"
        if day
        else f"/web/contracts/{contract_id}/diary",
        flash=f"Deleted {len(starts)} slot(s); their time is not billed.",
        secret=secret,
    )


@router.post("/contracts/{contract_id}/cap", include_in_schema=False, dependencies=[CsrfChecked])
def change_cap(
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    cap_hours: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    access = load_contract(session, viewer, contract_id, Role.CLIENT)
    text = cap_hours.strip()
    if text == "":
        new_cap = None
    else:
        try:
            hours = int(text)
        except ValueError as error:
            raise HTTPException(422, detail="Weekly cap: whole hours, 1 to 168.") from error
        if not 1 <= hours <= 168:
            raise HTTPException(422, detail="Weekly cap: whole hours, 1 to 168.")
        new_cap = hours * 60
    now = clock.now()
    effective = contracts_db.change_cap(
        session, access.contract, new_cap, actor=viewer.user, now=now
    )
    session.commit()
    what = "No weekly cap" if new_cap is None else f"Weekly cap {new_cap // 60} h"
    when = (
        "in force now"
        if effective <= now
        else f"from the week starting {effective:%a %d %b %Y} "
        "(a cut never takes back hours already worked)"
    )
    return redirect(
        safe_next(next, f"/web/contracts/{contract_id}/diary"),
        flash=f"{what}, {when}. The freelancer's tracker picks it up at its next sync.",
        secret=secret,
    )
