"""The one place the desktop app's windows, tray and notices format what they show.

Counts (with plurals) and durations come from :mod:`timekeeping.wording` (shared with
sync/); instants are shown in the user's local time, storage stays UTC. Nothing in ui/
writes "N slots" or ``strftime`` by hand: it calls one of these.
"""

from __future__ import annotations

from datetime import date, datetime

from timekeeping.wording import clock_duration, countdown, duration, hours_minutes, plural

__all__ = [
    "QT_DATE_FORMAT",
    "clock_duration",
    "countdown",
    "date_text",
    "duration",
    "hours_minutes",
    "hours_minutes_long",
    "local_day",
    "local_time",
    "money",
    "plural",
    "short_day",
]

# the manual-time date field: "Tue 1 Dec 2026", never the platform's "1 12 2026"
QT_DATE_FORMAT = "ddd d MMM yyyy"

def hours_minutes_long(minutes: int) -> str:
    """``200`` → ``3 h 20 min`` (kept for callers; same as :func:`duration`)."""
    return duration(minutes)


def local_time(instant: datetime) -> str:
    """``14:05`` in the user's zone."""
    return instant.astimezone().strftime("%H:%M")


def local_day(instant: datetime) -> str:
    """``Tuesday, 1 December 2026`` (a window's title)."""
    local = instant.astimezone()
    return f"{local:%A}, {local.day} {local:%B %Y}"


def date_text(day: date) -> str:
    """``Tue 1 Dec 2026``: a day in running text."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def short_day(instant: datetime) -> str:
    """``Tue 1 Dec, 14:05`` in the user's zone: an instant on another day than today."""
    local = instant.astimezone()
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


# ISO 4217 exponents that are not 2, of the currencies the server accepts: the tray app
# does not import the backend, so this mirrors billing.domain.money.CURRENCIES (a test
# checks they agree).
MINOR_DIGITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0}
MINOR_DIGITS |= dict.fromkeys(("KWD", "BHD", "OMR", "JOD", "TND"), 3)


def money(amount_minor: int, currency: str) -> str:
    """``4000`` USD → ``40.00 USD``, ``1000`` JPY → ``1,000 JPY`` (the currency's decimals)."""
    digits = MINOR_DIGITS.get(currency, 2)
    sign = "-" if amount_minor < 0 else ""
    whole, minor = divmod(abs(amount_minor), 10**digits)
    fraction = f".{minor:0{digits}d}" if digits else ""
    return f"{sign}{whole:,}{fraction} {currency}"
