"""``week_start`` is one rule in two programs (the tray and the server may not import each
other): Monday 00:00 UTC of the week holding the instant. Both must give the same answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from billing.domain.weeks import week_start as server_week_start
from tracker.cap import week_start as tray_week_start


def test_the_tray_and_the_server_start_the_week_at_the_same_instant() -> None:
    first = datetime(2026, 12, 27, 0, 0, tzinfo=UTC)  # spans a year end and a Monday midnight
    zones = (UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)))
    for step in range(0, 14 * 24 * 60, 37):
        for zone in zones:
            instant = (first + timedelta(minutes=step)).astimezone(zone)
            assert tray_week_start(instant) == server_week_start(instant)
            assert server_week_start(instant).weekday() == 0
