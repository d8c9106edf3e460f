""""What was sent" lists each uploaded slot with what it carried: minutes, active
minutes, event counts (never keys), the screenshot's size, the memo."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, MONDAY_9, tray_app
from tests.ui.screens import save_screen


def test_what_was_sent_lists_the_uploaded_slots_only(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    with tray_app(qtbot, tmp_path, start=MONDAY_9 + timedelta(hours=2)) as app:
        app.sign_in()
        store = app.controller.store
        app.controller.start(ACME.id, "Invoice export")
        app.advance(25 * 60, typing=True)  # 11:00, 11:10 stored; 11:20 in progress
        app.controller.stop()
        app.controller.add_manual_time(ACME.id, MONDAY_9, MONDAY_9 + timedelta(minutes=10),
                                       "Call with the client")
        sent_at = app.clock.now()
        for start in (MONDAY_9, MONDAY_9.replace(hour=11)):  # as the uploader marks them
            assert store.mark_synced(ACME.id, start, sent_at)
        app.shell.show_timer()
        qtbot.mouseClick(app.shell.timer_window.tracking.sent_button, Qt.MouseButton.LeftButton)
        window = app.shell.sent_window
        assert window is not None and window.isVisible()
        rows = window.rows()
        tracked = store.get_slot(ACME.id, MONDAY_9.replace(hour=11))
        assert tracked is not None and tracked.shot is not None
        keys = sum(m.key_events for m in tracked.minutes)
        assert [row[1:7] for row in rows] == [
            ("10", "10", f"{keys:,}", "0", f"{tracked.shot.width}×{tracked.shot.height}",
             "Invoice export"),
            ("10", "0", "0", "0", "manual time", "Call with the client"),
        ]  # newest first; 11:10 and 11:20 were not sent, so they are not listed
        assert "1" in rows[0][0] and rows[0][0].endswith("11:10")
        assert window.summary.text().startswith("2 slots in the last 7 days")
        save_screen(window, screens_dir / "what-was-sent.png")
