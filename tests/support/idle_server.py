"""Fake compositor idle monitors on a private bus (jeepney): GNOME's Mutter IdleMonitor
and the freedesktop ScreenSaver (KDE). ``idle_ms`` is what the next call answers;
``not_supported`` makes the ScreenSaver answer as kscreenlocker does on Wayland."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from jeepney import new_error, new_method_return  # type: ignore[import-untyped]

from tests.support.dbus_service import DBusService
from tracker.idle_dbus import MUTTER, SCREENSAVER

Kind = Literal["mutter", "screensaver"]


@dataclass
class FakeIdleMonitor:
    address: str
    kind: Kind = "mutter"
    idle_ms: int = 0
    not_supported: bool = False

    def __post_init__(self) -> None:
        spec = MUTTER if self.kind == "mutter" else SCREENSAVER
        self.service = DBusService(self.address, spec.address.bus_name,
                                   {spec.method: self._answer})

    @property
    def calls(self) -> int:
        return len(self.service.calls)

    def close(self) -> None:
        self.service.close()

    def _answer(self, message: Any) -> Any:
        if self.not_supported:
            return new_error(message, "org.freedesktop.DBus.Error.NotSupported", "s",
                             ("GetSessionIdleTime is not supported on this platform",))
        signature = "t" if self.kind == "mutter" else "u"
        return new_method_return(message, signature, (self.idle_ms,))
