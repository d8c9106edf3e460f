"""Where a StatusNotifierWatcher runs, the tray icon is a StatusNotifierItem on D-Bus.

The watcher (status-notifier-watcher) and a host (gtk-sni-tray-standalone) are Debian's,
on a private dbus-daemon and a private Xvfb. Qt registers the item itself; this checks
that ours is there, with our tooltip, icon pixels and menu (com.canonical.dbusmenu), and
that its tooltip follows the state once tracking starts (signed in to the real server).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jeepney import DBusAddress, Properties, new_method_call  # type: ignore[import-untyped]
from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]
from jeepney.wrappers import unwrap_msg  # type: ignore[import-untyped]

from tests.e2e import seed
from tests.support.server import running_server
from tests.support.session_bus import private_session_bus
from tests.support.xvfb import xvfb

ROOT = Path(__file__).resolve().parents[2]
WATCHER = DBusAddress("/StatusNotifierWatcher", bus_name="org.kde.StatusNotifierWatcher",
                      interface="org.kde.StatusNotifierWatcher")
ITEM_INTERFACE = "org.kde.StatusNotifierItem"


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    if shutil.which(args[0]) is None:
        pytest.fail(f"{args[0]} is not installed: ./dev test installs it")
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(condition: Callable[[], Any], what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
    return value


class Bus:
    def __init__(self, address: str) -> None:
        self.connection = open_dbus_connection(address)

    def call(self, message: Any) -> Any:
        return unwrap_msg(self.connection.send_and_get_reply(message, timeout=10))

    def get(self, address: DBusAddress, name: str) -> Any:
        try:
            return self.call(Properties(address).get(name))[0][1]
        except Exception:  # the name is not on the bus yet
            return None


@pytest.fixture
def sni_desktop(tmp_path: Path) -> Iterator[tuple[dict[str, str], Bus]]:
    with private_session_bus() as address, xvfb(((1280, 800),)) as server:
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address, DISPLAY=server.display,
                   HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "config"),
                   XDG_DATA_HOME=str(tmp_path / "data"), QT_QPA_PLATFORM="xcb",
                   PYTHONPATH=str(ROOT),
                   # the private bus can activate gnome-keyring, whose first use waits on
                   # an unlock prompt on this display: the token is not what this tests
                   PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
        bus = Bus(address)
        watcher = _start(["status-notifier-watcher"], env)
        host = _start(["gtk-sni-tray-standalone"], env)
        try:
            _wait_for(lambda: bus.get(WATCHER, "IsStatusNotifierHostRegistered"),
                      "a StatusNotifierHost on the watcher")
            yield env, bus
        finally:
            for process in (host, watcher):
                process.terminate()
                process.wait(timeout=10)
            bus.connection.close()


def _menu_labels(bus: Bus, service: str, menu_path: str) -> list[str]:
    menu = DBusAddress(menu_path, bus_name=service, interface="com.canonical.dbusmenu")
    _revision, (_id, _props, children) = bus.call(
        new_method_call(menu, "GetLayout", "iias", (0, -1, ["label"])))
    # each child is a variant ("(ia{sv}av)", (id, properties, children))
    return [child[1][1].get("label", ("s", ""))[1] for child in children]


def _start_app(env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ui.app", "--data-dir", env["XDG_DATA_HOME"], "--config-dir",
         env["XDG_CONFIG_HOME"], "--quit-after", "90", *extra],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _our_item(bus: Bus) -> tuple[str, DBusAddress]:
    [item] = _wait_for(lambda: bus.get(WATCHER, "RegisteredStatusNotifierItems"),
                       "our item on the watcher")
    service, _, path = item.partition("/")
    return service, DBusAddress("/" + (path or "StatusNotifierItem"), bus_name=service,
                                interface=ITEM_INTERFACE)


def _tooltip_title(bus: Bus, address: DBusAddress) -> str:
    tooltip = bus.get(address, "ToolTip")
    return str(tooltip[2]) if tooltip else ""


@pytest.mark.slow
@pytest.mark.xvfb
def test_the_item_follows_the_state_once_tracking_starts(
    sni_desktop: tuple[dict[str, str], Bus], tmp_path: Path
) -> None:
    env, bus = sni_desktop
    with running_server(tmp_path / "server") as server:
        seed.create_demo(server)
        app = _start_app(dict(env, WORKDIARY_PASSWORD="demo"), "--server-url",
                         server.base_url, "--email", "freelancer@demo.test", "--start-tracking",
                         "--accept-terms")
        try:
            _service, address = _our_item(bus)
            # sign-in, contract refresh and the first tick run behind a loaded suite: 60 s
            _wait_for(lambda: _tooltip_title(bus, address).startswith("Workdiary — Tracking"),
                      "the item's tooltip to say Tracking", timeout=60)
        finally:
            app.terminate()
            output, _ = app.communicate(timeout=30)
    assert "Workdiary running" in output


@pytest.mark.slow
@pytest.mark.xvfb
def test_the_tray_icon_is_a_status_notifier_item_with_our_icon_and_menu(
    sni_desktop: tuple[dict[str, str], Bus],
) -> None:
    env, bus = sni_desktop
    app = _start_app(env)
    try:
        service, address = _our_item(bus)
        # the item can register before the app has read its account (a loaded machine):
        # the tooltip says "Not signed in" for that moment, then the app's state
        _wait_for(lambda: _tooltip_title(bus, address).startswith("Workdiary — Stopped"),
                  "the item's tooltip to say Stopped", timeout=30)
        _icon_name, pixmaps, title, _text = bus.get(address, "ToolTip")
        assert title.startswith("Workdiary — Stopped")
        assert pixmaps or bus.get(address, "IconPixmap")  # our PNGs, sent as pixels
        labels = _menu_labels(bus, service, bus.get(address, "Menu"))
        assert {"Start tracking", "Open work diary", "Quit Workdiary"} <= set(labels), labels
    finally:
        app.terminate()
        output, _ = app.communicate(timeout=30)
    assert "Workdiary running" in output
