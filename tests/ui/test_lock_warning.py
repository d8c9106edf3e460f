"""Issue 14: on Monday before 12:00 UTC, slots of last week not synced yet are named with
the time left before the week locks, and Sync now sends the uploader to its queue."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, MONDAY_9, tray_app
from tracker.clock import utc
from ui.settings import AppSettings

SUNDAY_23 = utc(2026, 11, 22, 23, 0, 0)


def test_monday_morning_warns_about_last_weeks_unsynced_slots_with_sync_now(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    with tray_app(qtbot, tmp_path, start=SUNDAY_23,
                  settings=AppSettings(hold_window_minutes=10)) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Release notes")
        app.advance(30 * 60, step=20, typing=True)  # Sunday 23:00–23:30: three slots
        app.controller.stop()
        app.shell.show_timer()
        banner = app.shell.lock_banner
        assert banner.isHidden()  # Sunday: last week is this week, nothing to warn about

        app.clock.advance(MONDAY_9 + timedelta(hours=1) - app.clock.now())  # Monday 10:00 UTC
        app.controller.tick()
        assert banner.isVisible()
        assert banner.text.text() == (
            "3 slots from last week are not synced; the week locks in 2 h")
        assert app.shell.timer_window.grab().save(str(screens_dir / "lock-warning.png"))

        nudges = app.account.nudges
        qtbot.mouseClick(banner.sync_now, Qt.MouseButton.LeftButton)
        assert app.account.nudges == nudges + 1

        app.advance(75 * 60, step=60)  # 11:15: the count and the time left follow
        store = app.controller.store
        first = store.slots_between(SUNDAY_23, MONDAY_9)[0]
        store.mark_synced(ACME.id, first.slot_start, app.clock.now())
        app.advance(60)
        assert banner.text.text() == (
            "2 slots from last week are not synced; the week locks in 44 min")

        app.advance(45 * 60, step=60)  # 12:00: locked, nothing to do about it any more
        assert banner.isHidden()
