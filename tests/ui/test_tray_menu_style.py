"""Issue 14: disabled tray menu items (the status line, Start at the cap) look disabled."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, tray_app
from ui.tray import TrayMenu


def _darkest_text(tray: TrayMenu, action: QAction) -> int:
    """The lightness of the darkest pixel in the action's row (its text), as drawn."""
    image = tray.menu.grab().toImage()
    row = tray.menu.actionGeometry(action)
    return min(QColor(image.pixel(x, y)).lightness()
               for x in range(row.left(), row.right())
               for y in range(row.top(), row.bottom()))


def test_disabled_menu_items_are_drawn_lighter_than_enabled_ones(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    capped = replace(ACME, weekly_cap_minutes=12, screenshots_enabled=False)
    with tray_app(qtbot, tmp_path, contracts=[capped]) as app:
        app.sign_in()
        # the menu the tray shows, fed by the app's own status (no tray host offscreen;
        # tests/e2e/test_tray_end_to_end.py docks the real one into tint2)
        tray = TrayMenu()
        app.controller.status_changed.connect(tray.show_status)
        app.controller.start(capped.id, "Up to the cap")
        app.advance(12 * 60, step=30, typing=True)  # tracking stops at the cap
        assert not app.controller.session.tracking
        app.advance(60, typing=True)  # a minute later, the stored slots count toward the week
        menu = tray.menu
        menu.ensurePolished()
        menu.adjustSize()
        assert not tray.status_action.isEnabled()
        assert not tray.start_stop_action.isEnabled()  # Start at the cap
        assert tray.start_stop_action.text() == "Start tracking"
        enabled = _darkest_text(tray, tray.memo_action)
        assert enabled < 60  # ink
        for disabled in (tray.status_action, tray.start_stop_action):
            assert _darkest_text(tray, disabled) > enabled + 80, disabled.text()
        assert menu.grab().save(str(screens_dir / "tray-menu-at-cap.png"))
