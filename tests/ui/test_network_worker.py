"""Network calls have their own worker: a sign-in stuck on a server that never answers
does not hold back a screenshot or a slot write (they run on the store's worker)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.ui.harness import ACME, MONDAY_9, tray_app
from ui.app import real_account


@contextmanager
def silent_server() -> Iterator[str]:
    """A TCP port that takes connections (the kernel's backlog does) and never answers."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()  # pending connections are reset: the stuck request fails now


def test_sign_in_stuck_on_a_silent_server_does_not_delay_capture(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))  # no real token file
    with tray_app(qtbot, tmp_path, account_factory=real_account) as app, \
            silent_server() as url:
        app.controller.store.save_contracts([ACME])
        app.controller.start(ACME.id, "Offline work")
        assert app.controller.session.tracking
        failures: list[str] = []
        app.controller.sign_in_failed.connect(failures.append)
        app.controller.sign_in(url, "freelancer@demo.test", "demo")
        started = time.monotonic()
        app.advance(21 * 60, typing=True)  # two slot ends, two shot instants
        elapsed = time.monotonic() - started
        day = app.controller.diary_day(MONDAY_9)
        assert [(s.minutes, s.thumbnail_path is not None) for s in day.slots[:2]] == [
            (10, True), (10, True)]
        assert app.screen.grab_threads
        assert threading.get_ident() not in app.screen.grab_threads
        assert elapsed < 5.0, f"captures waited {elapsed:.1f} s behind the sign-in"
        assert app.controller.network.pending >= 1  # the sign-in is still stuck
        assert failures == [] and app.controller.account is None
    # the reset connection fails the sign-in at once; the failure may already have been
    # delivered while the app shut down, so wait on what was recorded, not on the signal
    qtbot.waitUntil(lambda: bool(failures), timeout=10000)
    assert "Cannot reach" in failures[0]
