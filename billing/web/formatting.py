"""Presentation only: money, durations and instants as the companion view shows them.

Money stays integer minor units until this last step (two minor digits, as
:meth:`billing.domain.money.Money.format`); instants are stored UTC and shown in the
viewer's chosen time zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from markupsafe import Markup, escape

DEFAULT_ZONE = "UTC"


def money_text(cents: int, currency: str) -> str:
    """``"1,234.50 USD"`` — plain text (CSV, titles)."""
    sign = "-" if cents < 0 else ""
    whole, minor = divmod(abs(cents), 100)
    return f"{sign}{whole:,}.{minor:02d} {currency}"


def money_html(cents: int, currency: str) -> Markup:
    """The amount with its currency code set smaller, for right-aligned columns."""
    number, code = money_text(cents, currency).rsplit(" ", 1)
    return Markup('<span class="money">{}<span class="cur">{}</span></span>').format(
        escape(number), escape(code)
    )


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


def cents_csv(cents: int) -> str:
    """``"1234.50"`` — an amount for a CSV cell (no grouping, currency in its own column)."""
    sign = "-" if cents < 0 else ""
    whole, minor = divmod(abs(cents), 100)
    return f"{sign}{whole}.{minor:02d}"


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
