"""A real system tray host for tests: Debian's tint2 panel with only its tray, on a
given X display, and the X queries that tell what the app shows there."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# only the tray (S): no taskbar, launcher or clock to draw or scan icons for
TINT2_TRAY_ONLY = """panel_items = S
panel_size = 100% 30
panel_position = bottom center horizontal
systray_padding = 2 2 4
systray_icon_size = 22
"""
APP_CLASS = '"Workdiary")'  # the WM_CLASS class xwininfo prints for the app's windows


def x_query(display: str, args: list[str]) -> str:
    done = subprocess.run(args, env=dict(os.environ, DISPLAY=display),
                          capture_output=True, text=True, timeout=10, check=False)
    return done.stdout


def say_one_desktop(display: str) -> None:
    """What a window manager says on the root window. tint2 waits 15 s for it at start
    (its get_desktops loop) and then goes on anyway; with it, tint2 is up in < 1 s."""
    x_query(display, ["xprop", "-root", "-f", "_NET_NUMBER_OF_DESKTOPS", "32c",
                      "-set", "_NET_NUMBER_OF_DESKTOPS", "1"])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)  # polling another process's X state: nothing to wait on instead


def tint2_windows(display: str) -> list[str]:
    return x_query(display, ["xdotool", "search", "--classname", "^tint2$"]).split()


def app_windows_under(display: str, window: str) -> list[str]:
    """Lines of ``xwininfo -tree`` under ``window`` (an id, or "root") that are the app's."""
    target = ["-root"] if window == "root" else ["-id", window]
    tree = x_query(display, ["xwininfo", "-tree", *target])
    return [line for line in tree.splitlines() if APP_CLASS in line]


def shown_app_windows(display: str) -> list[str]:
    """Ids of the app's mapped top-level windows bigger than Qt's 1×1 helpers."""
    shown = []
    for line in app_windows_under(display, "root"):
        window_id = line.split()[0]
        info = x_query(display, ["xwininfo", "-id", window_id])
        if "Map State: IsViewable" in info and "Width: 1\n" not in info:
            shown.append(window_id)
    return shown


def docked_in_tray(display: str) -> bool:
    return any(app_windows_under(display, panel) for panel in tint2_windows(display))


@contextmanager
def tint2_tray(display: str, config_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start tint2 (tray only) on ``display``; yields once its panel is mapped."""
    config = config_dir / "tint2rc"
    config.write_text(TINT2_TRAY_ONLY, encoding="utf-8")
    say_one_desktop(display)
    panel = subprocess.Popen(["tint2", "-c", str(config)], env=dict(os.environ, DISPLAY=display),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: bool(tint2_windows(display)), "tint2's panel")
        yield panel
    finally:
        panel.terminate()
        panel.wait(timeout=10)
