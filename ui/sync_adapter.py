"""The :class:`ui.ports.AccountPort` over ``sync.service.SyncService``.

Translates sync's errors into sentences for the sign-in page and the uploader's
``UploaderStatus`` into the window's :class:`ui.view_state.SyncStatus`. One SyncService per
server URL: signing in to another server builds a new one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sync.errors import (
    ApiError,
    NotSignedIn,
    SecureConnectionFailed,
    TimedOut,
    TransportError,
)
from sync.http_transport import Transport
from sync.service import SyncService, remembered_server_url
from sync.state import SyncPhase, UploaderStatus
from tracker.clock import Clock
from tracker.contract import Contract
from tracker.store import Store
from ui.ports import Account, SignInError
from ui.view_state import SyncBadge, SyncStatus

log = logging.getLogger(__name__)

_PHASES = {
    SyncPhase.SIGNED_OUT: SyncBadge.SIGNED_OUT,
    SyncPhase.UP_TO_DATE: SyncBadge.UP_TO_DATE,
    SyncPhase.WAITING: SyncBadge.WAITING,
    SyncPhase.UPLOADING: SyncBadge.UPLOADING,
    SyncPhase.OFFLINE: SyncBadge.OFFLINE,
    SyncPhase.ERROR: SyncBadge.ERROR,
}


def sync_status(state: UploaderStatus) -> SyncStatus:
    return SyncStatus(
        state=_PHASES[state.phase],
        pending_slots=state.pending,
        next_attempt=state.next_attempt_at,
        last_synced=state.last_synced_at,
        message=state.last_error or "",
        held_slots=state.held,
        held_until=state.held_until,
        synced_slots=state.synced_this_week,
    )


def sign_in_message(error: Exception, server_url: str) -> str:
    """What the sign-in page says for a failed sign-in."""
    if isinstance(error, ApiError):
        if error.status == 401:
            return "Wrong email or password."
        if error.status == 422:
            return f"The server did not accept that sign-in: {error.reason}"
        if error.status == 404:
            return f"{server_url} does not look like a Workdiary server (no sign-in there)."
        return f"The server refused the sign-in ({error.status}): {error.reason}"
    if isinstance(error, SecureConnectionFailed):
        return f"Cannot make a secure connection to {server_url}: {error}"
    if isinstance(error, TimedOut):
        return f"{server_url} did not answer in time — try again."
    if isinstance(error, TransportError | OSError):
        return f"Cannot reach {server_url} — check the address and your connection."
    return f"Sign-in failed: {error}"


class SyncAccount:
    """AccountPort for the real app. ``hold_minutes`` gives the hold window in force; the
    uploader asks it at every pass, so a changed setting applies at once."""

    def __init__(self, store: Store, clock: Clock, hold_minutes: Callable[[], int],
                 transport: Transport | None = None) -> None:
        self._store = store
        self._transport = transport
        self._clock = clock
        self._hold_minutes = hold_minutes
        self._service: SyncService | None = None
        self._on_status: Callable[[SyncStatus], None] | None = None

    def _service_for(self, server_url: str) -> SyncService:
        url = server_url.rstrip("/")
        if self._service is None or self._service.account.server_url != url:
            if self._service is not None:
                self._service.stop()
            self._service = SyncService(
                self._store, url, clock=self._clock,
                hold=lambda: timedelta(minutes=self._hold_minutes()),
                transport=self._transport,
            )
            self._service.signals.state_listeners.append(self._on_uploader_state)
        return self._service

    @property
    def service(self) -> SyncService | None:
        """The sync service of the server signed in to (None before any sign-in)."""
        return self._service

    def restore(self) -> Account | None:
        url = remembered_server_url(self._store)
        if url is None:
            return None
        credentials = self._service_for(url).signed_in_as
        return None if credentials is None else Account(url, credentials.email)

    def sign_in(self, server_url: str, email: str, password: str) -> Account:
        service = self._service_for(server_url)
        try:
            credentials = service.sign_in(email, password)
        except (ApiError, TransportError, OSError) as error:
            raise SignInError(sign_in_message(error, server_url)) from error
        return Account(service.account.server_url, credentials.email)

    def sign_out(self) -> None:
        if self._service is not None:
            self._service.sign_out()

    def refresh_contracts(self, now: datetime) -> list[Contract]:
        if self._service is None:
            raise NotSignedIn("not signed in")
        return self._service.refresh_contracts()

    def start_uploading(self, on_status: Callable[[SyncStatus], None]) -> None:
        self._on_status = on_status
        if self._service is None:
            return
        on_status(sync_status(self._service.signals.state))
        try:
            self._service.start()
        except Exception as error:  # another uploader, or the token went away
            log.warning("uploading not started: %s", error)
            on_status(SyncStatus(SyncBadge.ERROR, message=str(error)))

    def stop_uploading(self) -> None:
        if self._service is not None:
            self._service.stop()

    def nudge(self) -> None:
        if self._service is not None:
            self._service.nudge()

    def _on_uploader_state(self, state: UploaderStatus) -> None:
        # called on the uploader's thread; the controller re-posts it to the GUI thread
        if self._on_status is not None:
            self._on_status(sync_status(state))
