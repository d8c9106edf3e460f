"""Issue 14, end to end: a tray host (Debian's tint2) that starts after the app.

The real app (``python -m ui``) starts on a private X server with no tray: its timer
window is the app, with a bar that has Quit. The panel comes only after the app has
looked for a tray 40 times (the old code gave up after 15 looks, 30 s): the icon docks
then, and from then on closing the window leaves the app running in the tray.
``WORKDIARY_TRAY_CHECK_MS`` makes the app look every 100 ms so the test stays short.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from Xlib import X, protocol
from Xlib import display as xdisplay

from tests.support.tray_host import (
    docked_in_tray,
    shown_app_windows,
    tint2_tray,
    wait_for,
    x_query,
)
from tests.support.xvfb import XServer, xvfb
from tracker.capture_mss import MssGrabber
from ui.tray_watch import CHECK_INTERVAL_ENV

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "artifacts" / "screens"
CHECK_MS = 50
LOOKS_BEFORE_THE_PANEL = 40


@pytest.fixture
def bare_display() -> Iterator[XServer]:
    with xvfb(((1024, 700),)) as server:
        yield server


def _start_app(display: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb",
               PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(tmp_path / "xdg"),
               PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
               **{CHECK_INTERVAL_ENV: str(CHECK_MS)})
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # XEmbed here; the SNI path has its own test
    return subprocess.Popen(
        [sys.executable, "-m", "ui", "--data-dir", str(tmp_path / "data"),
         "--config-dir", str(tmp_path / "config")],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _save_window(display: str, window_id: str, path: Path) -> None:
    info = x_query(display, ["xwininfo", "-id", window_id])
    geometry = {key: int(value) for key, value in re.findall(
        r"(Absolute upper-left X|Absolute upper-left Y|Width|Height):\s+(\d+)", info)}
    left, top = geometry["Absolute upper-left X"], geometry["Absolute upper-left Y"]
    screen = MssGrabber(display).grab()
    screen.crop((left, top, left + geometry["Width"], top + geometry["Height"])).save(path)


def _close_like_a_window_manager(display: str, window_id: str) -> None:
    """WM_DELETE_WINDOW, as the title bar's close button sends it."""
    connection = xdisplay.Display(display)
    try:
        window = connection.create_resource_object("window", int(window_id, 16))
        protocols = connection.intern_atom("WM_PROTOCOLS")
        delete = connection.intern_atom("WM_DELETE_WINDOW")
        event = protocol.event.ClientMessage(window=window, client_type=protocols,
                                             data=(32, [delete, X.CurrentTime, 0, 0, 0]))
        window.send_event(event, event_mask=X.NoEventMask)
        connection.flush()
    finally:
        connection.close()


def _close_until_hidden(display: str, window_id: str, attempts: int = 5) -> None:
    """Close the window as a window manager does, again if it is still shown 3 s later.

    Under load (three busy loops beside the test), a close sent the moment tint2 had
    docked the icon was, in 3 of 6 runs, never delivered to the app as a close event
    (older code too); the same close sent again always was. A person cannot click that
    fast after a panel starts; the promise tested is that a close hides the window into
    the tray and does not quit the app."""
    for _ in range(attempts - 1):
        _close_like_a_window_manager(display, window_id)
        try:
            wait_for(lambda: window_id not in shown_app_windows(display), "the window to close",
                     timeout=3)
            return
        except AssertionError:
            continue
    _close_like_a_window_manager(display, window_id)
    wait_for(lambda: window_id not in shown_app_windows(display), "the window to close")


@pytest.mark.xvfb
def test_a_panel_started_after_the_app_gets_the_icon_and_the_window_then_closes_to_it(
    bare_display: XServer, tmp_path: Path
) -> None:
    display = bare_display.display
    SCREENS.mkdir(parents=True, exist_ok=True)
    app = _start_app(display, tmp_path)
    failure: AssertionError | None = None
    try:
        wait_for(lambda: bool(shown_app_windows(display)), "the app's window", timeout=60)
        assert not docked_in_tray(display)
        window_id = shown_app_windows(display)[0]
        _save_window(display, window_id, SCREENS / "fallback-window.png")

        time.sleep(LOOKS_BEFORE_THE_PANEL * CHECK_MS / 1000)  # the app keeps looking
        assert app.poll() is None
        with tint2_tray(display, tmp_path):
            wait_for(lambda: docked_in_tray(display), "the app's icon in tint2's tray")
            # docked: the window is no longer the whole app, so closing it hides it
            _close_until_hidden(display, window_id)
            time.sleep(0.5)
            assert app.poll() is None, "closing the window quit the app"
            assert docked_in_tray(display)
    except AssertionError as error:
        failure = error
    finally:
        app.send_signal(signal.SIGTERM)
        output, _ = app.communicate(timeout=30)
    # what the app logged (the tray appearing or going away) says why, if it failed
    assert failure is None, f"{failure}; the app's output:\n{output[-3000:]}"
    assert app.returncode == 0, output[-3000:]
    assert "Workdiary running" in output
    assert "a system tray appeared" in output
