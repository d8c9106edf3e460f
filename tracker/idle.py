"""Idle detection: no keyboard or mouse input for the threshold (default 10 min, 5–30).

DOMAIN.md: after the threshold the app asks, on the next input, whether to keep the idle
time or discard it; discarded minutes leave their slots; unanswered idle time is
discarded when tracking stops. :class:`IdleWatch` only decides *when*; the session
moves the minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tracker.slots import whole_minutes

DEFAULT_IDLE_THRESHOLD = timedelta(minutes=10)
MIN_IDLE_THRESHOLD = timedelta(minutes=5)
MAX_IDLE_THRESHOLD = timedelta(minutes=30)


def checked_threshold(threshold: timedelta) -> timedelta:
    if not MIN_IDLE_THRESHOLD <= threshold <= MAX_IDLE_THRESHOLD:
        raise ValueError(f"idle threshold {threshold} outside 5–30 minutes")
    return threshold


@dataclass(frozen=True)
class IdleSpan:
    """From the last input (``start``) to the input that ended the idle time (``end``)."""

    start: datetime
    end: datetime

    @property
    def minutes(self) -> list[datetime]:
        """Starts of the whole minutes without input: these leave their slots on discard."""
        return whole_minutes(self.start, self.end)


@dataclass(frozen=True)
class IdleStarted:
    since: datetime


@dataclass(frozen=True)
class IdleEnded:
    span: IdleSpan


class IdleWatch:
    """Follows input and reports when idle starts (threshold passed) and ends (input)."""

    def __init__(self, threshold: timedelta, now: datetime) -> None:
        self.threshold = checked_threshold(threshold)
        self.last_input_at = now
        self.idle_since: datetime | None = None

    def restart(self, now: datetime) -> None:
        """Forget the past (tracking started, or the clock jumped)."""
        self.last_input_at = now
        self.idle_since = None

    def observe(self, now: datetime, had_input: bool) -> IdleStarted | IdleEnded | None:
        if had_input:
            since, self.idle_since = self.idle_since, None
            self.last_input_at = now
            return IdleEnded(IdleSpan(since, now)) if since is not None else None
        if self.idle_since is None and now - self.last_input_at >= self.threshold:
            self.idle_since = self.last_input_at
            return IdleStarted(self.idle_since)
        return None
