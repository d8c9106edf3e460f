"""How durations and instants read on screen (local time; storage stays UTC)."""

from __future__ import annotations

from datetime import datetime


def hours_minutes(minutes: int) -> str:
    """``200`` → ``3:20`` (the way timesheets write it)."""
    return f"{minutes // 60}:{minutes % 60:02d}"


def hours_minutes_long(minutes: int) -> str:
    """``200`` → ``3 h 20 min``."""
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    if hours:
        return f"{hours} h"
    return f"{rest} min"


def local_time(instant: datetime) -> str:
    return instant.astimezone().strftime("%H:%M")


def local_day(instant: datetime) -> str:
    return instant.astimezone().strftime("%A, %d %B %Y")


def money(amount_cents: int, currency: str) -> str:
    sign = "-" if amount_cents < 0 else ""
    whole, cents = divmod(abs(amount_cents), 100)
    return f"{sign}{whole:,}.{cents:02d} {currency}"
