"""The real sync adapter's sign-in errors, over real HTTP on loopback."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.ui.harness import MONDAY_9, tray_app
from tracker.clock import ManualClock
from tracker.store import open_store
from ui.app import real_account
from ui.ports import SignInError
from ui.settings import AppSettings
from ui.sync_adapter import SyncAccount


class _RefusingHandler(BaseHTTPRequestHandler):
    """Answers every token request the way the server does for a wrong password."""

    def do_POST(self) -> None:
        body = json.dumps({"detail": "wrong e-mail or password"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def refusing_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_wrong_password_and_unreachable_server_read_clearly(
    tmp_path: Path, refusing_server: str
) -> None:
    with open_store(tmp_path / "data", TEST_SHOT_KEYS) as store:
        account = SyncAccount(store, ManualClock(MONDAY_9), lambda: 10)
        with pytest.raises(SignInError, match=r"^Wrong email or password\.$"):
            account.sign_in(refusing_server, "freelancer@demo.test", "nope")
        closed = f"http://127.0.0.1:{_closed_port()}"
        with pytest.raises(SignInError, match=r"^Cannot reach http://127\.0\.0\.1:"):
            account.sign_in(closed, "freelancer@demo.test", "demo")
        account.stop_uploading()


def test_unreachable_server_shown_on_the_sign_in_page(qtbot: QtBot, tmp_path: Path) -> None:
    with tray_app(qtbot, tmp_path, account_factory=real_account,
                  settings=AppSettings()) as app:
        page = app.shell.timer_window.sign_in
        page.server_url.setText(f"http://127.0.0.1:{_closed_port()}")
        page.email.setText("freelancer@demo.test")
        page.password.setText("demo")
        with qtbot.waitSignal(app.controller.sign_in_failed, timeout=10_000):
            qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
        assert page.error.isVisible()
        assert page.error.text().startswith("Cannot reach http://127.0.0.1:")
        assert page.sign_in_button.text() == "Sign in"
