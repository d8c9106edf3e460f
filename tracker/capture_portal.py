"""The Wayland grabber: ``org.freedesktop.portal.Screenshot``, non-interactive, with jeepney.

The portal's request/response shape (XDG Desktop Portal docs, "Request"): the method
returns a request handle at once, and the result comes later as the handle's
``org.freedesktop.portal.Request.Response(u code, a{sv} results)`` signal — code 0
success (``results["uri"]`` names the PNG), 1 cancelled (the user or the permission
store said no), 2 failed. What this client does about each known trap:

* The handle is predictable (``/org/freedesktop/portal/desktop/request/SENDER/TOKEN``
  for our ``handle_token``), so the match rule is added *before* the call: a fast
  portal can answer before the call's own reply arrives.
* A missing permission can get no Response at all (GNOME waits for a dialog that
  needs our focused window): the whole request has one deadline, after which the
  request is closed and the slot says the portal did not answer.
* xdg-desktop-portal-wlr 0.7 has grim write every shot to one fixed file, ``out.png``
  in its temp directory, mode 0644 — world-readable. The file is read into memory and
  deleted at once, whatever the outcome of decoding it.

One blocking connection per grab: the capture runs on a worker thread six times an
hour, and a fresh connection cannot be left in a state by an earlier timeout.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from jeepney import (  # type: ignore[import-untyped]
    DBusAddress,
    DBusErrorResponse,
    MatchRule,
    Message,
    Properties,
    message_bus,
    new_method_call,
)
from jeepney.io.blocking import (  # type: ignore[import-untyped]
    DBusConnection,
    Proxy,
    open_dbus_connection,
)
from jeepney.wrappers import unwrap_msg  # type: ignore[import-untyped]

from tracker.shot import CaptureFailed

if TYPE_CHECKING:  # Pillow is loaded where a shot is decoded, not where this is imported
    from PIL import Image

PORTAL_NAME = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
SCREENSHOT_INTERFACE = "org.freedesktop.portal.Screenshot"
REQUEST_INTERFACE = "org.freedesktop.portal.Request"
SCREENSHOT = DBusAddress(PORTAL_PATH, bus_name=PORTAL_NAME, interface=SCREENSHOT_INTERFACE)
DEFAULT_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 3.0
# what opening the bus or talking to it can raise, besides our own timeouts
_BUS_FAULTS = (OSError, KeyError, ValueError, DBusErrorResponse)


def request_path(unique_name: str, token: str) -> str:
    """The handle the portal will use for ``token`` (the spec's documented form)."""
    sender = unique_name.lstrip(":").replace(".", "_")
    return f"{PORTAL_PATH}/request/{sender}/{token}"


def _response_rule(handle: str) -> MatchRule:
    return MatchRule(type="signal", interface=REQUEST_INTERFACE, member="Response", path=handle)


def file_of(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        raise CaptureFailed(f"the screenshot portal returned {uri!r}, not a file")
    return Path(unquote(parsed.path))


def take_file(path: Path) -> Image.Image:
    """Decode the shot the portal wrote, then delete it at once (decoded or not)."""
    from PIL import Image

    try:
        with Image.open(path) as picture:
            picture.load()
            return picture.convert("RGB")
    except (OSError, ValueError) as error:
        raise CaptureFailed(f"the screenshot portal's file is unreadable: {error}") from error
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def portal_present(bus: str = "SESSION", timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """A Screenshot portal answers on ``bus`` (its ``version`` property; this may start
    the portal by D-Bus activation)."""
    try:
        with open_dbus_connection(bus) as connection:
            reply = connection.send_and_get_reply(
                Properties(SCREENSHOT).get("version"), timeout=timeout_s)
            unwrap_msg(reply)
            return True
    except (*_BUS_FAULTS, TimeoutError):
        return False


class PortalGrabber:
    """A :class:`tracker.capture.Grabber` through the Screenshot portal.

    ``before_request`` runs before each request (the app uses it to know when GNOME
    may ask for permission). Raises :class:`CaptureFailed` with a reason a user can
    read; the blank check in :class:`tracker.capture.ScreenCapturer` still follows.
    """

    def __init__(
        self,
        bus: str = "SESSION",
        timeout_s: float = DEFAULT_TIMEOUT_S,
        parent_window: str = "",
        before_request: Callable[[], None] | None = None,
    ) -> None:
        self._bus = bus
        self._timeout_s = timeout_s
        self._parent_window = parent_window
        self._before_request = before_request

    def grab(self) -> Image.Image:
        if self._before_request is not None:
            self._before_request()
        try:
            connection = open_dbus_connection(self._bus)
        except _BUS_FAULTS as error:
            raise CaptureFailed(f"no session bus for the screenshot portal: {error}") from error
        with connection:
            code, results = self._request(connection)
        if code == 1:
            raise CaptureFailed("the screenshot was refused: no permission to take screenshots")
        if code != 0:
            raise CaptureFailed(f"the screenshot portal failed (response {code})")
        uri = results.get("uri")
        if uri is None:
            raise CaptureFailed("the screenshot portal answered without a file")
        return take_file(file_of(str(uri[1])))

    def _request(self, connection: DBusConnection) -> tuple[int, dict[str, tuple[str, object]]]:
        """Send one Screenshot request and wait for its Response (one deadline)."""
        deadline = time.monotonic() + self._timeout_s
        token = "workdiary_" + os.urandom(8).hex()
        handle = request_path(connection.unique_name, token)
        bus = Proxy(message_bus, connection, timeout=self._timeout_s)
        bus.AddMatch(_response_rule(handle))  # before the call: see the module docstring
        call = new_method_call(SCREENSHOT, "Screenshot", "sa{sv}", (
            self._parent_window, {"handle_token": ("s", token), "interactive": ("b", False)}))
        with connection.filter(_response_rule(handle), bufsize=4) as responses:
            try:
                reply = connection.send_and_get_reply(call, timeout=_left(deadline))
                returned = str(unwrap_msg(reply)[0])
            except TimeoutError as error:
                raise CaptureFailed(self._no_answer()) from error
            except DBusErrorResponse as error:
                raise CaptureFailed(f"the screenshot portal refused the call: {error}") from error
            if returned != handle:  # portals before 0.9 made up their own handle
                bus.AddMatch(_response_rule(returned))
                connection.filter(_response_rule(returned), queue=responses)
            try:
                response: Message = connection.recv_until_filtered(
                    responses, timeout=_left(deadline))
            except TimeoutError as error:
                _close_request(connection, returned)
                raise CaptureFailed(self._no_answer()) from error
        code, results = response.body
        return int(code), dict(results)

    def _no_answer(self) -> str:
        return (f"the screenshot portal did not answer within {self._timeout_s:g} s "
                "(no permission to take screenshots?)")


def _left(deadline: float) -> float:
    return max(0.001, deadline - time.monotonic())


def _close_request(connection: DBusConnection, handle: str) -> None:
    """End a request we stopped waiting for, so a late answer writes no file."""
    request = DBusAddress(handle, bus_name=PORTAL_NAME, interface=REQUEST_INTERFACE)
    with contextlib.suppress(*_BUS_FAULTS):
        connection.send(new_method_call(request, "Close"))

