"""Pure rules: rounding, week boundaries, the week's timeline, the cap and its changes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from billing.domain.invoices import supplement_minutes, weekly_hours_line
from billing.domain.money import Money, amount_for_minutes, fee_for
from billing.domain.slots import ContractTerms, SlotBody, refusal
from billing.domain.weeks import (
    WEEK,
    WeekTimeline,
    allocate_cap,
    cap_change_effective_week,
    closed_weeks_bound,
    effective_cap_minutes,
    finalized_weeks_bound,
    is_slot_aligned,
    locked_weeks_bound,
    split_over_cap,
    week_start,
)
from tracker.clock import ManualClock, utc

MONDAY = utc(2026, 11, 2)


@pytest.mark.parametrize(
    ("minutes", "rate", "cents"),
    [
        (60, 4000, 4000),
        (1, 4000, 67),  # 66.666… → 67
        (1, 3000, 50),  # exactly 50
        (1, 30, 1),  # 0.5 → 1 (half-up, not banker's)
        (3, 10, 1),  # 0.5 → 1
        (1, 90, 2),  # 1.5 → 2
        (1, 150, 3),  # 2.5 → 3 (banker's would give 2)
        (1, 29, 0),  # 0.483 → 0
        (2400, 4000, 160000),
        (0, 4000, 0),
    ],
)
def test_amount_is_minutes_times_rate_over_60_rounded_half_up(
    minutes: int, rate: int, cents: int
) -> None:
    assert amount_for_minutes(minutes, rate) == cents


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mix"):
        Money(1, "USD") + Money(1, "EUR")
    with pytest.raises(ValueError, match="ISO"):
        Money(1, "usd")
    assert (Money(150, "EUR") - Money(25, "EUR")).format() == "1.25 EUR"
    assert fee_for(1000, 250) == 25 and fee_for(1, 5000) == 1


def test_week_boundaries_sunday_2350_and_monday_0000() -> None:
    sunday_late = utc(2026, 11, 8, 23, 50)
    next_monday = utc(2026, 11, 9, 0, 0)
    assert week_start(sunday_late) == MONDAY
    assert week_start(next_monday) == next_monday
    assert week_start(next_monday - timedelta(microseconds=1)) == MONDAY
    assert is_slot_aligned(sunday_late) and not is_slot_aligned(utc(2026, 11, 8, 23, 55))


def test_the_timeline_of_a_week() -> None:
    week = WeekTimeline(MONDAY)
    assert week.close_at == utc(2026, 11, 9)
    assert week.lock_at == utc(2026, 11, 9, 12)
    assert week.finalize_at == utc(2026, 11, 14)  # Saturday 00:00
    assert week.finalize_at.weekday() == 5
    assert week.available_at == utc(2026, 11, 18)  # Wednesday, close + 9 days
    assert week.available_at.weekday() == 2
    clock = ManualClock(utc(2026, 11, 9, 11, 59, 59))
    assert week.accepts_slot_changes(clock.now()) and not week.in_review(clock.now())
    clock.advance(1)
    assert not week.accepts_slot_changes(clock.now()) and week.in_review(clock.now())
    clock.set(utc(2026, 11, 13, 23, 59, 59))
    assert week.in_review(clock.now())
    clock.advance(1)
    assert not week.in_review(clock.now())


@pytest.mark.parametrize(
    "now",
    [
        utc(2026, 11, 9) - timedelta(microseconds=1),
        utc(2026, 11, 9),
        utc(2026, 11, 9, 11, 59, 59),
        utc(2026, 11, 9, 12),
        utc(2026, 11, 13, 23, 59, 59),
        utc(2026, 11, 14),
        utc(2026, 11, 17, 23, 59),
        utc(2026, 11, 18),
        utc(2026, 11, 21, 6),
    ],
)
def test_the_job_steps_bounds_agree_with_the_timeline(now: datetime) -> None:
    """A week is taken by a step exactly when its timeline has passed that instant."""
    for offset in range(-1, 4):
        week = WeekTimeline(MONDAY + offset * WEEK)
        assert (week.start <= closed_weeks_bound(now)) == (week.close_at <= now)
        assert (week.start <= locked_weeks_bound(now)) == (week.lock_at <= now)
        assert (week.start <= finalized_weeks_bound(now)) == (week.finalize_at <= now)


def test_the_last_finalization_is_the_latest_saturday_at_or_before_now() -> None:
    assert WeekTimeline.last_finalized(utc(2026, 11, 14)).start == MONDAY
    assert WeekTimeline.last_finalized(utc(2026, 11, 20, 23)).start == MONDAY
    earlier = WeekTimeline.last_finalized(utc(2026, 11, 13, 23, 59))
    assert earlier.start == MONDAY - WEEK and earlier.finalize_at == utc(2026, 11, 7)


def test_minutes_beyond_the_cap_are_over_limit_in_arrival_order() -> None:
    assert split_over_cap(10, 2395, 2400) == (5, 5)
    assert split_over_cap(10, 2400, 2400) == (0, 10)
    assert split_over_cap(10, 5000, None) == (10, 0)
    assert allocate_cap([10, 10, 10, 7], 25) == [0, 0, 5, 7]
    assert allocate_cap([10, 10], None) == [0, 0]


def test_weekly_line_bills_min_of_logged_and_cap() -> None:
    line = weekly_hours_line(2500, 2400, 4000)
    assert (line.billable_minutes, line.amount_cents) == (2400, 160000)
    assert weekly_hours_line(67, None, 4000).amount_cents == 4467
    assert supplement_minutes(60, 2390, 2400) == 10
    assert supplement_minutes(60, 100, None) == 60
    assert supplement_minutes(60, 2400, 2400) == 0


def test_a_cap_raise_applies_now_and_a_cut_from_next_week() -> None:
    wednesday = utc(2026, 11, 4, 15)
    next_monday = utc(2026, 11, 9)
    assert cap_change_effective_week(2400, 3000, wednesday) == MONDAY
    assert cap_change_effective_week(2400, None, wednesday) == MONDAY
    assert cap_change_effective_week(2400, 1200, wednesday) == next_monday
    assert cap_change_effective_week(None, 1200, wednesday) == next_monday
    history: list[tuple[datetime, int | None]] = [(utc(2026, 10, 26), 2400), (next_monday, 1200)]
    assert effective_cap_minutes(history, MONDAY) == 2400
    assert effective_cap_minutes(history, next_monday) == 1200
    assert effective_cap_minutes(history, utc(2026, 10, 19)) is None


def _status(refused: tuple[int, str] | None) -> int | None:
    return None if refused is None else refused[0]


TERMS = ContractTerms(
    is_hourly=True, screenshots_enabled=True, manual_time_allowed=False, ended_at=None
)


def _body(minutes: int, client_now, manual: bool = False, shot_at=None) -> SlotBody:  # type: ignore[no-untyped-def]
    return SlotBody(
        minutes=minutes,
        activity=() if manual else ((1, 0),) * minutes,
        memo="",
        manual=manual,
        shot_taken_at=shot_at,
        shot_sha256=None if shot_at is None else "a" * 64,
        shot_note=None,
        client_now=client_now,
    )


def _refusals_on_a_wednesday_morning(clock: ManualClock, skew: timedelta, start: datetime) -> None:
    # a 7-minute slot that is still running on the client's clock is fine at 10:07
    assert refusal(start, _body(7, clock.now()), TERMS, now=clock.now(), future_skew=skew) is None
    # ten minutes claimed at 10:07 are after client_now
    status, reason = refusal(
        start, _body(10, clock.now()), TERMS, now=clock.now(), future_skew=skew
    )  # type: ignore[misc]
    assert status == 422 and "client_now" in reason
    # a client whose clock runs an hour ahead sends a slot from the server's future
    ahead = clock.now() + timedelta(hours=1)
    status, reason = refusal(
        utc(2026, 11, 4, 11), _body(5, ahead), TERMS, now=clock.now(), future_skew=skew
    )  # type: ignore[misc]
    assert status == 422 and "future" in reason
    assert (
        _status(
            refusal(
                utc(2026, 11, 4, 10, 5),
                _body(1, clock.now()),
                TERMS,
                now=clock.now(),
                future_skew=skew,
            )
        )
        == 422
    )
    assert refusal(
        start, _body(5, clock.now(), manual=True), TERMS, now=clock.now(), future_skew=skew
    ) == (
        409,
        "manual time is not allowed on this contract",
    )
    assert (
        _status(
            refusal(
                start,
                _body(5, clock.now(), shot_at=start - timedelta(seconds=1)),
                TERMS,
                now=clock.now(),
                future_skew=skew,
            )
        )
        == 422
    )


def _a_late_slot_in_the_grace_then_after_the_lock(clock: ManualClock, skew: timedelta) -> None:
    # late slot: accepted in grace, refused once the week is locked
    sunday = utc(2026, 11, 8, 23, 50)
    clock.set(utc(2026, 11, 9, 11, 59))
    assert refusal(sunday, _body(10, clock.now()), TERMS, now=clock.now(), future_skew=skew) is None
    clock.set(utc(2026, 11, 9, 12))
    assert refusal(sunday, _body(10, clock.now()), TERMS, now=clock.now(), future_skew=skew) == (
        409,
        "week locked",
    )


def test_slot_refusals_with_a_moving_clock() -> None:
    clock = ManualClock(utc(2026, 11, 4, 10, 7))
    skew = timedelta(minutes=5)
    start = utc(2026, 11, 4, 10, 0)
    _refusals_on_a_wednesday_morning(clock, skew, start)
    _a_late_slot_in_the_grace_then_after_the_lock(clock, skew)
    ended = ContractTerms(True, True, False, ended_at=utc(2026, 11, 9, 12))
    assert (
        _status(
            refusal(
                utc(2026, 11, 9, 12),
                _body(1, clock.now() + timedelta(minutes=1)),
                ended,
                now=clock.now() + timedelta(minutes=1),
                future_skew=skew,
            )
        )
        == 409
    )


def test_the_fingerprint_ignores_client_now() -> None:
    first = _body(5, utc(2026, 11, 4, 10, 7))
    again = _body(5, utc(2026, 11, 4, 12, 0))
    assert first.fingerprint() == again.fingerprint()
    assert first.fingerprint() != _body(4, utc(2026, 11, 4, 10, 7)).fingerprint()
