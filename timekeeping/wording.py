"""Counts and durations in words, the same everywhere the desktop app talks to its user.

Pure text (no Qt, no locale): ui/formatting.py builds on it for what the windows show,
and sync/ uses it for the messages it hands up to them, so "1 slot", "2 slots" and
"3 h 20 min" read alike in the timer window, the tray, notices and the sync line.
"""

from __future__ import annotations

# nouns whose plural is not noun + "s"
_IRREGULAR = {"entry": "entries", "day": "days"}


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """``plural(1, "slot")`` → ``1 slot``; ``plural(3, "slot")`` → ``3 slots``."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count:,} {plural_form or _IRREGULAR.get(noun, noun + 's')}"


def hours_minutes(minutes: int) -> str:
    """``200`` → ``3:20`` (timesheet figures: today, this week, the cap)."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{rest:02d}"


def duration(minutes: int) -> str:
    """``200`` → ``3 h 20 min``; ``60`` → ``1 h``; ``0`` → ``0 min`` (running text)."""
    hours, rest = divmod(max(minutes, 0), 60)
    if hours and rest:
        return f"{hours} h {rest} min"
    if hours:
        return f"{hours} h"
    return f"{rest} min"


def clock_duration(seconds: int) -> str:
    """``3723`` → ``1:02:03``: a stopwatch reading, for the running session."""
    hours, rest = divmod(max(seconds, 0), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def countdown(seconds: int) -> str:
    """Time left, rounded up to what a person reads: ``in 45 s``, ``in 4 min``, ``in 2 h 5 min``."""
    seconds = max(seconds, 0)
    if seconds < 60:
        return f"in {seconds} s"
    return f"in {duration(-(-seconds // 60))}"
