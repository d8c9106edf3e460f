"""The app's diary says how each slot's shot was taken and where its activity came from."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from tests.ui.conftest import SCREENS_DIR as SCREENS
from tests.ui.harness import ACME, MONDAY_9, tray_app
from tracker.model import MinuteActivity, Slot


def test_idle_watch_and_portal_slots_are_labelled(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication
) -> None:
    with tray_app(qtbot, tmp_path) as app:
        app.sign_in()
        minutes = tuple(MinuteActivity(index, 0, 2) for index in range(10))
        store = app.controller.store
        store.write_slot(Slot(ACME.id, MONDAY_9, "on Wayland", minutes, shot_state="unavailable",
                              capture_note="the screenshot portal did not answer within 10 s",
                              capture_source="portal", activity_source="idle-watch"))
        store.write_slot(Slot(ACME.id, MONDAY_9 + timedelta(minutes=10), "on X11", minutes,
                              shot_state="none", capture_source="x11"))
        app.shell.show_diary(MONDAY_9)
        diary = app.shell.diary_window
        chips = {cell.slot.memo: cell.findChild(QLabel, "sync_chip")
                 for cell in diary.cells() if cell.slot is not None}
        wayland, x11 = chips["on Wayland"], chips["on X11"]
        assert wayland is not None and x11 is not None
        assert "idle time" in wayland.text() and "idle time" not in x11.text()
        assert "Screenshot: desktop screenshot portal." in wayland.toolTip()
        assert "idle time (no event counts)" in wayland.toolTip()
        assert "Screenshot: X11 screen grab." in x11.toolTip()
        assert "event counts" in x11.toolTip()
        SCREENS.mkdir(parents=True, exist_ok=True)
        QApplication.processEvents()
        assert diary.grab().save(str(SCREENS / "diary_wayland_provenance.png"))
