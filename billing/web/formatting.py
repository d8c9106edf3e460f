"""Presentation only: money, durations, counts and instants as the companion view shows them.

Money stays integer minor units until this last step, with as many decimals as its
currency has (:mod:`billing.domain.money`); instants are stored UTC and shown in the
viewer's chosen time zone. Every template and flash message words durations, dates and
counts through the functions here, so the pages never say "1 slots" or mix "0:05" with
"5 min" for the same kind of figure.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from markupsafe import Markup, escape

from billing.domain.money import amount_digits, symbol

DEFAULT_ZONE = "UTC"


def money_text(cents: int, currency: str) -> str:
    """``"1,234.50 USD"``, ``"1,000 JPY"``, ``"1.500 KWD"`` — plain text (titles, messages).

    The currency's own exponent decides the decimals (:mod:`billing.domain.money`)."""
    return f"{amount_digits(cents, currency, grouping=True)} {currency}"


def money_html(cents: int, currency: str) -> Markup:
    """The amount with its symbol where it has an unambiguous one (``¥1,000``) and its
    code set smaller, for right-aligned columns."""
    sign = "-" if cents < 0 else ""
    number = f"{sign}{symbol(currency)}{amount_digits(abs(cents), currency, grouping=True)}"
    return Markup('<span class="money">{}<span class="cur">{}</span></span>').format(
        escape(number), escape(currency)
    )


def money_input(cents: int, currency: str) -> str:
    """``"1250.00"``, ``"1000"`` (JPY): an amount as a form field holds it (no grouping,
    the currency's decimals), which :func:`billing.domain.money.parse_minor` reads back."""
    return amount_digits(cents, currency)


# Nouns whose plural is not "+s"; everything else the pages count takes an "s".
_PLURALS = {"entry": "entries", "day": "days", "proposal": "proposals"}


def plural(count: int, noun: str) -> str:
    """``noun`` as ``count`` of it reads: "slot" for 1, "slots" for 0 or 2."""
    if count == 1 or count == -1:
        return noun
    return _PLURALS.get(noun, noun + "s")


def count_text(count: int, noun: str) -> str:
    """``"1 slot"``, ``"3 slots"``, ``"0 disputes"`` — a count and its noun, agreed."""
    return f"{count:,} {plural(count, noun)}"


def duration_text(minutes: int) -> str:
    """A duration in prose: ``"5 min"``, ``"1 h"``, ``"2 h 05 min"``.

    Tables and totals use :func:`hours_text` ("2:05 h"); sentences use this one.
    """
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours == 0:
        return f"{sign}{rest} min"
    if rest == 0:
        return f"{sign}{hours} h"
    return f"{sign}{hours} h {rest:02d} min"


def days_text(span: timedelta) -> str:
    """A period in whole days (rounded up): ``"1 day"``, ``"14 days"``."""
    whole = -(-span // timedelta(days=1))
    return count_text(max(0, whole), "day")


def calendar_date_text(day: date | None) -> str:
    """A calendar date (a due date, a day of the diary): ``"Mon 07 Dec 2026"``."""
    return "" if day is None else day.strftime("%a %d %b %Y")


def long_date_text(day: date) -> str:
    """A day as a heading: ``"Monday 07 December 2026"``."""
    return day.strftime("%A %d %B %Y")


def hours_text(minutes: int) -> str:
    """``"7:20 h"`` — minutes as hours and minutes, the way timesheets read."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{rest:02d} h"


def cap_text(minutes: int | None) -> str:
    """A weekly cap: ``"40 h"`` in whole hours, ``"7:30 h"`` otherwise, ``"no cap"``."""
    if minutes is None:
        return "no cap"
    return f"{minutes // 60} h" if minutes % 60 == 0 else hours_text(minutes)


def zone_or_default(name: str | None) -> ZoneInfo:
    """The named IANA zone, or UTC if the name is empty or unknown (never an error page)."""
    if not name:
        return ZoneInfo(DEFAULT_ZONE)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


_ZONES: list[str] | None = None


def zone_names() -> list[str]:
    """Every IANA zone name this machine knows, sorted (for the zone picker)."""
    global _ZONES
    if _ZONES is None:
        _ZONES = sorted(name for name in available_timezones() if "/" in name or name == "UTC")
    return _ZONES


# Where most clients and freelancers are: offered first in the zone picker, west to east.
COMMON_ZONES = (
    "UTC",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Kyiv",
    "Africa/Lagos",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Dhaka",
    "Asia/Manila",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
)


def zone_label(name: str, now: datetime | None = None) -> str:
    """``"UTC−05:00 · New York"`` — a zone as the picker lists it (offset at ``now``)."""
    moment = (now or datetime.now(UTC)).astimezone(zone_or_default(name))
    offset = moment.utcoffset() or timedelta(0)
    sign = "−" if offset < timedelta(0) else "+"
    hours, rest = divmod(abs(offset) // timedelta(minutes=1), 60)
    place = name.rsplit("/", 1)[-1].replace("_", " ")
    return f"UTC{sign}{hours:02d}:{rest:02d} · {place}"


def common_zones(current: str | None = None) -> list[str]:
    """The zones offered first: the viewer's own, then the common ones this machine knows."""
    known = set(zone_names())
    first = [current] if current and current in known and current not in COMMON_ZONES else []
    return first + [name for name in COMMON_ZONES if name in known]


def local(instant: datetime | None, zone: ZoneInfo) -> datetime | None:
    if instant is None:
        return None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(zone)


def datetime_text(instant: datetime | None, zone: ZoneInfo) -> str:
    """``"Mon 23 Nov 2026, 14:05"`` in ``zone``; an empty string for no instant."""
    moment = local(instant, zone)
    return "" if moment is None else moment.strftime("%a %d %b %Y, %H:%M")


def date_text(instant: datetime | None, zone: ZoneInfo) -> str:
    """The local day of an instant: ``"Mon 23 Nov 2026"``."""
    moment = local(instant, zone)
    return "" if moment is None else calendar_date_text(moment.date())


def time_text(instant: datetime | None, zone: ZoneInfo) -> str:
    """The local clock time of an instant: ``"14:05"``."""
    moment = local(instant, zone)
    return "" if moment is None else moment.strftime("%H:%M")


def week_text(week_start: datetime) -> str:
    """A billing week as its UTC days: ``"16–22 Nov 2026"``."""
    start = week_start.astimezone(UTC)
    end = start + timedelta(days=6)
    if start.month == end.month:
        return f"{start.day}–{end.day} {end.strftime('%b %Y')}"
    if start.year == end.year:
        return f"{start.strftime('%d %b')} – {end.strftime('%d %b %Y')}"
    return f"{start.strftime('%d %b %Y')} – {end.strftime('%d %b %Y')}"
