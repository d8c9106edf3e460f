"""The shot retention rule, pure: when a week's shots are due, on a moved clock; and the
setting that gives the period."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from billing.config import Settings
from billing.domain.retention import ShotRetention
from billing.domain.weeks import WeekTimeline, week_start
from tracker.clock import ManualClock, utc

WEEK = WeekTimeline(utc(2026, 11, 2))  # finalized Saturday 2026-11-14 00:00
FINALIZED = WEEK.finalize_at


def test_a_shot_is_due_a_year_after_its_weeks_finalization() -> None:
    retention = ShotRetention()
    assert retention.period == timedelta(days=365)
    clock = ManualClock(FINALIZED + timedelta(days=364))
    assert not retention.is_due(FINALIZED, clock.now(), under_open_dispute=False)
    clock.set(FINALIZED + timedelta(days=365) - timedelta(microseconds=1))
    assert not retention.is_due(FINALIZED, clock.now(), under_open_dispute=False)
    clock.set(FINALIZED + timedelta(days=365))
    assert retention.is_due(FINALIZED, clock.now(), under_open_dispute=False)
    clock.set(FINALIZED + timedelta(days=366))
    assert retention.is_due(FINALIZED, clock.now(), under_open_dispute=False)


def test_an_open_dispute_keeps_the_shot_until_it_is_closed() -> None:
    retention = ShotRetention.of_days(30)
    clock = ManualClock(FINALIZED + timedelta(days=400))
    assert not retention.is_due(FINALIZED, clock.now(), under_open_dispute=True)
    clock.set(clock.now() + timedelta(days=1))  # resolved meanwhile: the next run deletes
    assert retention.is_due(FINALIZED, clock.now(), under_open_dispute=False)


def test_the_weeks_bound_selects_exactly_the_weeks_past_their_period() -> None:
    retention = ShotRetention.of_days(365)
    for now in (
        FINALIZED + timedelta(days=365),
        FINALIZED + timedelta(days=365) - timedelta(seconds=1),
        utc(2028, 3, 1, 13, 7),
    ):
        bound = retention.expired_weeks_bound(now)
        for offset in range(-3, 4):
            week = week_start(now - timedelta(days=365 + 12)) + timedelta(weeks=offset)
            due = retention.is_due(WeekTimeline(week).finalize_at, now, under_open_dispute=False)
            assert (week <= bound) == due, (now, week)
    assert retention.week_expires_at(utc(2026, 11, 5, 9)) == FINALIZED + timedelta(days=365)


@pytest.mark.parametrize("days", [0, -1, 36_501])
def test_a_period_out_of_range_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 36500 days"):
        ShotRetention.of_days(days)


def test_the_setting_gives_the_period(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).shot_retention == ShotRetention.of_days(365)
    monkeypatch.setenv("WORKDIARY_SHOT_RETENTION_DAYS", "90")
    assert Settings.from_env(tmp_path).shot_retention.period == timedelta(days=90)


@pytest.mark.parametrize("value", ["0", "-5", "1.5", "a year", "", "36501"])
def test_a_bad_retention_setting_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("WORKDIARY_SHOT_RETENTION_DAYS", value)
    with pytest.raises(ValidationError, match="whole number of days from 1 to 36500"):
        Settings.from_env(tmp_path)


def test_the_server_stops_on_a_bad_retention_setting(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "billing.cli", "run-jobs", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "WORKDIARY_SHOT_RETENTION_DAYS": "0"},
    )
    assert result.returncode == 2, result.stderr
    assert "shot_retention_days" in result.stderr and "whole number of days" in result.stderr
    assert "Traceback" not in result.stderr
