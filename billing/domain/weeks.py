"""The billing week and its timeline (DOMAIN.md, "Weekly billing").

A week runs Monday 00:00 UTC to the next Monday 00:00 UTC. Every instant of the week's
life is derived here from its start, so jobs, API and tests agree on one definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

SLOT = timedelta(minutes=10)
WEEK = timedelta(days=7)
GRACE = timedelta(hours=12)  # close → lock
REVIEW_END = timedelta(days=5)  # close → finalize (Saturday 00:00)
AVAILABLE_AFTER = timedelta(days=9)  # close → pending becomes available (Wednesday)
FREELANCER_ANSWER_WINDOW = timedelta(days=3)


def as_utc(instant: datetime) -> datetime:
    """``instant`` in UTC; naive datetimes are refused (every stored instant is aware)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("datetime must carry a timezone (UTC expected)")
    return instant.astimezone(UTC)


def week_start(instant: datetime) -> datetime:
    """Monday 00:00 UTC of the week that contains ``instant``."""
    moment = as_utc(instant)
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=midnight.weekday())


def week_start_of_date(day: date) -> datetime:
    """Monday 00:00 UTC of the week containing the calendar day ``day``."""
    return week_start(datetime(day.year, day.month, day.day, tzinfo=UTC))


def slot_floor(instant: datetime) -> datetime:
    """The start of the 10-minute UTC slot that holds ``instant``."""
    moment = as_utc(instant)
    return moment.replace(minute=moment.minute - moment.minute % 10, second=0, microsecond=0)


def is_slot_aligned(instant: datetime) -> bool:
    """True if ``instant`` is on the 10-minute UTC grid (…:00, :10, :20 …)."""
    moment = as_utc(instant)
    return moment.second == 0 and moment.microsecond == 0 and moment.minute % 10 == 0


@dataclass(frozen=True, slots=True)
class WeekTimeline:
    """The instants of one billing week, from its Monday 00:00 start."""

    start: datetime

    @classmethod
    def containing(cls, instant: datetime) -> WeekTimeline:
        return cls(week_start(instant))

    @property
    def close_at(self) -> datetime:
        """Monday 00:00 after the week: draft invoices are made."""
        return self.start + WEEK

    @property
    def lock_at(self) -> datetime:
        """Monday 12:00 after the week: grace ends, the invoice is issued for review."""
        return self.close_at + GRACE

    @property
    def finalize_at(self) -> datetime:
        """Saturday 00:00 after the close: review ends, the invoice is numbered and charged."""
        return self.close_at + REVIEW_END

    @property
    def available_at(self) -> datetime:
        """Wednesday 00:00, close + 9 days: pending earnings become available."""
        return self.close_at + AVAILABLE_AFTER

    def accepts_slot_changes(self, now: datetime) -> bool:
        """Slots of this week may be added or deleted until the lock."""
        return as_utc(now) < self.lock_at

    def slot_change_refusal(self, now: datetime) -> str | None:
        """Why slots of this week can no longer be added or deleted at ``now``: from the
        lock ``"week locked"``, from finalization ``"week finalized"``; ``None`` before."""
        if self.accepts_slot_changes(now):
            return None
        return "week finalized" if as_utc(now) >= self.finalize_at else "week locked"

    def in_review(self, now: datetime) -> bool:
        """Monday 12:00 up to Friday 23:59:59 (exclusive of Saturday 00:00)."""
        return self.lock_at <= as_utc(now) < self.finalize_at

    @classmethod
    def last_finalized(cls, now: datetime) -> WeekTimeline:
        """The week whose finalization (a Saturday 00:00) is the latest at or before ``now``."""
        closing_now = cls(week_start(now) - WEEK)
        return closing_now if closing_now.finalize_at <= now else cls(closing_now.start - WEEK)


# The job steps select weeks by their start: a week whose start is at or before the
# bound below has passed that instant of its timeline at ``now`` (the WeekTimeline
# properties solved for ``start``).


def closed_weeks_bound(now: datetime) -> datetime:
    """Weeks starting at or before this instant are closed at ``now``."""
    return week_start(now) - WEEK


def locked_weeks_bound(now: datetime) -> datetime:
    """Weeks starting at or before this instant are locked at ``now``."""
    return as_utc(now) - (WEEK + GRACE)


def finalized_weeks_bound(now: datetime) -> datetime:
    """Weeks starting at or before this instant are finalized at ``now``."""
    return as_utc(now) - (WEEK + REVIEW_END)


def effective_cap_minutes(
    cap_changes: list[tuple[datetime, int | None]], week: datetime
) -> int | None:
    """The weekly cap in force for the week starting at ``week``.

    ``cap_changes`` holds ``(effective_week_start, cap_minutes)``; ``None`` means no cap.
    The latest change effective at or before ``week`` wins; with no change, no cap.
    """
    in_force: tuple[datetime, int | None] | None = None
    for effective_from, cap in cap_changes:
        if effective_from <= week and (in_force is None or effective_from >= in_force[0]):
            in_force = (effective_from, cap)
    return None if in_force is None else in_force[1]


def cap_change_effective_week(
    current_cap: int | None, new_cap: int | None, now: datetime
) -> datetime:
    """The week a cap change takes effect: a raise now, a cut from next week.

    Removing the cap (``None``) is a raise; putting one on an uncapped contract is a cut,
    so hours already worked are never taken back.
    """
    this_week = week_start(now)
    is_raise = new_cap is None or (current_cap is not None and new_cap >= current_cap)
    return this_week if is_raise else this_week + WEEK


def split_over_cap(minutes: int, already_billable: int, cap: int | None) -> tuple[int, int]:
    """Split a new slot's minutes into ``(billable, over_limit)`` given the week so far."""
    if cap is None:
        return minutes, 0
    room = max(0, cap - already_billable)
    billable = min(minutes, room)
    return billable, minutes - billable


def allocate_cap(slot_minutes: list[int], cap: int | None) -> list[int]:
    """Over-limit minutes per slot, slots taken in arrival order, for the whole week."""
    over: list[int] = []
    used = 0
    for minutes in slot_minutes:
        billable, over_limit = split_over_cap(minutes, used, cap)
        used += billable
        over.append(over_limit)
    return over
