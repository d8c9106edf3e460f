"""The signed diary's signals: when a span holds, when a slot reached the server late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billing.domain.diary_trust import DiaryTrust, late_by

START = datetime(2026, 11, 3, 9, tzinfo=UTC)
END = START + timedelta(minutes=10)


def test_a_span_holds_only_with_every_slot_verified_and_no_gap() -> None:
    assert DiaryTrust(slots=4, verified=4, gaps=0).holds
    assert not DiaryTrust(slots=4, verified=3, gaps=0).holds
    assert not DiaryTrust(slots=4, verified=4, gaps=1).holds
    assert not DiaryTrust(slots=0, verified=0, gaps=0).holds  # nothing to vouch for


def test_a_slot_is_late_from_a_day_after_its_end() -> None:
    assert late_by(START, END + timedelta(hours=23, minutes=59)) is None
    assert late_by(START, END + timedelta(hours=24)) == timedelta(hours=24)
    assert late_by(START, END + timedelta(days=3)) == timedelta(days=3)
