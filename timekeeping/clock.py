"""The clock port and its two implementations, shared by tracker/ and billing/.

Production reads the system clock; tests move a :class:`ManualClock`. Nothing in the
code base calls ``datetime.now()`` directly outside :class:`SystemClock`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current instant (aware, UTC) and a monotonic reading in seconds."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...


class SystemClock:
    """The real clock: wall time in UTC, and the OS monotonic clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """A clock that only moves when a test moves it.

    ``jump`` moves the wall clock without the monotonic one (a user changing the system
    time); ``advance`` moves both, as real time passing does.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime (UTC)")
        self._now = start.astimezone(UTC)
        self._monotonic = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, delta: timedelta | float) -> datetime:
        if isinstance(delta, int | float):
            delta = timedelta(seconds=delta)
        if delta < timedelta(0):
            raise ValueError("time only moves forward; use jump() for a wall-clock change")
        self._now += delta
        self._monotonic += delta.total_seconds()
        return self._now

    def set(self, instant: datetime) -> datetime:
        """Move forward to ``instant`` (both clocks)."""
        return self.advance(instant.astimezone(UTC) - self._now)

    def jump(self, delta: timedelta) -> datetime:
        """Change the wall clock only, like a user or NTP resetting the system time."""
        self._now += delta
        return self._now


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """Shorthand for an aware UTC datetime (tests and fixtures)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
