"""The compositor's idle time over D-Bus, for Wayland sessions where pynput sees nothing.

Only "how long since the last input" is asked — never which key or where, so this is
no keylogger (and evdev, which would need the ``input`` group, is not used).

* GNOME: ``org.gnome.Mutter.IdleMonitor`` at ``/org/gnome/Mutter/IdleMonitor/Core``,
  ``GetIdletime() → t`` in milliseconds.
* KDE (and others implementing the freedesktop screensaver draft):
  ``org.freedesktop.ScreenSaver.GetSessionIdleTime() → u``. KDE's kscreenlocker returns
  KIdleTime's milliseconds (the draft says seconds), and recent versions answer
  ``NotSupported`` on Wayland — such an answer means "not available", and the next
  source is tried.

The first source that answers is used. A monitor keeps one blocking connection and
is used from one thread (the poller's).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from jeepney import DBusAddress, DBusErrorResponse, new_method_call  # type: ignore[import-untyped]
from jeepney.io.blocking import DBusConnection, open_dbus_connection  # type: ignore[import-untyped]
from jeepney.wrappers import unwrap_msg  # type: ignore[import-untyped]

CALL_TIMEOUT_S = 2.0
_BUS_FAULTS = (OSError, KeyError, ValueError, TimeoutError, DBusErrorResponse)


class IdleUnavailable(Exception):
    """The idle-time source stopped answering."""


class IdleMonitor(Protocol):
    """Milliseconds since the last keyboard or pointer input, as the desktop counts it."""

    name: str

    def idle_ms(self) -> int: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class IdleSourceSpec:
    """Where one desktop's idle time is asked, and how its answer reads."""

    name: str
    address: DBusAddress
    method: str


MUTTER = IdleSourceSpec(
    "gnome-mutter",
    DBusAddress("/org/gnome/Mutter/IdleMonitor/Core", bus_name="org.gnome.Mutter.IdleMonitor",
                interface="org.gnome.Mutter.IdleMonitor"),
    "GetIdletime",
)
SCREENSAVER = IdleSourceSpec(
    "freedesktop-screensaver",
    DBusAddress("/org/freedesktop/ScreenSaver", bus_name="org.freedesktop.ScreenSaver",
                interface="org.freedesktop.ScreenSaver"),
    "GetSessionIdleTime",
)
SOURCES: tuple[IdleSourceSpec, ...] = (MUTTER, SCREENSAVER)


class DBusIdleMonitor:
    """One source's idle time over an open connection."""

    def __init__(self, connection: DBusConnection, spec: IdleSourceSpec) -> None:
        self._connection = connection
        self._spec = spec
        self.name = spec.name

    def idle_ms(self) -> int:
        try:
            reply = self._connection.send_and_get_reply(
                new_method_call(self._spec.address, self._spec.method), timeout=CALL_TIMEOUT_S)
            value = unwrap_msg(reply)[0]
        except _BUS_FAULTS as error:
            raise IdleUnavailable(f"{self.name}: {error}") from error
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise IdleUnavailable(f"{self.name} answered {value!r}, not an idle time")
        return value

    def close(self) -> None:
        self._connection.close()


def find_idle_monitor(
    bus: str = "SESSION", sources: Sequence[IdleSourceSpec] = SOURCES
) -> DBusIdleMonitor | None:
    """The first source on ``bus`` that answers with an idle time; None if none does."""
    try:
        connection = open_dbus_connection(bus)
    except _BUS_FAULTS:
        return None
    for spec in sources:
        monitor = DBusIdleMonitor(connection, spec)
        with contextlib.suppress(IdleUnavailable):
            monitor.idle_ms()
            return monitor
    connection.close()
    return None
