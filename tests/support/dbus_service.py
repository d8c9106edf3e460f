"""A tiny D-Bus service on a real bus, written with jeepney: the base of our desktop fakes.

It owns one bus name and answers method calls with ``handle(message)``; a handler
returns the reply to send, or None to send nothing (a service that never answers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from jeepney import (  # type: ignore[import-untyped]
    HeaderFields,
    MessageType,
    message_bus,
    new_error,
)
from jeepney.io.threading import (  # type: ignore[import-untyped]
    ReceiveStopped,
    open_dbus_connection,
)

Handler = Callable[[Any], Any]


class DBusService:
    """Owns ``bus_name`` on ``address``; ``handlers`` map a member to its handler."""

    def __init__(self, address: str, bus_name: str, handlers: dict[str, Handler]) -> None:
        self.address = address
        self.bus_name = bus_name
        self.handlers = handlers
        self.calls: list[tuple[str, str, tuple[Any, ...]]] = []  # (path, member, body)
        self._changed = threading.Condition()
        self.connection = open_dbus_connection(address)
        self._owned = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        self.connection.send(message_bus.RequestName(bus_name))
        if not self._owned.wait(10):
            raise RuntimeError(f"could not own {bus_name}")

    def wait_for_call(self, member: str, timeout: float = 10) -> tuple[str, str, tuple[Any, ...]]:
        with self._changed:
            found = self._changed.wait_for(
                lambda: next((c for c in self.calls if c[1] == member), None), timeout)
        if found is None:
            raise AssertionError(f"no {member} call in {timeout} s: {self.calls}")
        return found

    def close(self) -> None:
        self.connection.close()
        self._thread.join(timeout=10)

    def _serve(self) -> None:
        try:
            while True:
                self._handle(self.connection.receive())
        except (ReceiveStopped, OSError, ValueError):
            return

    def _handle(self, message: Any) -> None:
        kind = message.header.message_type
        if kind is MessageType.method_return:
            self._owned.set()  # the reply to RequestName (our only call)
            return
        if kind is not MessageType.method_call:
            return
        fields = message.header.fields
        member = fields.get(HeaderFields.member)
        with self._changed:
            self.calls.append((fields.get(HeaderFields.path), member, tuple(message.body)))
            self._changed.notify_all()
        handler = self.handlers.get(member)
        if handler is None:
            reply = new_error(message, "org.freedesktop.DBus.Error.UnknownMethod", "s",
                              (f"no method {member}",))
        else:
            reply = handler(message)
        if reply is not None:
            self.connection.send(reply)
