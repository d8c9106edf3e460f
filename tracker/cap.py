"""Weekly cap accounting: weeks run Monday 00:00 UTC to the next Monday 00:00 UTC.

The app warns at 60 and at 10 minutes left and stops tracking at the cap. The server
is the authority (it marks minutes beyond the cap over-limit); this is the local view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

WEEK = timedelta(days=7)
WARNING_MINUTES_LEFT: tuple[int, ...] = (60, 10)


def week_start(instant: datetime) -> datetime:
    """Monday 00:00 UTC of the week holding ``instant``."""
    if instant.tzinfo is None:
        raise ValueError("week_start needs an aware datetime")
    at = instant.astimezone(UTC)
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=midnight.weekday())


@dataclass(frozen=True)
class CapStatus:
    """Used minutes of the week against the cap (``cap_minutes`` None: no cap)."""

    week_start: datetime
    used_minutes: int
    cap_minutes: int | None

    @property
    def minutes_left(self) -> int | None:
        if self.cap_minutes is None:
            return None
        return max(self.cap_minutes - self.used_minutes, 0)

    @property
    def reached(self) -> bool:
        return self.cap_minutes is not None and self.used_minutes >= self.cap_minutes


def warnings_crossed(cap_minutes: int | None, used_before: int, used_after: int) -> list[int]:
    """The warning levels (minutes left) passed when usage goes from before to after.

    A level is crossed when minutes left drop to it or below for the first time; a
    cap smaller than a level never warns for that level at zero use.
    """
    if cap_minutes is None or used_after <= used_before:
        return []
    left_before = cap_minutes - used_before
    left_after = cap_minutes - used_after
    return [
        level
        for level in WARNING_MINUTES_LEFT
        if left_after <= level < left_before and left_after > 0
    ]


def minutes_allowed(cap_minutes: int | None, used_minutes: int, wanted: int) -> int:
    """How many of ``wanted`` minutes still fit under the cap."""
    if cap_minutes is None:
        return wanted
    return max(min(wanted, cap_minutes - used_minutes), 0)
