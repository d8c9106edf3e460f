"""How long the server keeps a shot (DOMAIN.md, "Trust and accounts": shots at rest).

A week's shots are kept for the retention period after the week's finalization (its
timeline's Saturday 00:00; default 365 days) and deleted after it, except while an open
dispute concerns the week: the dispute's evidence is the week's slots and their shots,
so they stay until the dispute is closed. Only the image goes: the slot keeps its
minutes, activity, memo and the shot's SHA-256, so billed time and invoices are
untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from billing.domain.weeks import WeekTimeline, as_utc, finalized_weeks_bound, week_start

DEFAULT_RETENTION_DAYS = 365
# far enough for any policy, near enough that finalization + period stays a datetime
MAX_RETENTION_DAYS = 36_500
# the slot's shot note once retention removed its image (the diaries word it)
RETENTION_SHOT_NOTE = "retention_deleted"
RETENTION_SHOT_TEXT = "shot deleted after the retention period"


@dataclass(frozen=True, slots=True)
class ShotRetention:
    """The retention period: how long after a week's finalization its shots are kept."""

    period: timedelta = timedelta(days=DEFAULT_RETENTION_DAYS)

    def __post_init__(self) -> None:
        if not timedelta(0) < self.period <= timedelta(days=MAX_RETENTION_DAYS):
            raise ValueError(
                f"the shot retention period must be between 1 and {MAX_RETENTION_DAYS} days"
            )

    @classmethod
    def of_days(cls, days: int) -> ShotRetention:
        return cls(timedelta(days=days))

    def expires_at(self, finalized_at: datetime) -> datetime:
        """When a shot of a week finalized at ``finalized_at`` is due for deletion."""
        return as_utc(finalized_at) + self.period

    def week_expires_at(self, instant: datetime) -> datetime:
        """:meth:`expires_at` for the week holding ``instant``, from its timeline."""
        return self.expires_at(WeekTimeline(week_start(instant)).finalize_at)

    def is_due(self, finalized_at: datetime, now: datetime, *, under_open_dispute: bool) -> bool:
        """Whether the shot is deleted at ``now``: its period is over and no open dispute
        concerns its week (the next run after the dispute closes deletes it)."""
        return not under_open_dispute and as_utc(now) >= self.expires_at(finalized_at)

    def expired_weeks_bound(self, now: datetime) -> datetime:
        """Weeks starting at or before this instant are past their retention at ``now``
        (:meth:`week_expires_at` solved for the week's start, as the job steps select)."""
        return finalized_weeks_bound(as_utc(now) - self.period)
