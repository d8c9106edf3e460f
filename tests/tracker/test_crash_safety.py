"""SIGKILL a tracking process at random moments: every slot it reported finished must be
in the store, intact and exactly once, and the store must open cleanly. The soak with
a thousand kill points and more is bench/crash_soak.py."""

from __future__ import annotations

from pathlib import Path

from tests.tracker.crash_soak import CrashSoak

KILLS = 200


def test_killed_tracker_loses_no_finished_slot(tmp_path: Path) -> None:
    soak = CrashSoak(tmp_path / "data", seed=97)
    try:
        soak.run(KILLS)
    finally:
        soak.close()
    result = soak.final_check()
    assert result.problems == []
    assert (result.lost, result.doubled) == (0, 0)
    assert result.kill_points == KILLS
    assert result.finished_slots >= KILLS
    assert result.integrity == "ok"
    # the raw file agrees: one row per slot, minutes only for rows that exist
    assert result.orphan_minute_rows == 0
