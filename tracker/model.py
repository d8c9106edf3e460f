"""The tracker's record types: what a stored slot is, independent of where it is stored.

The store (``tracker.store``) reads and writes these; the session builds them; the sync
client sends them. None of them knows about SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from tracker.capture_choice import ActivitySource
from tracker.shot import ShotFile
from tracker.slots import SLOT_LENGTH, slot_key

# Sync waits this long after a slot ends before sending it (the user may still delete
# it or answer an idle prompt); the setting may not go past MAX_HOLD.
DEFAULT_HOLD = timedelta(minutes=10)
MAX_HOLD = timedelta(hours=24)

ShotState = Literal["taken", "none", "off", "unavailable", "manual"]
SyncState = Literal["pending", "synced", "rejected"]


class SlotNotFound(KeyError):
    """No such (live) slot: it was never written, or it was deleted meanwhile."""


@dataclass(frozen=True)
class MinuteActivity:
    """One tracked minute of a slot: its index (0–9) and event counts."""

    index: int
    key_events: int = 0
    mouse_events: int = 0

    @property
    def active(self) -> bool:
        return self.key_events > 0 or self.mouse_events > 0


@dataclass(frozen=True)
class Slot:
    """A slot as written by the session and read back by the UI and sync client.

    ``shot_state``: "taken" (``shot`` set), "none" (tracking stopped before the shot
    instant), "off" (the contract had screenshots off), "unavailable" (grab failed or
    blank; ``capture_note`` says why), "manual" (manual time has no shot).
    ``idle_hold``: part of an idle span not yet answered — not synced until it is.
    ``clock_jump``: the wall clock jumped (changed by hand, or the machine slept) while
    the slot was tracked; the jumped span is not in its minutes.
    ``capture_source``: the capture provenance (``x11``, ``portal``, ``none:<reason>``;
    None when no capture was attempted); ``activity_source``: where the active minutes
    come from (:mod:`tracker.capture_choice`).
    """

    contract_id: int
    slot_start: datetime
    memo: str
    minutes: tuple[MinuteActivity, ...]
    manual: bool = False
    shot: ShotFile | None = None
    shot_state: ShotState = "none"
    capture_note: str | None = None
    idle_hold: bool = False
    over_limit: bool = False
    sync_state: SyncState = "pending"
    sync_reason: str | None = None
    synced_at: datetime | None = None
    deleted_at: datetime | None = None
    replaces_synced: bool = False
    server_may_hold: bool = False
    clock_jump: bool = False
    capture_source: str | None = None
    activity_source: ActivitySource = "input-counts"

    @property
    def slot_end(self) -> datetime:
        return self.slot_start + SLOT_LENGTH

    @property
    def key(self) -> str:
        return slot_key(self.slot_start)

    @property
    def minute_count(self) -> int:
        return len(self.minutes)

    @property
    def active_minutes(self) -> int:
        return sum(1 for minute in self.minutes if minute.active)

    @property
    def activity_level(self) -> float:
        return self.active_minutes / self.minute_count if self.minutes else 0.0
