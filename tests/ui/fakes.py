"""Small hand-written fakes for the tray app's ports (no MagicMock)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from PIL import Image, ImageDraw

from tracker.activity import ActivityCounter
from tracker.cap import week_start
from tracker.contract import Contract
from tracker.store import Store
from ui.ports import Account, SignInError
from ui.view_state import SyncBadge, SyncStatus


class PaintedScreen:
    """A grabber returning a small desktop-like picture; records the thread it ran on."""

    def __init__(self) -> None:
        self.grab_threads: list[int] = []

    def grab(self) -> Image.Image:
        self.grab_threads.append(threading.get_ident())
        image = Image.new("RGB", (640, 360), (30, 41, 59))
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 0, 640, 22), fill=(71, 85, 105))
        for row in range(12):
            draw.rectangle((24, 40 + row * 24, 120 + (row * 53) % 480, 52 + row * 24),
                           fill=(148, 163, 184))
        return image


class TypingHands:
    """An input source the test drives: ``press(n)`` counts n key events."""

    def __init__(self) -> None:
        self.counter: ActivityCounter | None = None

    def start(self, counter: ActivityCounter) -> None:
        self.counter = counter

    def stop(self) -> None:
        self.counter = None

    def press(self, times: int = 1) -> None:
        if self.counter is not None:
            for _ in range(times):
                self.counter.record_key()


class FakeAccount:
    """An AccountPort: one user, a contract list written to the store like sync does."""

    def __init__(self, store_dir_store: Callable[[], Store], contracts: list[Contract],
                 password: str = "demo", reachable: bool = True) -> None:
        self._store = store_dir_store
        self.contracts = contracts
        self.password = password
        self.reachable = reachable
        self.nudges = 0
        self.uploading = False
        self.on_status: Callable[[SyncStatus], None] | None = None

    def restore(self) -> Account | None:
        return None

    def sign_in(self, server_url: str, email: str, password: str) -> Account:
        if not self.reachable:
            raise SignInError(f"Cannot reach {server_url} — check the address and your "
                              "connection.")
        if password != self.password:
            raise SignInError("Wrong email or password.")
        return Account(server_url, email)

    def sign_out(self) -> None:
        pass

    def refresh_contracts(self, now: datetime) -> list[Contract]:
        fetched = [replace(c, server_week_start=week_start(now), fetched_at=now)
                   for c in self.contracts]
        self._store().save_contracts(fetched)
        return fetched

    def start_uploading(self, on_status: Callable[[SyncStatus], None]) -> None:
        self.uploading = True
        self.on_status = on_status
        on_status(SyncStatus(SyncBadge.UP_TO_DATE))

    def stop_uploading(self) -> None:
        self.uploading = False

    def nudge(self) -> None:
        self.nudges += 1
