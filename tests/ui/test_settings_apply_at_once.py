"""Settings and server terms apply at once, through the real app controller, the real
sync adapter and the real ``workdiary-server`` on loopback (ManualClock for time).

- the hold window: lengthened while a finished slot waits, the slot stays on this
  computer past the old window; shortened to 0, it goes at once;
- the weekly cap: a client's raise, learnt on the uploader's contract refresh, moves the
  week card and the stop-at-cap check while tracking goes on;
- the idle threshold: a shorter one asks about idle time the first time it passes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest
import requests
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from sync.state import SyncPhase, UploaderStatus
from tests.sync.backend import PASSWORD, Backend, Seeded, running_backend
from tests.ui.harness import MONDAY_9, TrayApp, tray_app
from ui.app import real_account
from ui.settings import AppSettings
from ui.sync_adapter import SyncAccount
from ui.view_state import SlotSyncState

SERVER_NOW = MONDAY_9 + timedelta(hours=10)  # same week, after every slot of these tests


@pytest.fixture
def backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Backend]:
    # no OS keyring and no real config dir: the token goes to a file under tmp_path
    monkeypatch.setattr(keyring, "get_keyring", keyring.backends.fail.Keyring)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    with running_backend(tmp_path / "server-data", SERVER_NOW) as running:
        yield running


class PassCounter:
    """Counts finished uploader passes (each goes UPLOADING → something else)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._previous = SyncPhase.WAITING
        self.finished = 0

    def __call__(self, state: UploaderStatus) -> None:
        with self._lock:
            if self._previous is SyncPhase.UPLOADING and state.phase is not SyncPhase.UPLOADING:
                self.finished += 1
            self._previous = state.phase


def _signed_in(app: TrayApp, backend: Backend, seeded: Seeded, qtbot: QtBot) -> PassCounter:
    with qtbot.waitSignal(app.controller.signed_in, timeout=15_000):
        app.controller.sign_in(backend.url, seeded.freelancer_email, PASSWORD)
    port = app.controller.account_port
    assert isinstance(port, SyncAccount) and port.service is not None
    counter = PassCounter()
    port.service.signals.state_listeners.append(counter)
    return counter


def _one_full_pass_from_now(app: TrayApp, counter: PassCounter, qtbot: QtBot) -> None:
    """Two nudges, two finished passes: the second began after this call."""
    port = app.controller.account_port
    assert port is not None
    for _ in range(2):
        seen = counter.finished

        def another_pass_finished(seen: int = seen) -> bool:
            return counter.finished > seen

        port.nudge()
        qtbot.waitUntil(another_pass_finished, timeout=15_000)


def _stop_uploading(app: TrayApp) -> None:
    """Stop the uploader thread and deliver its last status signals before the harness
    closes the store."""
    port = app.controller.account_port
    assert port is not None
    port.stop_uploading()
    QCoreApplication.processEvents()


def _apply_from_the_dialog(app: TrayApp, qtbot: QtBot, **changes: int) -> None:
    app.shell.show_settings()
    dialog = app.shell.settings_dialog
    assert dialog is not None
    for name, value in changes.items():
        getattr(dialog, name).setValue(value)
    with qtbot.waitSignal(dialog.saved, timeout=1000):
        dialog._on_buttons_accepted()


def test_a_longer_hold_window_keeps_a_waiting_slot_and_a_shorter_one_sends_it_at_once(
    qtbot: QtBot, tmp_path: Path, backend: Backend
) -> None:
    seeded = backend.seed_contract(MONDAY_9 - timedelta(days=1))
    settings = AppSettings(server_url=backend.url, hold_window_minutes=10)
    with tray_app(qtbot, tmp_path, account_factory=real_account, settings=settings) as app:
        counter = _signed_in(app, backend, seeded, qtbot)
        app.controller.accept_terms_without_asking = True  # as --accept-terms
        app.controller.start(seeded.contract_id, "Look before it goes")
        app.advance(10 * 60, typing=True)  # the 09:00 slot is finished, held until 09:20
        _apply_from_the_dialog(app, qtbot, hold_window=60)
        app.advance(11 * 60, typing=True)  # 09:21: past the old window
        _one_full_pass_from_now(app, counter, qtbot)
        assert backend.slot_rows(seeded.contract_id) == []
        states = [s.sync_state for s in app.controller.diary_day(MONDAY_9).slots]
        assert states[0] is SlotSyncState.HELD

        _apply_from_the_dialog(app, qtbot, hold_window=0)
        qtbot.waitUntil(lambda: len(backend.slot_rows(seeded.contract_id)) == 2, timeout=15_000)
        app.controller.stop()
        _stop_uploading(app)


def test_a_cap_raise_seen_while_tracking_moves_the_week_card_and_the_stop(
    qtbot: QtBot, tmp_path: Path, backend: Backend
) -> None:
    seeded = backend.seed_contract(MONDAY_9 - timedelta(days=1), cap_minutes=60)
    settings = AppSettings(server_url=backend.url, hold_window_minutes=0)
    with tray_app(qtbot, tmp_path, account_factory=real_account, settings=settings) as app:
        _signed_in(app, backend, seeded, qtbot)
        store = app.controller.store
        app.controller.accept_terms_without_asking = True  # as --accept-terms
        app.controller.start(seeded.contract_id, "Until the cap")
        assert app.controller.status.cap_minutes == 60
        app.advance(25 * 60, step=30, typing=True)
        client = backend.token(seeded.client_email)
        raised = requests.patch(
            f"{backend.url}/api/v1/contracts/{seeded.contract_id}",
            json={"weekly_cap_hours": 2},
            headers={"Authorization": f"Bearer {client}"},
            timeout=10,
        )
        assert raised.status_code == 200, raised.text
        # the next slot uploaded is followed by a contract refresh, which brings the raise
        app.advance(10 * 60, step=30, typing=True)

        def learnt() -> bool:
            cached = store.contract(seeded.contract_id)
            return cached is not None and cached.weekly_cap_minutes == 120

        qtbot.waitUntil(learnt, timeout=15_000)
        app.advance(40 * 60, step=30, typing=True)  # 10:15, beyond the old cap
        assert app.controller.session.tracking
        assert app.controller.status.cap_minutes == 120
        page = app.shell.timer_window.tracking
        assert page.week.text() == "1:15 / 2:00 h"  # the week card: the cap in force
        assert page.cap_left.text() == "0:45 h left this week"
        app.advance(50 * 60, step=30, typing=True)  # the new cap is where it stops
        assert not app.controller.session.tracking
        assert app.controller.status.week_minutes == 120
        _stop_uploading(app)


def test_a_shorter_idle_threshold_asks_the_first_time_it_passes(
    qtbot: QtBot, tmp_path: Path
) -> None:
    with tray_app(qtbot, tmp_path, settings=AppSettings(idle_threshold_minutes=10)) as app:
        app.sign_in()
        contract = app.controller.store.contracts()[0]
        app.controller.accept_terms_without_asking = True  # as --accept-terms
        app.controller.start(contract.id, "Writing")
        app.advance(3 * 60, typing=True)
        _apply_from_the_dialog(app, qtbot, idle_threshold=5)
        app.advance(6 * 60)  # away for 6 minutes: past the new threshold, not the old
        with qtbot.waitSignal(app.controller.idle_prompt_requested, timeout=1000):
            app.advance(10, typing=True)
        assert app.controller.status.idle_pending
        assert replace(app.controller.settings).idle_threshold_minutes == 5
