"""What the uploader tells the UI: one immutable snapshot per change, through callbacks.

No Qt here: the UI registers plain callables and re-posts them onto its own thread
(they are called on the uploader's thread).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

log = logging.getLogger(__name__)


class SyncPhase(Enum):
    """The uploader's condition (same names as ``ui.view_state.SyncBadge``)."""

    SIGNED_OUT = "signed_out"  # no token, or the server revoked it: sign in again
    UP_TO_DATE = "up_to_date"  # nothing left to send
    WAITING = "waiting"  # work queued; the next pass is scheduled
    UPLOADING = "uploading"
    OFFLINE = "offline"  # server unreachable or failing (network, timeout, 5xx): backing off
    ERROR = "error"  # the server refused something for good; the slot says why


@dataclass(frozen=True)
class UploaderStatus:
    """What the uploader publishes: its phase, counts of slots by sync state, and what
    happened last.

    ``pending``: finished slots past the hold window not yet on the server, plus
    deletions not yet sent. ``rejected``: slots the server refused (each keeps its reason).
    ``synced_this_run``: slots uploaded since the uploader started.
    ``held``: finished slots still inside the hold window (kept here on purpose, until
    ``held_until`` for the first of them). ``synced_this_week``: slots of the current
    week (Monday 00:00 UTC) the server holds.
    """

    phase: SyncPhase = SyncPhase.WAITING
    pending: int = 0
    synced_this_run: int = 0
    deleted_this_run: int = 0
    rejected: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    last_synced_at: datetime | None = None
    held: int = 0
    held_until: datetime | None = None
    synced_this_week: int = 0


@dataclass(frozen=True)
class SlotRejected:
    """The server refused a slot (or its deletion) for good."""

    contract_id: int
    slot_start: datetime
    reason: str


@dataclass(frozen=True)
class OverLimit:
    """The server stored minutes of this contract's week beyond the cap (never billed)."""

    contract_id: int
    slot_start: datetime
    over_limit_minutes: int


StateListener = Callable[[UploaderStatus], None]
RejectionListener = Callable[[SlotRejected], None]
OverLimitListener = Callable[[OverLimit], None]


class SyncSignals:
    """The uploader's callbacks: ``on_state_changed``, ``on_slot_rejected``,
    ``on_over_limit``, ``on_contracts_refreshed``. A listener that raises is logged and
    never stops the uploader."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = UploaderStatus()
        self.state_listeners: list[StateListener] = []
        self.rejection_listeners: list[RejectionListener] = []
        self.over_limit_listeners: list[OverLimitListener] = []
        self.contracts_listeners: list[Callable[[], None]] = []

    @property
    def state(self) -> UploaderStatus:
        with self._lock:
            return self._state

    def update(self, **changes: object) -> UploaderStatus:
        with self._lock:
            new_state = replace(self._state, **changes)  # type: ignore[arg-type]
            changed = new_state != self._state
            self._state = new_state
        if changed:
            for listener in list(self.state_listeners):
                _call(listener, new_state)
        return new_state

    def slot_rejected(self, event: SlotRejected) -> None:
        for listener in list(self.rejection_listeners):
            _call(listener, event)

    def over_limit(self, event: OverLimit) -> None:
        for listener in list(self.over_limit_listeners):
            _call(listener, event)

    def contracts_refreshed(self) -> None:
        for listener in list(self.contracts_listeners):
            _call(listener)


def _call(listener: Callable[..., None], *args: object) -> None:
    try:
        listener(*args)
    except Exception:
        log.exception("a sync listener raised; the uploader carries on")
