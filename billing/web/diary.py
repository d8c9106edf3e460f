"""The work diary of one contract: a day of slots, the week strip, review and deletion.

Everything billed, disputed or refused is decided by ``billing.services.hourly``; this
module picks the day in the viewer's zone, asks ``billing.services.hourly_reads`` for
what to show, and lays the answer out.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, HTTPException, Query, Response

from billing.api.deps import BlobsDep, ClockDep, SessionDep
from billing.db.models import ContractKind, Role
from billing.domain.weeks import week_start
from billing.services import hourly, hourly_reads
from billing.services.hourly_reads import DiaryRange
from billing.web import cap_preview
from billing.web.confirm import Confirmed, confirm_page, is_confirmed
from billing.web.deps import (
    CsrfChecked,
    PageDep,
    SecretDep,
    Viewer,
    ViewerDep,
    WebContract,
    load_contract,
)
from billing.web.diary_grid import (
    Gap,
    build_day,
    local_day_bounds,
    minutes_per_local_day,
    trust_of,
)
from billing.web.formatting import calendar_date_text, cap_text, count_text, duration_text
from billing.web.render import redirect, safe_next
from billing.web.route import WebRoute

router = APIRouter(route_class=WebRoute)


def _parse_day(text: str | None, zone: ZoneInfo, now: datetime) -> date:
    if not text:
        return now.astimezone(zone).date()
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise HTTPException(422, detail=f"not a date (YYYY-MM-DD): {text!r}") from error


def _selectable(access: WebContract, shown: DiaryRange) -> frozenset[int]:
    """The slots the viewer may tick: the client disputes in review, the freelancer
    deletes until the lock."""
    selectable: set[int] = set()
    for slot, dispute_id in shown.live:
        review = shown.reviews.get(slot.week_start)
        if review is None:
            continue
        if access.role == Role.CLIENT and review.in_review and dispute_id is None:
            selectable.add(slot.id)
        if access.role == Role.FREELANCER and review.open_for_changes:
            selectable.add(slot.id)
    return frozenset(selectable)


@router.get("/contracts/{contract_id}/diary", include_in_schema=False)
def diary_page(
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    page: PageDep,
    day: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    zone = page.zone.zone
    access = load_contract(session, page.viewer, contract_id)
    contract = access.contract
    if contract.kind != ContractKind.HOURLY:
        return redirect(f"/web/contracts/{contract.id}/milestones", secret=page.secret)
    now = clock.now()
    shown_day = _parse_day(day, zone, now)
    monday = shown_day - timedelta(days=shown_day.weekday())
    week_days = [monday + timedelta(days=offset) for offset in range(7)]
    range_start, _ = local_day_bounds(week_days[0], zone)
    _, range_end = local_day_bounds(week_days[-1], zone)
    day_start, day_end = local_day_bounds(shown_day, zone)
    weeks = {week_start(day_start), week_start(day_end - timedelta(microseconds=1))}
    shown = hourly_reads.diary_range(session, contract, range_start, range_end, weeks, now)
    selectable = _selectable(access, shown)
    disputed_ids = frozenset(slot.id for slot, dispute_id in shown.live if dispute_id is not None)
    all_slots = [slot for slot, _ in shown.live] + shown.deleted
    gaps = [Gap(start, reason) for start, reason in shown.gaps]
    hour_rows, totals = build_day(all_slots, shown_day, zone, disputed_ids, selectable, gaps)
    per_day = minutes_per_local_day(all_slots, week_days, zone)
    return page.render(
        "diary.html",
        nav="contracts",
        contract=contract,
        role=access.role.value,
        shown_day=shown_day,
        today=now.astimezone(zone).date(),
        week_days=week_days,
        per_day=per_day,
        week_minutes=sum(per_day.values()),
        hour_rows=hour_rows,
        totals=totals,
        trust=trust_of(all_slots, gaps),
        reviews=list(shown.reviews.values()),
        selectable=bool(selectable),
        cap_minutes=shown.cap_minutes,
        next_cap_minutes=shown.next_cap_minutes,
        billing_week=hourly_reads.billing_week(session, contract, week_start(day_start)),
        billing_week_start=week_start(day_start),
        timedelta=timedelta,
    )


@router.post(
    "/contracts/{contract_id}/disputes", include_in_schema=False, dependencies=[CsrfChecked]
)
def dispute_slots(
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    reason: Annotated[str, Form(max_length=4000)] = "",
    slot: Annotated[list[int], Form()] = [],  # noqa: B006 — FastAPI copies defaults
    day: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    access = _ticked(session, viewer, contract_id, Role.CLIENT, slot, "dispute")
    if not reason.strip():
        raise HTTPException(422, detail="Say why you dispute these slots.")
    starts = hourly_reads.selected_starts(session, access.contract, slot)
    dispute = hourly.open_dispute(
        session, access.contract, viewer.user, starts, reason.strip(), now=clock.now()
    )
    minutes = dispute.disputed_minutes
    return _to_day(
        contract_id,
        day,
        f"Disputed {count_text(len(starts), 'slot')}, {duration_text(minutes)} — taken "
        "out of the invoice until an admin resolves the dispute.",
        secret,
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
    access = _ticked(session, viewer, contract_id, Role.FREELANCER, slot, "delete")
    starts = hourly_reads.selected_starts(session, access.contract, slot)
    hourly.delete_slots(session, blobs, access.contract, starts, actor=viewer.user, now=clock.now())
    deleted = f"Deleted {count_text(len(starts), 'slot')}; their time is not billed."
    return _to_day(contract_id, day, deleted, secret)


def _ticked(
    session: SessionDep,
    viewer: Viewer,
    contract_id: int,
    role: Role,
    slot_ids: list[int],
    doing: str,
) -> WebContract:
    """The contract, for ``role`` only, once the form ticked at least one slot on it."""
    access = load_contract(session, viewer, contract_id, role)
    if not slot_ids:
        raise HTTPException(422, detail=f"Tick at least one slot to {doing}.")
    return access


def _to_day(contract_id: int, day: str, flash: str, secret: bytes) -> Response:
    """Back to the diary on the day the form was posted from (today's when none)."""
    url = f"/web/contracts/{contract_id}/diary"
    response: Response = redirect(f"{url}?day={day}" if day else url, flash=flash, secret=secret)
    return response


def _cap_from_form(text: str) -> int | None:
    if text.strip() == "":
        return None
    try:
        hours = int(text.strip())
    except ValueError as error:
        raise HTTPException(422, detail="Weekly cap: whole hours, 1 to 168.") from error
    if not 1 <= hours <= 168:
        raise HTTPException(422, detail="Weekly cap: whole hours, 1 to 168.")
    return hours * 60


@router.post("/contracts/{contract_id}/cap", include_in_schema=False, dependencies=[CsrfChecked])
def change_cap(
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    page: PageDep,
    cap_hours: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
    confirmed: Confirmed = "",
) -> Response:
    access = load_contract(session, page.viewer, contract_id, Role.CLIENT)
    new_cap = _cap_from_form(cap_hours)
    now = clock.now()
    back = safe_next(next, f"/web/contracts/{contract_id}/diary")
    if not is_confirmed(confirmed):
        asked = cap_preview.preview(
            hourly_reads.contract_view(session, access.contract, now), new_cap, now
        )
        fields = {"cap_hours": cap_hours.strip(), "next": back}
        return confirm_page(page, asked, back=back, fields=fields)
    user = page.viewer.user
    effective = hourly.change_cap(session, access.contract, new_cap, actor=user, now=now)
    what = "No weekly cap" if new_cap is None else f"Weekly cap {cap_text(new_cap)}"
    when = (
        "in force now"
        if effective <= now
        else f"from the week starting {calendar_date_text(effective.date())} "
        "(a cut never takes back hours already worked)"
    )
    return redirect(
        back,
        flash=f"{what}, {when}. The freelancer's tracker picks it up at its next sync.",
        secret=page.secret,
    )


@router.post(
    "/contracts/{contract_id}/settings", include_in_schema=False, dependencies=[CsrfChecked]
)
def change_settings(
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    page: PageDep,
    screenshots_enabled: Annotated[str, Form(max_length=3)] = "",
    blur_screenshots: Annotated[str, Form(max_length=3)] = "",
    manual_time_allowed: Annotated[str, Form(max_length=3)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Client: the tracking settings; an unticked box is not sent, so it means off."""
    access = load_contract(session, page.viewer, contract_id, Role.CLIENT)
    chosen = {
        "screenshots_enabled": screenshots_enabled == "yes",
        "blur_screenshots": blur_screenshots == "yes",
        "manual_time_allowed": manual_time_allowed == "yes",
    }
    change = hourly.TermsChange(settings=chosen)
    hourly.change_terms(session, access.contract, change, actor=page.viewer.user, now=clock.now())
    said = ", ".join(
        f"{label} {'on' if chosen[name] else 'off'}" for name, label in SETTING_LABELS.items()
    )
    return redirect(
        safe_next(next, f"/web/contracts/{contract_id}/diary"),
        flash=f"Settings saved: {said}. The freelancer's app applies them at its next refresh.",
        secret=page.secret,
    )


SETTING_LABELS = {
    "screenshots_enabled": "screenshots",
    "blur_screenshots": "blurred screenshots",
    "manual_time_allowed": "manual time",
}
