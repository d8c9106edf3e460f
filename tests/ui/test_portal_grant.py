"""The first portal shot is taken with our window in front (GNOME grants only then),
against a fake Screenshot portal on a private session bus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.support.portal_server import FakeScreenshotPortal
from tests.support.session_bus import private_session_bus
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.ui.conftest import SCREENS_DIR
from tracker.capture import ScreenCapturer
from tracker.capture_portal import PortalGrabber
from tracker.clock import ManualClock, utc
from tracker.store import Store
from ui.background import BackgroundTasks
from ui.portal_grant import GRANT_SETTING, PortalGrantDialog, needs_first_grant


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[FakeScreenshotPortal]:
    with private_session_bus() as address:
        fake = FakeScreenshotPortal(address, tmp_path)
        try:
            yield fake
        finally:
            fake.close()


def test_the_first_grant_is_asked_once_with_the_window_in_front(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, portal: FakeScreenshotPortal
) -> None:
    capturer = ScreenCapturer(PortalGrabber(portal.address, timeout_s=5), provenance="portal")
    tasks = BackgroundTasks()
    with Store(tmp_path / "data", TEST_SHOT_KEYS) as store:
        try:
            assert needs_first_grant(capturer, store)
            assert not needs_first_grant(ScreenCapturer(PortalGrabber()), store)  # x11
            portal.mode = "denied"
            dialog = PortalGrantDialog(capturer, store, tasks, ManualClock(utc(2026, 12, 1)))
            qtbot.addWidget(dialog)
            dialog.show()
            with qtbot.waitSignal(tasks.task_finished, timeout=10_000):
                dialog.allow.click()
            assert "refused: no permission" in dialog.status.text()
            assert dialog.allow.isEnabled() and needs_first_grant(capturer, store)
            SCREENS_DIR.mkdir(parents=True, exist_ok=True)
            assert dialog.grab().save(str(SCREENS_DIR / "portal_grant_refused.png"))

            portal.mode = "reply"
            portal.image = Image.new("RGB", (64, 32), (240, 240, 240))
            portal.image.paste((20, 60, 200), (8, 8, 40, 24))  # not blank
            with qtbot.waitSignal(dialog.granted, timeout=10_000):
                dialog.allow.click()
            assert store.get_setting(GRANT_SETTING) is not None
            assert not needs_first_grant(capturer, store)
            assert len(portal.requests) == 2 and not portal.shot_file.exists()
        finally:
            tasks.shutdown()
