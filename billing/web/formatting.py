"""Presentation only: money, durations and instants as the companion view shows them.

Money stays integer minor units until this last step, with as many decimals as its
currency has (:mod:`billing.domain.money`); instants are stored UTC and shown in the
viewer's chosen time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
    moment = local(instant, zone)
    return "" if moment is None else moment.strftime("%a %d %b %Y")


def week_text(week_start: datetime) -> str:
    """A billing week as its UTC days: ``"16–22 Nov 2026"``."""
    start = week_start.astimezone(UTC)
    end = start + timedelta(days=6)
    if start.month == end.month:
        return f"{start.day}–{end.day} {end.strftime('%b %Y')}"
    if start.year == end.year:
        return f"{start.strftime('%d %b')} – {end.strftime('%d %b %Y')}"
    return f"{start.strftime('%d %b %Y')} – {end.strftime('%d %b %Y')}"
