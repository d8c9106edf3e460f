"""Small pure rules: slot arithmetic, weeks, cap warnings, idle threshold, throttling."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tracker.activity import ActivityCounter
from tracker.cap import CapStatus, minutes_allowed, warnings_crossed, week_start
from tracker.clock import utc
from tracker.idle import IdleEnded, IdleSpan, IdleStarted, IdleWatch, checked_threshold
from tracker.slots import (
    group_by_slot,
    minute_index,
    parse_slot_key,
    slot_key,
    slot_start,
    whole_minutes,
)


def test_slots_are_ten_minutes_aligned_to_utc() -> None:
    instant = datetime(2026, 11, 23, 15, 37, 42, tzinfo=timezone(timedelta(hours=1)))
    assert slot_start(instant) == utc(2026, 11, 23, 14, 30)
    assert minute_index(instant) == 7
    assert slot_key(utc(2026, 11, 23, 14, 30)) == "2026-11-23T14:30:00Z"
    assert parse_slot_key("2026-11-23T14:30:00Z") == utc(2026, 11, 23, 14, 30)
    with pytest.raises(ValueError, match="not a slot start"):
        parse_slot_key("2026-11-23T14:31:00Z")
    with pytest.raises(ValueError, match="not a slot start"):
        slot_key(utc(2026, 11, 23, 14, 31))
    with pytest.raises(ValueError, match="naive"):
        slot_start(datetime(2026, 11, 23, 14, 30))


def test_whole_minutes_and_their_slots() -> None:
    minutes = whole_minutes(utc(2026, 11, 23, 9, 8, 30), utc(2026, 11, 23, 9, 12, 59))
    assert minutes == [utc(2026, 11, 23, 9, 9), utc(2026, 11, 23, 9, 10), utc(2026, 11, 23, 9, 11)]
    assert group_by_slot(minutes) == {
        utc(2026, 11, 23, 9, 0): [9],
        utc(2026, 11, 23, 9, 10): [0, 1],
    }
    assert whole_minutes(utc(2026, 11, 23, 9, 8, 30), utc(2026, 11, 23, 9, 8, 50)) == []


def test_weeks_start_monday_midnight_utc() -> None:
    assert week_start(utc(2026, 11, 29, 23, 59, 59)) == utc(2026, 11, 23)
    assert week_start(utc(2026, 11, 30)) == utc(2026, 11, 30)
    sunday_night_in_tokyo = datetime(2026, 11, 30, 8, 0, tzinfo=timezone(timedelta(hours=9)))
    assert week_start(sunday_night_in_tokyo) == utc(2026, 11, 23)


def test_cap_warnings_fire_once_at_60_and_10_minutes_left() -> None:
    assert warnings_crossed(600, 539, 540) == [60]
    assert warnings_crossed(600, 540, 541) == []
    assert warnings_crossed(600, 589, 590) == [10]
    assert warnings_crossed(600, 500, 595) == [60, 10]
    assert warnings_crossed(600, 599, 600) == []  # at the cap: CapReached instead
    assert warnings_crossed(None, 0, 10_000) == []
    assert minutes_allowed(600, 590, 30) == 10 and minutes_allowed(None, 5, 30) == 30
    status = CapStatus(utc(2026, 11, 23), 610, 600)
    assert status.reached and status.minutes_left == 0


def test_idle_threshold_is_5_to_30_minutes_and_watch_reports_start_and_end() -> None:
    with pytest.raises(ValueError, match="5–30"):
        checked_threshold(timedelta(minutes=4))
    with pytest.raises(ValueError, match="5–30"):
        checked_threshold(timedelta(minutes=31))
    start = utc(2026, 11, 23, 9)
    watch = IdleWatch(timedelta(minutes=5), start)
    assert watch.observe(start + timedelta(minutes=4, seconds=59), had_input=False) is None
    assert watch.observe(start + timedelta(minutes=5), had_input=False) == IdleStarted(start)
    assert watch.observe(start + timedelta(minutes=6), had_input=False) is None
    back = start + timedelta(minutes=7, seconds=30)
    assert watch.observe(back, had_input=True) == IdleEnded(IdleSpan(start, back))
    assert len(IdleSpan(start, back).minutes) == 7


def test_mouse_moves_are_counted_at_most_four_times_a_second() -> None:
    counter = ActivityCounter()
    for step in range(1000):  # 1000 moves in 2 s
        counter.record_mouse_move(step * 0.002)
    counter.record_key()
    counter.record_mouse_button()
    counts = counter.drain()
    assert counts.key_events == 1
    assert counts.mouse_events == 8 + 1
    assert not counter.drain().any
