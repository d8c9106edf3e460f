"""Lay a day of synced slots out as the diary shows it: local hours × six 10-minute cells.

Presentation only: which slot is billed, disputed or over the cap is decided by the
backend and arrives here as fields of the slot rows; this module only places them in
the viewer's time zone and names their markers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from billing.domain.diary_trust import DiaryTrust, late_by
from billing.domain.retention import RETENTION_SHOT_NOTE, RETENTION_SHOT_TEXT
from billing.web.formatting import duration_text

CELLS_PER_HOUR = 6
# why a slot has no shot, as the tracker reported it (billing.api.schemas.ShotNote)
SHOT_NOTES = {
    "stopped_before_shot": "no shot: stopped first",
    "capture_unavailable": "capture unavailable",
    "screenshots_off": "screenshots off",
    RETENTION_SHOT_NOTE: RETENTION_SHOT_TEXT,  # set by the server, not the tracker
}
SLOT_MINUTES = 10
# how the tracker took the shot and counted activity (the tracker's capture_choice)
CAPTURE_SOURCES = {"x11": "X11 grab", "portal": "Wayland portal"}
ACTIVITY_SOURCES = {"input-counts": "input counts", "idle-watch": "desktop idle time"}


class SlotRow(Protocol):
    """The fields of a stored slot the diary reads (``billing.db.models.Slot``)."""

    id: int
    slot_start: datetime
    minutes: int
    active_minutes: int
    activity: list[list[int]]
    memo: str
    manual: bool
    shot_sha256: str | None
    shot_note: str | None
    shot_blob_key: str | None
    clock_jump: bool
    capture_source: str | None
    activity_source: str | None
    over_limit_minutes: int
    deleted_at: datetime | None
    verified: bool
    received_at: datetime


@dataclass(frozen=True)
class Gap:
    """A declared gap of the signed diary: the tracker lost the slot at ``slot_start``."""

    slot_start: datetime
    reason: str


@dataclass(frozen=True)
class Cell:
    """One 10-minute cell of an hour row; ``slot`` is ``None`` for untracked time."""

    local_start: datetime
    slot_id: int | None = None
    minutes: int = 0
    active_minutes: int = 0
    # one entry per minute of the cell: "on" (active), "idle" (tracked, no input), "" (not tracked)
    activity_bar: tuple[str, ...] = ()
    memo: str = ""
    has_shot: bool = False
    shot_note: str = ""
    markers: tuple[tuple[str, str], ...] = ()  # (text, tone) pairs
    clock_jump: bool = False  # the tracker's clock jumped in the slot (a signal, billed as is)
    source_note: str = ""  # how the shot was taken and activity counted; "" if not reported
    disputed: bool = False
    deleted: bool = False
    over_limit: bool = False
    selectable: bool = False  # the viewer may tick it (dispute, delete)
    verified: bool = False  # came with a device-signed entry that verified
    late_note: str = ""  # "synced 2 d late": the capture-to-upload delay, a signal
    gap_reason: str = ""  # an untracked cell the signed diary declares lost

    @property
    def label(self) -> str:
        return self.local_start.strftime("%H:%M")


@dataclass
class HourRow:
    local_hour: datetime
    cells: list[Cell] = field(default_factory=list)
    tracked_minutes: int = 0


@dataclass(frozen=True)
class DayTotals:
    tracked_minutes: int
    billable_minutes: int
    over_limit_minutes: int
    disputed_minutes: int
    manual_minutes: int


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where ``day`` starts and ends in ``zone`` (DST days are 23/25 h)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def activity_bar(slot: SlotRow) -> tuple[str, ...]:
    """Ten segments: the tracked minutes as active/idle, the rest of the slot empty."""
    segments = ["on" if sum(counts) > 0 else "idle" for counts in slot.activity[:SLOT_MINUTES]]
    if not slot.activity and not slot.manual:
        # no per-minute counts: show the totals in order (active first)
        segments = ["on"] * slot.active_minutes + ["idle"] * (slot.minutes - slot.active_minutes)
    if slot.manual:
        segments = ["idle"] * slot.minutes
    segments = segments[:SLOT_MINUTES]
    return tuple(segments + [""] * (SLOT_MINUTES - len(segments)))


def _markers(slot: SlotRow, disputed: bool) -> tuple[tuple[str, str], ...]:
    markers: list[tuple[str, str]] = []
    if slot.deleted_at is not None:
        markers.append(("deleted", "bad"))
    if disputed:
        markers.append(("disputed", "bad"))
    if slot.manual:
        markers.append(("manual · not protected", "warn"))
    if slot.over_limit_minutes > 0:
        markers.append((f"over limit {duration_text(slot.over_limit_minutes)}", "warn"))
    return tuple(markers)


def late_note(slot: SlotRow) -> str:
    """How late the slot reached the server, when it is late (``domain.diary_trust``)."""
    delay = late_by(slot.slot_start, slot.received_at)
    if delay is None:
        return ""
    hours = int(delay.total_seconds() // 3600)
    return f"synced {hours // 24} d late" if hours >= 48 else f"synced {hours} h late"


def trust_of(slots: Iterable[SlotRow], gaps: Sequence[Gap]) -> DiaryTrust:
    live = [slot for slot in slots if slot.deleted_at is None]
    return DiaryTrust(len(live), sum(1 for slot in live if slot.verified), len(gaps))


def build_day(
    slots: Iterable[SlotRow],
    day: date,
    zone: ZoneInfo,
    disputed_slot_ids: frozenset[int] = frozenset(),
    selectable_slot_ids: frozenset[int] = frozenset(),
    gaps: Sequence[Gap] = (),
) -> tuple[list[HourRow], DayTotals]:
    """Hour rows for the local ``day`` (only hours with tracked time or a declared gap)
    and the day's totals."""
    by_local_start: dict[datetime, SlotRow] = {}
    for slot in slots:
        local_start = slot.slot_start.astimezone(zone)
        if local_start.date() == day:
            by_local_start[local_start] = slot

    rows: dict[datetime, HourRow] = {}
    tracked = billable = over = disputed_total = manual = 0
    for local_start in sorted(by_local_start):
        slot = by_local_start[local_start]
        hour = local_start.replace(minute=0, second=0, microsecond=0)
        row = rows.setdefault(hour, HourRow(local_hour=hour))
        is_disputed = slot.id in disputed_slot_ids
        is_deleted = slot.deleted_at is not None
        cell = Cell(
            local_start=local_start,
            slot_id=slot.id,
            minutes=slot.minutes,
            active_minutes=slot.active_minutes,
            activity_bar=activity_bar(slot),
            memo=slot.memo,
            has_shot=slot.shot_blob_key is not None and not is_deleted,
            shot_note=SHOT_NOTES.get(slot.shot_note or "", "no shot"),
            markers=_markers(slot, is_disputed),
            clock_jump=slot.clock_jump,
            source_note=source_note(slot.capture_source, slot.activity_source),
            disputed=is_disputed,
            deleted=is_deleted,
            over_limit=slot.over_limit_minutes > 0,
            selectable=slot.id in selectable_slot_ids,
            verified=slot.verified,
            late_note=late_note(slot),
        )
        row.cells.append(cell)
        if not is_deleted:
            row.tracked_minutes += slot.minutes
            tracked += slot.minutes
            over += slot.over_limit_minutes
            if slot.manual:
                manual += slot.minutes
            if is_disputed:
                disputed_total += slot.minutes - slot.over_limit_minutes
            else:
                billable += slot.minutes - slot.over_limit_minutes

    _place_gaps(rows, gaps, day, zone, set(by_local_start))
    for row in rows.values():
        row.cells = _fill_hour(row)
    totals = DayTotals(tracked, billable, over, disputed_total, manual)
    return [rows[hour] for hour in sorted(rows)], totals


def _place_gaps(rows: dict[datetime, HourRow], gaps: Sequence[Gap], day: date,
                zone: ZoneInfo, taken: set[datetime]) -> None:
    """A cell with a break marker for each gap of ``day`` where no slot is held."""
    for gap in gaps:
        local_start = gap.slot_start.astimezone(zone)
        if local_start.date() != day or local_start in taken:
            continue
        hour = local_start.replace(minute=0, second=0, microsecond=0)
        row = rows.setdefault(hour, HourRow(local_hour=hour))
        row.cells.append(Cell(local_start=local_start, gap_reason=gap.reason))
    for row in rows.values():
        row.cells.sort(key=lambda cell: cell.local_start)


def source_note(capture_source: str | None, activity_source: str | None) -> str:
    """``Wayland portal · desktop idle time``; ``no capture (no screenshot portal)``."""
    parts = []
    if capture_source is not None:
        kind, _, reason = capture_source.partition(":")
        parts.append(CAPTURE_SOURCES.get(kind) or f"no capture ({reason.replace('-', ' ')})")
    if activity_source is not None:
        parts.append(ACTIVITY_SOURCES.get(activity_source, activity_source))
    return " · ".join(parts)


def _fill_hour(row: HourRow) -> list[Cell]:
    """Six cells for the hour, empty ones where nothing was tracked.

    A zone whose offset is not a multiple of ten minutes (Asia/Kathmandu, +05:45) puts
    slots at :05, :15 …; they take the cell their local minute falls in.
    """
    cells: list[Cell | None] = [None] * CELLS_PER_HOUR
    for cell in row.cells:
        cells[min(cell.local_start.minute // SLOT_MINUTES, CELLS_PER_HOUR - 1)] = cell
    offset = row.cells[0].local_start.minute % SLOT_MINUTES if row.cells else 0
    filled: list[Cell] = []
    for index, held in enumerate(cells):
        if held is None:
            empty_start = row.local_hour + timedelta(minutes=index * SLOT_MINUTES + offset)
            filled.append(Cell(local_start=empty_start))
        else:
            filled.append(held)
    return filled


def minutes_per_local_day(
    slots: Iterable[SlotRow], days: Sequence[date], zone: ZoneInfo
) -> dict[date, int]:
    """Tracked (undeleted) minutes per local day, for the week strip."""
    totals = dict.fromkeys(days, 0)
    for slot in slots:
        if slot.deleted_at is not None:
            continue
        local_day = slot.slot_start.astimezone(zone).date()
        if local_day in totals:
            totals[local_day] += slot.minutes
    return totals
