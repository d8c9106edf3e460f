"""A fake ``org.freedesktop.portal.Desktop`` Screenshot portal on a private bus (jeepney).

It behaves as the real one does in each case the client must handle:

* ``reply``: writes a PNG (world-readable, like xdg-desktop-portal-wlr's out.png) and
  answers Response 0 with its uri — ``early`` sends that Response before the method
  reply, as a fast portal can;
* ``silent``: returns the handle and never sends a Response (a missing permission);
* ``no-reply``: never answers the call at all;
* ``denied``: Response 1 (cancelled: the permission store said no).

Request.Close calls are recorded (``closed``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from jeepney import (  # type: ignore[import-untyped]
    DBusAddress,
    HeaderFields,
    new_method_return,
    new_signal,
)
from PIL import Image

from tests.support.dbus_service import DBusService
from tracker.capture_portal import (
    PORTAL_NAME,
    REQUEST_INTERFACE,
    request_path,
)

Mode = Literal["reply", "early", "silent", "no-reply", "denied"]


@dataclass
class FakeScreenshotPortal:
    address: str
    shot_dir: Path
    mode: Mode = "reply"
    image: Image.Image = field(default_factory=lambda: Image.new("RGB", (64, 32), (200, 30, 30)))
    file_bytes: bytes | None = None  # written instead of ``image`` (a truncated shot)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.service = DBusService(self.address, PORTAL_NAME, {
            "Screenshot": self._screenshot, "Get": self._get, "Close": self._close})

    @property
    def shot_file(self) -> Path:
        return self.shot_dir / "out.png"  # one fixed name, as xdg-desktop-portal-wlr 0.7

    @property
    def closed(self) -> list[str]:
        return [path for path, member, _ in self.service.calls if member == "Close"]

    def close(self) -> None:
        self.service.close()

    def _get(self, message: Any) -> Any:
        return new_method_return(message, "v", (("u", 2),))

    def _close(self, message: Any) -> Any:
        return new_method_return(message)

    def _screenshot(self, message: Any) -> Any:
        _parent, options = message.body
        self.requests.append(dict(options))
        sender = message.header.fields[HeaderFields.sender]
        handle = request_path(sender, options["handle_token"][1])
        reply = new_method_return(message, "o", (handle,))
        if self.mode == "no-reply":
            return None
        if self.mode == "silent":
            return reply
        if self.mode == "denied":
            response = self._response(handle, 1, {})
        else:
            if self.file_bytes is None:
                self.image.save(self.shot_file, "PNG")
            else:
                self.shot_file.write_bytes(self.file_bytes)
            os.chmod(self.shot_file, 0o644)
            response = self._response(handle, 0, {"uri": ("s", self.shot_file.as_uri())})
        if self.mode == "early":
            self.service.connection.send(response)
            return reply
        self.service.connection.send(reply)
        return response

    def _response(self, handle: str, code: int, results: dict[str, Any]) -> Any:
        request = DBusAddress(handle, interface=REQUEST_INTERFACE)
        return new_signal(request, "Response", "ua{sv}", (code, results))
