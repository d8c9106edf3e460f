"""Wall-clock jumps and a suspend on the whole tray app (ManualClock.jump moves the wall
clock and not the monotonic one — what a user changing the time, NTP, or a suspended
machine does). No time is billed for the jump, the slot after it is flagged in the
local diary, and billed time matches the time really tracked to within 1 s per jump."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, MONDAY_9, tray_app

BEFORE = 30 * 60 - 1  # tracked from 09:00:00 to the last tick before the jump, 09:29:59
AFTER = 70 * 60  # tracked after it


@pytest.mark.parametrize(
    ("jump", "repeated"),
    [
        pytest.param(timedelta(hours=1), timedelta(0), id="forward-1h"),
        pytest.param(-timedelta(hours=1), timedelta(hours=1), id="back-1h"),
        pytest.param(timedelta(days=1), timedelta(0), id="forward-1day"),
        # suspend: the monotonic clock stops while the machine sleeps, the wall clock not
        pytest.param(timedelta(minutes=30), timedelta(0), id="suspend-30min"),
    ],
)
def test_clock_jump_bills_no_time_for_the_jump_and_is_flagged(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, jump: timedelta,
    repeated: timedelta,
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        notices: list[str] = []
        app.controller.notice_posted.connect(lambda title, _text, _critical: notices.append(title))
        app.controller.start(ACME.id, "Jumpy clock")
        monotonic_start = app.clock.monotonic()
        app.advance(BEFORE, typing=True)
        app.clock.jump(jump)
        app.advance(1, step=1, typing=True)  # the first tick on the new wall time
        landed = app.clock.now()
        app.advance(AFTER, typing=True)
        app.controller.stop()
        tracked_seconds = app.clock.monotonic() - monotonic_start

        assert "System clock changed" in notices
        slots = app.controller.store.slots_between(MONDAY_9 - timedelta(days=1),
                                                   MONDAY_9 + timedelta(days=2))
        billed_seconds = 60 * sum(slot.minute_count for slot in slots)
        # a backward jump repeats wall minutes already logged: that repeat is the jump
        expected_seconds = tracked_seconds - repeated.total_seconds()
        assert abs(billed_seconds - expected_seconds) <= 1.0
        assert not any(
            MONDAY_9 + timedelta(minutes=30) <= slot.slot_start < MONDAY_9 + timedelta(
                minutes=30) + jump for slot in slots
        ), "time billed inside the jump"
        flagged = [slot.slot_start for slot in slots if slot.clock_jump]
        # the first slot logged after the jump (going back: once past the repeated span)
        assert flagged == [max(landed.replace(second=0), MONDAY_9 + timedelta(minutes=30))]
        assert all(slot.minute_count <= 10 for slot in slots)

        app.shell.show_diary(landed)
        diary = app.shell.diary_window
        cells = [cell for cell in diary.cells() if cell.slot is not None and cell.slot.clock_jump]
        assert len(cells) == 1
        chip = cells[0].findChild(QLabel, "sync_chip")
        assert chip is not None and "clock jump" in chip.text()
        assert "clock jumped" in chip.toolTip()
