"""The companion view's pure pieces, without a browser: cookie signing and CSRF tokens,
the diary grid in awkward zones, money and amount parsing, redirect targets."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi import HTTPException

from billing.api.milestones_schemas import MilestoneCreate
from billing.web.diary_grid import activity_bar, build_day, local_day_bounds
from billing.web.formatting import cap_text, hours_text, money_text, zone_or_default
from billing.web.milestone_forms import minor_units, parse_amount, validated
from billing.web.render import safe_next
from billing.web.security import csrf_ok, csrf_token, sign_session, unsign_session

SECRET = b"test-secret"


@dataclass
class FakeSlot:
    """The slot fields the diary reads (``billing.db.models.Slot``)."""

    id: int
    slot_start: datetime
    minutes: int = 10
    active_minutes: int = 10
    activity: list[list[int]] = field(default_factory=lambda: [[3, 9]] * 10)
    memo: str = "work"
    manual: bool = False
    shot_sha256: str | None = "ab" * 32
    shot_note: str | None = None
    shot_blob_key: str | None = "1/blob"
    clock_jump: bool = False
    over_limit_minutes: int = 0
    deleted_at: datetime | None = None
    capture_source: str | None = None
    activity_source: str | None = None
    verified: bool = False
    received_at: datetime = datetime(2026, 11, 23, tzinfo=UTC)


def test_a_signed_session_round_trips_and_any_tampering_is_rejected() -> None:
    cookie = sign_session(SECRET, "token-abc")
    assert unsign_session(SECRET, cookie) == "token-abc"
    token, signature = cookie.rsplit(".", 1)
    assert unsign_session(SECRET, f"token-abd.{signature}") is None
    assert unsign_session(SECRET, f"{token}.{signature[:-1]}A") is None
    assert unsign_session(b"other-secret", cookie) is None
    assert unsign_session(SECRET, None) is None
    assert unsign_session(SECRET, "no-signature") is None
    assert unsign_session(SECRET, "." + signature) is None


def test_csrf_token_is_bound_to_the_session() -> None:
    token = csrf_token(SECRET, "session-1")
    assert csrf_ok(SECRET, "session-1", token)
    assert not csrf_ok(SECRET, "session-2", token)
    assert not csrf_ok(SECRET, "session-1", None)
    assert not csrf_ok(SECRET, "session-1", "")
    assert not csrf_ok(b"other", "session-1", token)


def test_diary_rows_follow_the_viewers_zone_and_fill_untracked_cells() -> None:
    monday = datetime(2026, 11, 16, tzinfo=UTC)
    slots = [
        FakeSlot(1, monday + timedelta(hours=14)),
        FakeSlot(2, monday + timedelta(hours=14, minutes=30)),
    ]
    rows, totals = build_day(slots, date(2026, 11, 16), ZoneInfo("America/New_York"))
    (row,) = rows
    assert row.local_hour.strftime("%H:%M") == "09:00"
    assert [cell.label for cell in row.cells] == [
        "09:00",
        "09:10",
        "09:20",
        "09:30",
        "09:40",
        "09:50",
    ]
    assert [cell.slot_id for cell in row.cells] == [1, None, None, 2, None, None]
    assert (totals.tracked_minutes, totals.billable_minutes) == (20, 20)


def test_a_zone_off_the_ten_minute_grid_keeps_six_cells_per_hour() -> None:
    # Asia/Kathmandu is UTC+05:45: slots start at :05, :15 … local time
    start = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)  # 09:45 local
    slots = [FakeSlot(index + 1, start + timedelta(minutes=10 * index)) for index in range(3)]
    rows, totals = build_day(slots, date(2026, 11, 16), ZoneInfo("Asia/Kathmandu"))
    assert [row.local_hour.hour for row in rows] == [9, 10]
    assert [cell.label for cell in rows[1].cells][:2] == ["10:05", "10:15"]
    assert all(len(row.cells) == 6 for row in rows)
    assert totals.tracked_minutes == 30


def test_a_daylight_saving_day_has_its_real_length() -> None:
    start, end = local_day_bounds(date(2026, 3, 29), ZoneInfo("Europe/Berlin"))
    assert end - start == timedelta(hours=23)
    start, end = local_day_bounds(date(2026, 10, 25), ZoneInfo("Europe/Berlin"))
    assert end - start == timedelta(hours=25)


def test_markers_and_totals_for_disputed_over_limit_manual_and_deleted_slots() -> None:
    at = datetime(2026, 11, 16, 10, tzinfo=UTC)
    slots = [
        FakeSlot(1, at),
        FakeSlot(2, at + timedelta(minutes=10), over_limit_minutes=4),
        FakeSlot(
            3,
            at + timedelta(minutes=20),
            manual=True,
            activity=[],
            shot_sha256=None,
            shot_blob_key=None,
        ),
        FakeSlot(
            4, at + timedelta(minutes=30), deleted_at=at + timedelta(hours=2), shot_blob_key=None
        ),
        FakeSlot(
            5,
            at + timedelta(minutes=40),
            shot_sha256=None,
            shot_blob_key=None,
            shot_note="capture_unavailable",
        ),
    ]
    (row,), totals = build_day(slots, date(2026, 11, 16), ZoneInfo("UTC"), frozenset({1}))
    markers = {cell.slot_id: [text for text, _tone in cell.markers] for cell in row.cells}
    assert markers[1] == ["disputed"]
    assert markers[2] == ["over limit 4 min"]
    assert markers[3] == ["manual · not protected"]
    assert markers[4] == ["deleted"]
    assert row.cells[4].shot_note == "capture unavailable" and not row.cells[4].has_shot
    assert totals.tracked_minutes == 40  # the deleted slot is not counted
    assert totals.disputed_minutes == 10
    assert totals.over_limit_minutes == 4
    assert totals.billable_minutes == 40 - 10 - 4
    assert totals.manual_minutes == 10


def test_activity_bar_shows_active_idle_and_untracked_minutes() -> None:
    slot = FakeSlot(
        1,
        datetime(2026, 11, 16, tzinfo=UTC),
        minutes=4,
        active_minutes=2,
        activity=[[1, 0], [0, 0], [0, 5], [0, 0]],
    )
    assert activity_bar(slot) == ("on", "idle", "on", "idle", "", "", "", "", "", "")


def test_money_and_durations_read_like_a_timesheet() -> None:
    assert money_text(123456, "USD") == "1,234.56 USD"
    assert money_text(-5, "EUR") == "-0.05 EUR"
    assert hours_text(200) == "3:20 h"
    assert cap_text(40 * 60) == "40 h"
    assert cap_text(450) == "7:30 h"
    assert cap_text(None) == "no cap"


@pytest.mark.parametrize(
    ("text", "cents"), [("300", 30000), ("12.5", 1250), ("12.05", 1205), (" 7,25 ", 725)]
)
def test_amounts_are_parsed_to_minor_units(text: str, cents: int) -> None:
    assert parse_amount(text, "Amount", "USD") == cents


@pytest.mark.parametrize("text", ["", "abc", "1.234", "-5", "1e3", "0"])
def test_bad_amounts_are_refused_with_a_422(text: str) -> None:
    with pytest.raises(HTTPException) as refused:
        parse_amount(text, "Amount", "USD")
    assert refused.value.status_code == 422


def test_a_form_is_judged_by_the_api_schema_and_refused_naming_its_fields() -> None:
    body = validated(
        MilestoneCreate,
        title="Design",
        due_date=None,
        amount_cents=minor_units("12.5", "Amount", "USD"),
    )
    assert (body.amount_cents, body.description) == (1250, "")
    with pytest.raises(HTTPException) as refused:
        validated(MilestoneCreate, title="", amount_cents=minor_units("0", "Amount", "USD"))
    assert refused.value.status_code == 422
    assert "Title:" in str(refused.value.detail) and "Amount:" in str(refused.value.detail)
    assert minor_units("  ", "Bonus", "USD") is None  # a blank optional amount is "not sent"


def test_only_local_web_paths_are_redirect_targets() -> None:
    assert (
        safe_next("/web/contracts/1/diary?day=2026-11-16")
        == "/web/contracts/1/diary?day=2026-11-16"
    )
    for hostile in (
        "https://evil.test/web/",
        "//evil.test/web/",
        "/api/v1/me",
        "/\\evil.test",
        None,
    ):
        assert safe_next(hostile) == "/web/"


def test_an_unknown_zone_falls_back_to_utc() -> None:
    assert zone_or_default("Mars/Olympus").key == "UTC"
    assert zone_or_default("../../etc/passwd").key == "UTC"
    assert zone_or_default("Europe/Berlin").key == "Europe/Berlin"
