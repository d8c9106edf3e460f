"""The week as a timesheet: minutes per local day and hour, by sync state, against the cap.

Built from stored slots (plus the slot in progress) as a plain snapshot, so the window
only draws it. Days are the local dates the billing week (Monday 00:00 UTC, 7 days)
covers; for a zone away from UTC that can be 8 dates, each partly in the week.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum

from tracker.cap import WEEK
from tracker.model import Slot
from tracker.slots import slot_end


class SheetState(Enum):
    """In the order an hour's bar is filled: what is done first, then what is to come."""

    SYNCED = "synced"
    WAITING = "waiting"  # past the hold window, queued for upload
    HELD = "held"  # on this computer on purpose: hold window, idle answer, in progress
    REJECTED = "rejected"


def slot_state(slot: Slot, now: datetime, hold: timedelta) -> SheetState:
    if slot.sync_state == "synced":
        return SheetState.SYNCED
    if slot.sync_state == "rejected":
        return SheetState.REJECTED
    if slot.idle_hold or slot_end(slot.slot_start) + hold > now:
        return SheetState.HELD
    return SheetState.WAITING


@dataclass(frozen=True)
class TimesheetWeek:
    week_start: datetime
    contract_title: str
    cap_minutes: int | None
    days: tuple[date, ...]
    # (day index, local hour) → minutes per state
    cells: dict[tuple[int, int], dict[SheetState, int]] = field(default_factory=dict)

    def day_minutes(self, day_index: int) -> int:
        return sum(sum(states.values()) for (day, _hour), states in self.cells.items()
                   if day == day_index)

    def state_minutes(self, state: SheetState) -> int:
        return sum(states.get(state, 0) for states in self.cells.values())

    @property
    def total_minutes(self) -> int:
        return sum(sum(states.values()) for states in self.cells.values())


def build_week(week_start: datetime, contract_title: str, cap_minutes: int | None,
               slots: Iterable[Slot], now: datetime, hold: timedelta,
               open_slot: tuple[datetime, int] | None = None) -> TimesheetWeek:
    """``open_slot``: the slot in progress (start, minutes so far), shown as held."""
    first = week_start.astimezone().date()
    last = (week_start + WEEK - timedelta(minutes=1)).astimezone().date()
    days = tuple(first + timedelta(days=n) for n in range((last - first).days + 1))
    cells: dict[tuple[int, int], dict[SheetState, int]] = {}

    def add(start: datetime, minutes: int, state: SheetState) -> None:
        local = start.astimezone()
        states = cells.setdefault(((local.date() - first).days, local.hour), {})
        states[state] = states.get(state, 0) + minutes

    for slot in slots:
        add(slot.slot_start, slot.minute_count, slot_state(slot, now, hold))
    if open_slot is not None and week_start <= open_slot[0] < week_start + WEEK:
        add(open_slot[0], open_slot[1], SheetState.HELD)
    return TimesheetWeek(week_start, contract_title, cap_minutes, days, cells)
