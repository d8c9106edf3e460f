"""What the freelancer sees while working: the session's seconds (window and tray
tooltip), today across contracts, the slot's activity, and the last screenshot with
Delete and Blur while it is held."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image, UnidentifiedImageError
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.conftest import OFFSCREEN_NOISE
from tests.ui.harness import ACME, GLOBEX, MONDAY_9, tray_app
from tests.ui.screens import save_screen
from ui.session_clock import tray_tooltip

BLURRY_ACME = replace(ACME, blur_shots=True)


# the offscreen platform has no tray window to watch (see test_store_alert)
@pytest.mark.qt_log_ignore(OFFSCREEN_NOISE, "systemTrayWindowChanged")
def test_session_seconds_today_across_contracts_and_the_activity_meter(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    with tray_app(qtbot, tmp_path, use_tray=True) as app:
        app.sign_in()
        app.controller.start(GLOBEX.id, "Pipeline")
        app.advance(20 * 60, typing=True)
        app.controller.stop()
        app.controller.start(ACME.id, "Invoice export")
        app.shell.show_timer()
        page = app.shell.timer_window.tracking
        app.advance(3 * 60 + 7, typing=False)  # no input, short of the idle threshold
        app.hands.press(2)
        app.clock.advance(timedelta(seconds=1))
        app.controller.tick()
        assert page.session_clock.text() == "0:03:08"
        assert page.today.text() == "0:03"  # this contract
        assert page.today_all.text() == "0:23"  # and Globex's 20 min
        # the 09:20 slot: 09:20, 09:21, 09:22 tracked without input
        assert page.activity_meter.marks[:3] == (False, False, False)
        assert page.activity_text.text() == "0 of 3 min active"
        app.advance(2 * 60, typing=True)
        assert page.activity_text.text() == "2 of 5 min active"
        tooltip = tray_tooltip(app.controller.status, app.clock.now())
        assert tooltip.startswith(f"Workdiary — Tracking {ACME.title} · 0:05:08")
        assert "today 0:25 (all contracts)" in tooltip
        assert app.shell.tray is not None
        assert app.shell.tray.icon.toolTip() == tooltip  # the tray icon's, each second
        app.clock.advance(timedelta(seconds=1))
        app.controller.tick()
        assert "· 0:05:09 ·" in app.shell.tray.icon.toolTip()
        save_screen(app.shell.timer_window, screens_dir / "timer-live.png")


def test_the_last_shot_can_be_deleted_while_held_and_its_time_goes_with_it(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    with tray_app(qtbot, tmp_path, contracts=[BLURRY_ACME, GLOBEX]) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Backend")
        app.shell.show_timer()
        panel = app.shell.timer_window.tracking.last_shot
        app.advance(11 * 60, typing=True)  # the 09:00 slot is stored, its shot held
        shot = app.controller.status.last_shot
        assert shot is not None and shot.slot_start == MONDAY_9 and not shot.in_progress
        assert panel.isVisible() and panel.delete_button.isVisible()
        assert panel.blur_button.isVisible()  # the contract allows blur
        # held until 09:20 (slot end + the 10-minute hold window); now 09:11
        assert panel.when.text() == "Uploads in 9 min — until then you can delete it."
        save_screen(app.shell.timer_window, screens_dir / "timer-last-shot.png")
        week_before = app.controller.status.week_minutes
        qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
        assert app.controller.store.get_slot(ACME.id, MONDAY_9) is None
        assert app.controller.status.week_minutes == week_before - 10
        assert not shot.thumbnail_path.exists()
        assert not panel.isVisible()  # nothing left to show until the next shot


def test_delete_asked_while_the_slot_is_tracked_happens_when_it_ends(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Backend")
        app.shell.show_timer()
        panel = app.shell.timer_window.tracking.last_shot
        app.advance(9 * 60 + 50, typing=True)
        shot = app.controller.status.last_shot
        assert shot is not None and shot.in_progress
        assert not panel.blur_button.isVisible()  # this contract does not allow blur
        qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
        assert "when this slot ends at" in panel.when.text()
        assert not panel.delete_button.isEnabled()
        with qtbot.waitSignal(app.controller.last_shot.deleted, timeout=3000):
            app.advance(20, typing=True)  # 09:10: the slot is stored, then deleted
        assert app.controller.store.get_slot(ACME.id, MONDAY_9) is None
        app.advance(60, typing=True)
        assert [s.slot_start for s in app.controller.diary_day(MONDAY_9).slots] == [
            MONDAY_9.replace(minute=10)]


def test_blur_replaces_the_held_shot_and_is_gone_once_uploaded(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    with tray_app(qtbot, tmp_path, contracts=[BLURRY_ACME]) as app:
        app.sign_in()
        app.controller.start(ACME.id, "Backend")
        app.shell.show_timer()
        panel = app.shell.timer_window.tracking.last_shot
        app.advance(12 * 60, typing=True)
        before = app.controller.store.get_slot(ACME.id, MONDAY_9)
        assert before is not None and before.shot is not None
        with qtbot.waitSignal(app.controller.last_shot.changed, timeout=5000):
            qtbot.mouseClick(panel.blur_button, Qt.MouseButton.LeftButton)
        after = app.controller.store.get_slot(ACME.id, MONDAY_9)
        assert after is not None and after.shot is not None
        assert after.shot.sha256 != before.shot.sha256 and after.shot.path.is_file()
        assert not before.shot.path.exists()
        assert after.minute_count == 10 and after.memo == "Backend"  # only the picture changed
        # blurred from the decrypted picture and sealed again: still no image on disk
        with pytest.raises(UnidentifiedImageError):
            Image.open(after.shot.path)
        with Image.open(io.BytesIO(app.controller.store.read_shot(after))) as picture:
            assert picture.size == (before.shot.width, before.shot.height)
        assert panel.when.text().startswith("Blurred.") and not panel.blur_button.isVisible()
        save_screen(app.shell.timer_window, screens_dir / "timer-last-shot-blurred.png")
        app.controller.store.mark_sending(ACME.id, MONDAY_9)  # the uploader sent it
        app.advance(10, typing=True)
        app.controller.refresh()
        assert "Uploaded." in panel.when.text()
        assert not panel.delete_button.isVisible() and not panel.blur_button.isVisible()
