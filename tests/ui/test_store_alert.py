"""The tray app on a real full disk (a 4 MiB tmpfs as its data dir): tracking goes on,
the tray icon and the timer window say why nothing is saved, and once space is back
every minute is in the store (DOMAIN.md, "Never lose tracked time")."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.tracker.mounts import fill, tmpfs
from tests.ui.conftest import OFFSCREEN_NOISE
from tests.ui.harness import ACME, MONDAY_9, tray_app
from ui.icons import TrayState
from ui.tray import tray_state_for


def _screenshot(app_window: QPixmap, tray_icon: QPixmap, path: Path) -> None:
    """The timer window with the tray icon (the real panel has none under Xvfb) beside it."""
    canvas = QPixmap(app_window.width() + tray_icon.width() + 24, app_window.height())
    canvas.fill()
    painter = QPainter(canvas)
    painter.drawPixmap(0, 0, app_window)
    painter.drawPixmap(app_window.width() + 12, 12, tray_icon)
    painter.end()
    assert canvas.save(str(path))


# the offscreen platform has no tray host; Qt says so when the icon is shown
@pytest.mark.qt_log_ignore(OFFSCREEN_NOISE, "systemTrayWindowChanged")
def test_disk_full_alert_in_tray_and_timer_then_every_minute_saved(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    with tmpfs(tmp_path / "data", "4m") as disk, tray_app(qtbot, tmp_path, use_tray=True) as app:
        app.sign_in()
        tray = app.shell.tray
        assert tray is not None
        notices: list[tuple[str, bool]] = []
        app.controller.notice_posted.connect(lambda title, _text, critical: notices.append(
            (title, critical)))
        app.controller.start(ACME.id, "Invoice export")
        app.advance(12 * 60, typing=True)
        filler = fill(disk)
        app.advance(8 * 60 - 1, typing=True)  # 09:19:59
        assert tray_state_for(app.controller.status) is TrayState.TRACKING
        assert not app.controller.status.alert
        app.advance(1, step=1, typing=True)  # 09:20:00: slot 09:10 is handed to the worker
        app.advance(1, step=1, typing=True)  # the next tick reads its failure
        status = app.controller.status
        assert status.alert.startswith("Not saved: disk full — 10 min kept in memory")
        assert ("Cannot save tracked time: disk full", True) in notices
        assert tray.state is TrayState.STORE_ALERT
        assert "Not saved: disk full" in tray.status_action.text()
        app.advance(5 * 60, typing=True)  # 09:25:02: still tracking, still alerting
        app.shell.show_timer()
        page = app.shell.timer_window.tracking
        assert app.controller.session.tracking and page.start_stop.text() == "Stop"
        assert "Not saved: disk full" in page.notice.text() and page.notice.isVisibleTo(
            app.shell.timer_window)
        assert page.today.text() == "0:25"  # the minutes in memory count
        day = app.controller.diary_day(MONDAY_9)
        assert [(s.slot_start.minute, s.unsaved) for s in day.slots] == [
            (0, False), (10, True), (20, False)]
        assert day.slots[1].reason == "kept in memory: disk full"

        window = app.shell.timer_window
        # a window manager grows the window to its new minimum; the offscreen platform
        # does not pass size hints on, so do it here
        window.resize(window.width(), max(window.height(), window.sizeHint().height()))
        QApplication.processEvents()
        _screenshot(window.grab(), tray.icon.icon().pixmap(64, 64),
                    screens_dir / "store-alert-disk-full.png")

        filler.unlink()
        app.advance(70, typing=True)  # the retry a minute after the last attempt succeeds
        assert app.controller.status.alert == ""
        assert tray_state_for(app.controller.status) is TrayState.TRACKING
        assert ("Tracked time saved", False) in notices
        app.controller.stop()
        stored = app.controller.store.slots_between(MONDAY_9, MONDAY_9 + timedelta(hours=1))
        assert [s.minute_count for s in stored] == [10, 10, 6]  # 09:00 … 09:26: 0 lost


def test_a_failing_tick_is_caught_and_shown_not_raised(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Invoice export")
        app.advance(5 * 60, typing=True)
        notices: list[tuple[str, bool]] = []
        app.controller.notice_posted.connect(lambda title, _text, critical: notices.append(
            (title, critical)))
        app.controller.store._conn.close()  # every read of the store now raises
        app.advance(10 * 60, typing=True)  # would raise out of the QTimer slot before
        assert app.controller.status.alert.startswith("Tracking problem: ")
        assert notices.count(("Tracking problem", True)) == 1  # told once, not every second
        assert app.controller.session.tracking
