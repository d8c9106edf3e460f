"""A small org.freedesktop.Notifications server on a given bus (on :mod:`dbus_service`).

It answers ``GetCapabilities``, ``Notify`` (recording each call), ``CloseNotification``
and ``GetServerInformation``, and can emit ``ActionInvoked`` as a click on a button
would. The guide allows a fake for a desktop D-Bus service; the bus is a real one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from jeepney import new_method_return, new_signal  # type: ignore[import-untyped]

from tests.support.dbus_service import DBusService
from ui.notifications import BUS_NAME, SERVER


@dataclass(frozen=True)
class Shown:
    notification_id: int
    replaces_id: int
    app_icon: str
    title: str
    body: str
    actions: tuple[str, ...]
    hints: dict[str, Any]


class NotificationServer:
    def __init__(
        self,
        address: str,
        capabilities: tuple[str, ...] = ("actions", "body"),
        click_before_reply: str | None = None,  # send this click before Notify's reply
    ) -> None:
        self.address = address
        self.capabilities = capabilities
        self.click_before_reply = click_before_reply
        self.shown: list[Shown] = []
        self._next_id = 1
        self._changed = threading.Condition()
        self._service = DBusService(address, BUS_NAME, {
            "GetCapabilities": lambda m: new_method_return(m, "as", (list(self.capabilities),)),
            "GetServerInformation": lambda m: new_method_return(
                m, "ssss", ("fake", "workdiary-tests", "1", "1.2")),
            "Notify": self._notify,
            "CloseNotification": new_method_return,
        })

    def wait_for(self, count: int, timeout: float = 10) -> list[Shown]:
        """Wait until ``count`` notifications have been shown; return all of them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.shown) >= count, timeout):
                raise AssertionError(f"{len(self.shown)} notifications shown, not {count}")
            return list(self.shown)

    def click(self, notification_id: int, action_key: str) -> None:
        self._service.connection.send(new_signal(SERVER, "ActionInvoked", "us",
                                                 (notification_id, action_key)))

    def close(self) -> None:
        self._service.close()

    def _notify(self, message: Any) -> Any:
        notification_id = self._record(message.body)
        if self.click_before_reply is not None:
            self.click(notification_id, self.click_before_reply)
            time.sleep(0.3)  # the client's GUI thread sees the click well first
        return new_method_return(message, "u", (notification_id,))

    def _record(self, body: tuple[Any, ...]) -> int:
        _app, replaces, icon, title, text, actions, hints, _expire = body
        notification_id = replaces or self._next_id
        if not replaces:
            self._next_id += 1
        with self._changed:
            self.shown.append(Shown(notification_id, replaces, icon, title, text,
                                    tuple(actions), dict(hints)))
            self._changed.notify_all()
        return notification_id
