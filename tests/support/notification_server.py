"""A small org.freedesktop.Notifications server on a given bus, written with jeepney.

It answers ``GetCapabilities``, ``Notify`` (recording each call), ``CloseNotification``
and ``GetServerInformation``, and can emit ``ActionInvoked`` as a click on a button
would. The guide allows a fake for a desktop D-Bus service; the bus is a real one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from jeepney import (  # type: ignore[import-untyped]
    HeaderFields,
    MessageType,
    message_bus,
    new_method_return,
    new_signal,
)
from jeepney.io.threading import (  # type: ignore[import-untyped]
    ReceiveStopped,
    open_dbus_connection,
)

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


@dataclass
class NotificationServer:
    address: str
    capabilities: tuple[str, ...] = ("actions", "body")
    click_before_reply: str | None = None  # send this click before Notify's reply
    shown: list[Shown] = field(default_factory=list)
    _next_id: int = 1

    def __post_init__(self) -> None:
        self._connection = open_dbus_connection(self.address)
        self._owned = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self._connection.send(message_bus.RequestName(BUS_NAME))
        if not self._owned.wait(10):
            raise RuntimeError(f"could not own {BUS_NAME}")

    def wait_for(self, count: int, timeout: float = 10) -> list[Shown]:
        """Wait until ``count`` notifications have been shown; return all of them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.shown) >= count, timeout):
                raise AssertionError(f"{len(self.shown)} notifications shown, not {count}")
            return list(self.shown)

    def click(self, notification_id: int, action_key: str) -> None:
        self._connection.send(new_signal(SERVER, "ActionInvoked", "us",
                                         (notification_id, action_key)))

    def close(self) -> None:
        self._connection.close()
        self._thread.join(timeout=10)

    def _serve(self) -> None:
        try:
            while True:
                self._handle(self._connection.receive())
        except (ReceiveStopped, OSError, ValueError):
            return

    def _handle(self, message: Any) -> None:
        kind = message.header.message_type
        if kind is MessageType.method_return:
            self._owned.set()  # the reply to RequestName (our only call)
            return
        if kind is not MessageType.method_call:
            return
        member = message.header.fields.get(HeaderFields.member)
        if member == "GetCapabilities":
            reply = new_method_return(message, "as", (list(self.capabilities),))
        elif member == "GetServerInformation":
            reply = new_method_return(message, "ssss", ("fake", "workdiary-tests", "1", "1.2"))
        elif member == "Notify":
            notification_id = self._record(message.body)
            if self.click_before_reply is not None:
                self.click(notification_id, self.click_before_reply)
                time.sleep(0.3)  # the client's GUI thread sees the click well first
            reply = new_method_return(message, "u", (notification_id,))
        elif member == "CloseNotification":
            reply = new_method_return(message)
        else:
            return
        self._connection.send(reply)

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
