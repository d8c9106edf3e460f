"""What the windows show: plain snapshots the controller builds from tracker and sync.

Widgets render these and nothing else, so a window can be drawn (and tested, and
rendered to PNG) from a snapshot without a running session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path

from tracker.capture_choice import ActivitySource
from tracker.contract import Contract


class SyncBadge(Enum):
    """The badge the timer window's footer and the tray show for the uploader's condition."""

    SIGNED_OUT = "signed_out"
    UP_TO_DATE = "up_to_date"
    WAITING = "waiting"  # slots held locally (hold window) or queued
    UPLOADING = "uploading"
    OFFLINE = "offline"  # server unreachable; retrying with backoff
    ERROR = "error"  # the server refused something; the slot shows why


@dataclass(frozen=True)
class SyncStatus:
    state: SyncBadge = SyncBadge.SIGNED_OUT
    pending_slots: int = 0
    next_attempt: datetime | None = None
    last_synced: datetime | None = None
    message: str = ""


@dataclass(frozen=True)
class TimerStatus:
    """Everything the timer window and the tray menu show."""

    signed_in: bool = False
    account_email: str = ""
    server_url: str = ""
    contracts: tuple[Contract, ...] = ()
    contract_id: int | None = None
    tracking: bool = False
    memo: str = ""
    tracking_since: datetime | None = None
    today_minutes: int = 0
    week_minutes: int = 0
    cap_minutes: int | None = None
    idle_pending: bool = False
    capture_problem: str = ""
    # persistent until it is over: the store cannot be written, or a tick failed
    alert: str = ""
    sync: SyncStatus = field(default_factory=SyncStatus)

    @property
    def contract(self) -> Contract | None:
        return next((c for c in self.contracts if c.id == self.contract_id), None)

    @property
    def over_cap(self) -> bool:
        return self.cap_minutes is not None and self.week_minutes >= self.cap_minutes


class SlotSyncState(Enum):
    HELD = "held"  # inside the hold window: still only on this computer, on purpose
    PENDING = "pending"  # waiting for the uploader
    SYNCED = "synced"
    REJECTED = "rejected"  # the server refused it; ``reason`` says why


@dataclass(frozen=True)
class DiarySlot:
    """One 10-minute slot of the local diary."""

    contract_id: int
    slot_start: datetime
    minutes: int
    active_minutes: int
    memo: str
    sync_state: SlotSyncState
    manual: bool = False
    thumbnail_path: Path | None = None
    shot_path: Path | None = None
    capture_unavailable: bool = False
    reason: str = ""
    in_progress: bool = False
    clock_jump: bool = False  # the clock jumped while it was tracked; the jump is not in it
    unsaved: bool = False  # finished, kept in memory until the store can be written
    # how the shot was taken and where activity came from (tracker.capture_choice texts)
    capture_source: str | None = None
    activity_source: ActivitySource = "input-counts"


@dataclass(frozen=True)
class DiaryDay:
    """A local day of one contract's diary (``day_start`` is local midnight, aware)."""

    day_start: datetime
    contract: Contract | None
    slots: tuple[DiarySlot, ...] = ()

    @property
    def total_minutes(self) -> int:
        return sum(slot.minutes for slot in self.slots)
