"""What the tray app needs from the sync client, as a port the composition root fills.

``ui.sync_adapter`` implements it over ``sync/``; tests use a small hand-written fake.
Every method may block on the network, so the controller calls them on the worker
thread — except :meth:`AccountPort.start_uploading`'s callback, which arrives on the
uploader's thread and is re-posted to the GUI thread by the controller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tracker.contract import Contract
from ui.view_state import SyncStatus


class SignInError(Exception):
    """Sign-in failed; the message is for the user (wrong password, unreachable …)."""


@dataclass(frozen=True)
class Account:
    server_url: str
    email: str


class AccountPort(Protocol):
    def restore(self) -> Account | None:
        """The account of a token kept from an earlier run, or None (no network)."""
        ...

    def sign_in(self, server_url: str, email: str, password: str) -> Account:
        """Raises :class:`SignInError` with a message fit for the sign-in page."""
        ...

    def sign_out(self) -> None: ...

    def refresh_contracts(self, now: datetime) -> list[Contract]:
        """Fetch the hourly contracts and cache them in the tracker store."""
        ...

    def start_uploading(self, on_status: Callable[[SyncStatus], None]) -> None: ...

    def stop_uploading(self) -> None: ...

    def nudge(self) -> None:
        """Something changed locally (slot closed, slot deleted): look at the queue soon."""
        ...
