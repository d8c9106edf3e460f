"""Desktop notifications through ``org.freedesktop.Notifications`` on the session bus.

The Desktop Notifications Specification (1.2): ``Notify`` shows a notice and returns
its id; ``ActionInvoked(id, action_key)`` says which button the user pressed;
``NotificationClosed(id, reason)`` ends it. Only servers whose ``GetCapabilities``
lists ``actions`` show buttons, so a notice sent elsewhere goes without them.

jeepney's threading router reads the bus on its own thread. Its matched signals are
handed to a Qt signal, so ``action_invoked`` reaches the GUI thread by a queued
connection. ``Notify`` goes out on one worker thread: a slow notification server never
blocks the GUI.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from jeepney import (  # type: ignore[import-untyped]
    DBusAddress,
    DBusErrorResponse,
    HeaderFields,
    MatchRule,
    Message,
    message_bus,
    new_method_call,
)
from jeepney.io.threading import (  # type: ignore[import-untyped]
    DBusRouter,
    Proxy,
    open_dbus_connection,
)
from jeepney.wrappers import unwrap_msg  # type: ignore[import-untyped]
from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
SERVER = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
APP_NAME = "Workdiary"
APP_ICON = "workdiary"  # the hicolor name the .deb installs
CALL_TIMEOUT_S = 5.0
# urgency hint values (spec: "Urgency Levels")
_NORMAL, _CRITICAL = 1, 2
# the D-Bus errors and socket faults that mean "no usable notification server"
BUS_FAULTS = (OSError, KeyError, ValueError, TimeoutError, DBusErrorResponse)


@dataclass(frozen=True)
class Notice:
    """One notice. A later notice with the same ``tag`` replaces the earlier one.

    ``actions`` are (key, label) pairs; the key comes back in ``action_invoked``.
    """

    tag: str
    title: str
    body: str
    actions: tuple[tuple[str, str], ...] = ()
    urgent: bool = False
    expire_ms: int = -1  # -1: the server's default


class _ToCallback(queue.Queue[Message]):
    """A jeepney filter queue that hands each message straight to a callback."""

    def __init__(self, callback: Callable[[Message], None]) -> None:
        super().__init__()
        self._callback = callback

    def put_nowait(self, item: Message) -> None:
        self._callback(item)


class DesktopNotifications(QObject):
    """A client of the desktop's notification server.

    Signals: ``action_invoked(tag, action_key)`` on the GUI thread;
    ``failed(reason)`` when a ``Notify`` call failed (the server went away).
    """

    action_invoked = Signal(str, str)
    failed = Signal(str)
    _signal_arrived = Signal(str, int, str)  # member, notification id, action key

    def __init__(self, router: DBusRouter, capabilities: frozenset[str]) -> None:
        super().__init__()
        self._router = router
        self.capabilities = capabilities
        self._lock = threading.Lock()
        self._closed = False
        self._tag_by_id: dict[int, str] = {}
        self._id_by_tag: dict[str, int] = {}
        # A click can reach the GUI thread before the worker has recorded Notify's reply
        # (the reply and the signal travel on different threads); hold it until then.
        self._early_clicks: dict[int, str] = {}
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="notify")
        self._signal_arrived.connect(self._on_signal_arrived)
        rule = MatchRule(type="signal", interface=BUS_NAME, path=OBJECT_PATH)
        Proxy(message_bus, router, timeout=CALL_TIMEOUT_S).AddMatch(rule)
        self._filter = router.filter(rule, queue=_ToCallback(self._on_bus_message))

    @classmethod
    def open(cls, bus: str = "SESSION") -> DesktopNotifications | None:
        """Connect to ``bus`` (``SESSION`` or an address); None when there is no bus or
        no notification server on it — the caller falls back to tray balloons."""
        try:
            connection = open_dbus_connection(bus)
        except BUS_FAULTS as error:
            log.info("no session bus (%s): notices go to the tray", error)
            return None
        router = DBusRouter(connection)
        try:
            reply = router.send_and_get_reply(
                new_method_call(SERVER, "GetCapabilities"), timeout=CALL_TIMEOUT_S)
            notifications = cls(router, frozenset(unwrap_msg(reply)[0]))
        except BUS_FAULTS as error:
            log.info("no notification server (%s): notices go to the tray", error)
            router.close()
            connection.close()
            return None
        log.info("desktop notifications: %s", ", ".join(sorted(notifications.capabilities)))
        return notifications

    @property
    def supports_actions(self) -> bool:
        return "actions" in self.capabilities

    def show(self, notice: Notice) -> None:
        self._sender.submit(self._send, notice)

    def close(self) -> None:
        """Stop sending and listening; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        self._sender.shutdown(wait=True)
        self._filter.close()
        self._router.close()
        self._router.conn.close()

    # -- worker thread ----------------------------------------------------------------
    def _send(self, notice: Notice) -> None:
        actions: list[str] = []
        if self.supports_actions:
            for key, label in notice.actions:
                actions += [key, label]
        hints = {"urgency": ("y", _CRITICAL if notice.urgent else _NORMAL),
                 "desktop-entry": ("s", APP_ICON)}
        with self._lock:
            replaces = self._id_by_tag.get(notice.tag, 0)
        message = new_method_call(SERVER, "Notify", "susssasa{sv}i", (
            APP_NAME, replaces, APP_ICON, notice.title, notice.body, actions, hints,
            notice.expire_ms))
        try:
            reply = self._router.send_and_get_reply(message, timeout=CALL_TIMEOUT_S)
            notification_id = int(unwrap_msg(reply)[0])
        except BUS_FAULTS as error:
            log.warning("notification %r not shown: %s", notice.title, error)
            self.failed.emit(str(error))
            return
        with self._lock:
            self._tag_by_id.pop(replaces, None)
            self._tag_by_id[notification_id] = notice.tag
            self._id_by_tag[notice.tag] = notification_id
            early_click = self._early_clicks.pop(notification_id, None)
        if early_click is not None:
            self._signal_arrived.emit("ActionInvoked", notification_id, early_click)

    # -- router thread, then GUI thread -------------------------------------------------
    def _on_bus_message(self, message: Message) -> None:
        member = message.header.fields.get(HeaderFields.member)
        if member == "ActionInvoked":
            self._signal_arrived.emit(member, int(message.body[0]), str(message.body[1]))
        elif member == "NotificationClosed":
            self._signal_arrived.emit(member, int(message.body[0]), "")

    def _on_signal_arrived(self, member: str, notification_id: int, action_key: str) -> None:
        with self._lock:
            tag = self._tag_by_id.get(notification_id)
            if member == "NotificationClosed" and tag is not None:
                del self._tag_by_id[notification_id]
                if self._id_by_tag.get(tag) == notification_id:
                    del self._id_by_tag[tag]
            if member == "ActionInvoked" and tag is None:
                if len(self._early_clicks) >= 16:  # clicks on other programs' notices
                    del self._early_clicks[next(iter(self._early_clicks))]
                self._early_clicks[notification_id] = action_key
        if member == "ActionInvoked" and tag is not None:
            self.action_invoked.emit(tag, action_key)
