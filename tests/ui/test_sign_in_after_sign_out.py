"""Issue 14: after sign-out the sign-in page offers the server just used, not the
address it was filled with at start (an earlier ./dev run's port), so signing in again
works."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.fakes import FakeAccount
from tests.ui.harness import ACME, tray_app
from tracker.clock import Clock
from tracker.store import Store
from ui.ports import Account, SignInError
from ui.settings import AppSettings

EARLIER_RUN = "http://127.0.0.1:41001"
THIS_RUN = "http://127.0.0.1:41002"


class OneServerAccount(FakeAccount):
    """Only the server of this run answers; any other address cannot be reached."""

    def sign_in(self, server_url: str, email: str, password: str) -> Account:
        if server_url != THIS_RUN:
            raise SignInError(f"Cannot reach {server_url} — check the address and your "
                              "connection.")
        return super().sign_in(server_url, email, password)


def test_sign_in_again_after_sign_out_reaches_the_server_just_used(
    qtbot: QtBot, tmp_path: Path, styled_app: QApplication, screens_dir: Path
) -> None:
    def factory(store: Store, _clock: Clock, _settings: Callable[[], AppSettings]
                ) -> OneServerAccount:
        return OneServerAccount(lambda: store, [ACME])

    earlier = AppSettings(server_url=EARLIER_RUN, last_email="freelancer@demo.test")
    with tray_app(qtbot, tmp_path, settings=earlier, account_factory=factory) as app:
        page = app.shell.timer_window.sign_in
        assert page.server_url.text() == EARLIER_RUN  # filled at start from the last run
        with qtbot.waitSignal(app.controller.signed_in, timeout=5000):  # --server-url
            app.controller.sign_in(THIS_RUN, "freelancer@demo.test", "demo")

        app.controller.sign_out()
        app.shell.show_timer()
        assert page.server_url.text() == THIS_RUN
        assert page.email.text() == "freelancer@demo.test"
        assert page.password.text() == ""
        assert page.grab().save(str(screens_dir / "sign-in-after-sign-out.png"))

        qtbot.keyClicks(page.password, "demo")
        with qtbot.waitSignal(app.controller.signed_in, timeout=5000):
            qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
        assert app.controller.status.signed_in
        assert app.controller.status.server_url == THIS_RUN
