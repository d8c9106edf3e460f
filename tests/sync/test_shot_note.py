"""Why a slot has no shot is read from the slot itself, not from a contract cache."""

from __future__ import annotations

from datetime import UTC, datetime

from sync.wire import slot_body
from tracker.model import MinuteActivity, ShotState, Slot

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _slot(shot_state: ShotState) -> Slot:
    return Slot(7, START, "memo", (MinuteActivity(0, 1, 1),), shot_state=shot_state)


def test_the_body_names_screenshots_off_from_the_slot_state() -> None:
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert slot_body(_slot("off"), now)["shot_note"] == "screenshots_off"
    assert slot_body(_slot("none"), now)["shot_note"] == "stopped_before_shot"
    assert slot_body(_slot("unavailable"), now)["shot_note"] == "capture_unavailable"
