"""When the server stops accepting the app's token because it expired, the reason
reaches the screen: the uploader's 401 from the real server (injected clock moved past
the token's idle lifetime) becomes "Signed out: session expired" in the window's sync
line and in one desktop notice."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import keyring.backends.fail
from pytestqt.qtbot import QtBot

from sync.credentials import CredentialStore
from sync.service import SyncService
from sync.state import SyncPhase, UploaderStatus
from tests.billing.support import make_backend
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.sync.diary import write_slot
from tests.ui.conftest import SCREENS_DIR
from tests.ui.harness import tray_app
from tracker.clock import ManualClock
from tracker.store import Store
from ui.sync_adapter import sync_status
from ui.view_state import SyncBadge


def _expired_uploader_state(tmp_path: Path) -> UploaderStatus:
    """Sign in, sync, leave the app unused past the idle lifetime, then sync again."""
    with make_backend(f"sqlite:///{tmp_path / 'billing.sqlite3'}", tmp_path / "server") as server:
        client, freelancer = server.user("client"), server.user("freelancer")
        contract = server.hourly(client, freelancer)
        clock = ManualClock(server.clock.now())
        credentials = CredentialStore(keyring.backends.fail.Keyring(), tmp_path / "config")
        with Store(tmp_path / "data", TEST_SHOT_KEYS) as store:
            service = SyncService(
                store, server.client.base_url, clock=clock, credentials=credentials,
                hold=timedelta(0),
            )
            service.sign_in(freelancer.email, "secret")
            service.uploader.drain()
            assert service.signals.state.phase is not SyncPhase.SIGNED_OUT
            idle = server.settings.api_token_idle_lifetime + timedelta(minutes=10)
            server.clock.advance(idle)
            clock.advance(idle)
            write_slot(store, contract, server.clock.now() - timedelta(minutes=20),
                       random.Random(3))
            service.uploader.drain()
            state = service.signals.state
            service.stop()
    return state


def test_an_expired_token_says_signed_out_session_expired(qtbot: QtBot, tmp_path: Path) -> None:
    state = _expired_uploader_state(tmp_path)
    assert state.phase is SyncPhase.SIGNED_OUT
    assert state.last_error == "Signed out: session expired"
    with tray_app(qtbot, tmp_path / "app") as app:
        notices: list[str] = []
        app.controller.notice_posted.connect(lambda title, _text, _critical: notices.append(title))
        app.sign_in()
        window = app.shell.timer_window
        forward = app.account.on_status  # what SyncAccount hands the uploader's states to
        assert forward is not None
        shown = sync_status(state)
        assert shown.state is SyncBadge.SIGNED_OUT
        forward(shown)
        qtbot.waitUntil(lambda: "Signed out: session expired" in window.tracking.sync_label.text())
        assert notices == ["Signed out: session expired"]
        forward(shown)  # the same state again: no second notice
        qtbot.waitUntil(lambda: window.tracking.sync_label.text().startswith("Signed out"))
        assert notices == ["Signed out: session expired"]
        SCREENS_DIR.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(SCREENS_DIR / "signed-out-session-expired.png"))
