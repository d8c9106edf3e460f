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
