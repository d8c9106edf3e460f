"""The one wording module: plurals, durations, countdowns, dates, money exponents."""

from __future__ import annotations

from datetime import date

from ui.formatting import (
    clock_duration,
    countdown,
    date_text,
    duration,
    hours_minutes,
    money,
    plural,
)


def test_counts_durations_and_countdowns_read_alike_everywhere() -> None:
    assert [plural(n, "slot") for n in (0, 1, 2, 1200)] == [
        "0 slots", "1 slot", "2 slots", "1,200 slots"]
    assert plural(3, "entry") == "3 entries"
    assert [hours_minutes(m) for m in (0, 5, 200, 2400)] == ["0:00", "0:05", "3:20", "40:00"]
    assert [duration(m) for m in (0, 5, 60, 200)] == ["0 min", "5 min", "1 h", "3 h 20 min"]
    assert [clock_duration(s) for s in (0, 59, 3723, 36000)] == [
        "0:00:00", "0:00:59", "1:02:03", "10:00:00"]
    assert [countdown(s) for s in (0, 45, 60, 61, 540, 7500)] == [
        "in 0 s", "in 45 s", "in 1 min", "in 2 min", "in 9 min", "in 2 h 5 min"]


def test_dates_and_money_follow_their_rules() -> None:
    assert date_text(date(2026, 12, 1)) == "Tue 1 Dec 2026"  # never "1 12 2026"
    assert money(450000, "USD") == "4,500.00 USD"
    assert money(-5, "EUR") == "-0.05 EUR"
    assert money(1500, "JPY") == "1,500 JPY"  # no minor unit
    assert money(12345, "KWD") == "12.345 KWD"  # three decimals
