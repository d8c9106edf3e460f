"""A slot's minutes as the diary draws them: one mark per minute of the slot, in place."""

from __future__ import annotations

from collections.abc import Iterable

from tracker.model import MinuteActivity

MINUTES_PER_SLOT = 10


def minute_marks(minutes: Iterable[MinuteActivity]) -> tuple[bool | None, ...]:
    """Ten marks, minute 0 first: True active, False tracked without input, None not
    tracked (a slot started at :13 has its first three minutes untracked)."""
    marks: list[bool | None] = [None] * MINUTES_PER_SLOT
    for minute in minutes:
        if 0 <= minute.index < MINUTES_PER_SLOT:
            marks[minute.index] = minute.active
    return tuple(marks)
