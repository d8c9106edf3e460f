"""The companion view's wording: counts agree with their nouns, durations and dates read
one way everywhere, and the cap preview says what DOMAIN.md's cap rule will do."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from billing.db.models import Contract, User
from billing.services.hourly_reads import ContractView
from billing.web import cap_preview
from billing.web.formatting import (
    calendar_date_text,
    common_zones,
    count_text,
    days_text,
    duration_text,
    plural,
    zone_label,
)

TUESDAY = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # week of Mon 23 Nov 2026


@pytest.mark.parametrize(
    ("count", "noun", "text"),
    [
        (0, "slot", "0 slots"),
        (1, "slot", "1 slot"),
        (2, "slot", "2 slots"),
        (1, "entry", "1 entry"),
        (3, "entry", "3 entries"),
        (1200, "payment request", "1,200 payment requests"),
    ],
)
def test_counts_agree_with_their_noun(count: int, noun: str, text: str) -> None:
    assert count_text(count, noun) == text
    assert plural(count, noun) == text.split(" ", 1)[1]


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(0, "0 min"), (5, "5 min"), (60, "1 h"), (125, "2 h 05 min"), (-20, "-20 min")],
)
def test_durations_in_prose(minutes: int, text: str) -> None:
    assert duration_text(minutes) == text


def test_days_and_dates() -> None:
    assert days_text(timedelta(days=14)) == "14 days"
    assert days_text(timedelta(hours=2)) == "1 day"
    assert calendar_date_text(date(2026, 12, 7)) == "Mon 07 Dec 2026"
    assert calendar_date_text(None) == ""


def test_zone_picker_lists_common_zones_first_with_their_offset() -> None:
    assert common_zones()[:2] == ["UTC", "America/Los_Angeles"]
    assert common_zones("Europe/Vienna")[0] == "Europe/Vienna"  # the viewer's own first
    assert common_zones("America/New_York").count("America/New_York") == 1
    winter = datetime(2026, 12, 1, tzinfo=UTC)
    assert zone_label("America/New_York", winter) == "UTC−05:00 · New York"
    assert zone_label("Asia/Kolkata", winter) == "UTC+05:30 · Kolkata"


def _view(cap: int | None, next_cap: int | None, logged: int = 0) -> ContractView:
    contract = Contract(title="Support", currency="USD", rate_cents=5000)
    return ContractView(
        contract=contract,
        client=User(display_name="Cleo"),
        freelancer=User(display_name="Finn"),
        week_start=datetime(2026, 11, 23, tzinfo=UTC),
        cap_minutes=cap,
        next_week_cap_minutes=next_cap,
        logged_minutes=logged,
        billable_minutes=logged,
    )


def test_removing_the_cap_is_a_raise_and_says_a_new_cap_waits_a_week() -> None:
    asked = cap_preview.preview(_view(2400, 2400), None, TUESDAY)
    assert asked.title == "Remove the weekly cap?"
    assert asked.lines[0] == "Removing the cap is a raise: it applies to this week at once."
    assert "week starting Mon 30 Nov 2026, not to this week" in asked.lines[2]


def test_a_cap_on_an_uncapped_contract_is_a_cut_from_next_week() -> None:
    asked = cap_preview.preview(_view(None, None, logged=605), 2400, TUESDAY)
    assert asked.title == "Cap at 40 h from next week?"
    assert asked.lines == (
        "This is a cut: this week keeps no cap (10 h 05 min logged so far).",
        "40 h applies from the week starting Mon 30 Nov 2026, so hours already worked "
        "are never taken back.",
        "Putting a cap on an uncapped contract counts as a cut.",
    )
    assert asked.button == "Yes, 40 h from Mon 30 Nov 2026"


def test_a_raise_names_what_more_can_be_billed() -> None:
    asked = cap_preview.preview(_view(2400, 1200), 2700, TUESDAY)
    assert asked.lines == (
        "This is a raise: 45 h applies to this week at once.",
        "Up to 5 h more can be billed each week: up to 250.00 USD at 50.00 USD per hour.",
        "It replaces the 20 h set for next week.",
    )
