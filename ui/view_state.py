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
    UP_TO_DATE = "up_to_date"  # all that is due is sent (slots may still be held)
    WAITING = "waiting"  # slots past the hold window queued; the next pass is scheduled
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
    held_slots: int = 0  # finished, inside the hold window: on this computer on purpose
    held_until: datetime | None = None  # when the first held slot leaves the hold window
    synced_slots: int = 0  # this week's slots the server holds

    @property
    def offline(self) -> bool:
        return self.state is SyncBadge.OFFLINE


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
    # across every contract, today in local time (the slot in progress included)
    today_all_minutes: int = 0
    # the slot in progress minute by minute: None not tracked (yet), else active or not
    slot_activity: tuple[bool | None, ...] = ()
    last_shot: LastShotView | None = None

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
    # per minute 0–9: True active, False tracked without input, None not tracked
    minute_marks: tuple[bool | None, ...] = ()
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


@dataclass(frozen=True)
class LastShotView:
    """The last screenshot, for the timer window's preview (DOMAIN.md, Preview).

    ``in_progress``: its slot is still being tracked, so a Delete or Blur asked for now
    is carried out when the slot ends (``queued`` names it). ``upload_after`` is when the
    hold window ends; None while an unanswered idle prompt holds the slot.
    ``sent``: an upload of the slot went out — Delete still works (until the week
    locks), Blur no longer does.
    """

    contract_id: int
    slot_start: datetime
    taken_at: datetime
    thumbnail_path: Path
    in_progress: bool
    upload_after: datetime | None
    sent: bool
    blur_allowed: bool
    blurred: bool = False
    queued: str = ""  # "delete" or "blur": waiting for the slot to end
    problem: str = ""  # why the last Delete or Blur did not happen
    # the thumbnail decrypted in memory (shot files are sealed), or why it cannot be shown
    thumbnail: bytes = b""
    thumbnail_problem: str = ""
