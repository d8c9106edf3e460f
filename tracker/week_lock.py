"""When a week locks, and whether the freelancer must hear that slots of it are not synced.

The week that ends at Monday 00:00 UTC stays open for late syncs and deletions until
Monday 12:00 UTC (the grace period); after that the server refuses its slots (409
"week locked"). Pure: given ``now`` and counts, no clock or store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.cap import WEEK, week_start

GRACE = timedelta(hours=12)  # Monday 00:00 → 12:00 UTC


def lock_instant(week: datetime) -> datetime:
    """When the week starting at ``week`` (a Monday 00:00 UTC) locks."""
    return week + WEEK + GRACE


@dataclass(frozen=True)
class LockWarning:
    """Last week's slots still to sync, and when that week locks."""

    unsynced_slots: int
    last_week_start: datetime
    locks_at: datetime

    def minutes_left(self, now: datetime) -> int:
        return max(0, -(-int((self.locks_at - now).total_seconds()) // 60))


def last_week_start(now: datetime) -> datetime:
    return week_start(now) - WEEK


def in_grace(now: datetime) -> bool:
    """Between the close (Monday 00:00 UTC) and the lock of the week before ``now``'s."""
    return now < lock_instant(last_week_start(now))


def lock_warning(now: datetime, unsynced_last_week: int) -> LockWarning | None:
    """A warning while last week is in its grace period and has slots not synced."""
    if unsynced_last_week <= 0 or not in_grace(now):
        return None
    start = last_week_start(now)
    return LockWarning(unsynced_last_week, start, lock_instant(start))
