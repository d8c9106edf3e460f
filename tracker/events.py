"""Plain events the tracking session emits; the UI subscribes and shows them.

Every event is a frozen dataclass; instants are aware UTC. Subscribers are called on
the thread that called the session (the UI's tick thread).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class TrackingStarted:
    contract_id: int
    at: datetime
    memo: str


@dataclass(frozen=True)
class TrackingStopped:
    """``reason``: "user", "cap" (weekly cap reached) or "contract" (contract inactive)."""

    contract_id: int
    at: datetime
    reason: str


@dataclass(frozen=True)
class MinuteTracked:
    """A whole minute was logged; ``week_used_minutes`` includes it."""

    contract_id: int
    minute_start: datetime
    week_used_minutes: int
    cap_minutes: int | None


@dataclass(frozen=True)
class SlotClosed:
    """A slot was written to the store (its end passed or tracking stopped)."""

    contract_id: int
    slot_start: datetime
    minutes: int
    active_minutes: int
    has_shot: bool


@dataclass(frozen=True)
class SlotDropped:
    """A finished slot could not be written (e.g. it clashes with a synced slot)."""

    contract_id: int
    slot_start: datetime
    reason: str


@dataclass(frozen=True)
class StoreWriteFailed:
    """The store could not be written (``cause``: "disk full", "database is locked",
    "read-only" …). The finished slots stay in memory and are retried every minute;
    tracking goes on."""

    cause: str
    detail: str
    at: datetime
    unsaved_slots: int
    unsaved_minutes: int


@dataclass(frozen=True)
class StoreWriteRecovered:
    """Writing works again: every slot kept in memory is stored (``saved_slots``)."""

    at: datetime
    saved_slots: int


@dataclass(frozen=True)
class ShotTaken:
    contract_id: int
    slot_start: datetime
    taken_at: datetime
    thumbnail_path: Path


@dataclass(frozen=True)
class CaptureUnavailable:
    """The grab failed or came back one flat colour (Wayland, locked screen)."""

    contract_id: int
    slot_start: datetime
    at: datetime
    reason: str


@dataclass(frozen=True)
class IdleDetected:
    """No input for the idle threshold; the prompt comes on the next input."""

    contract_id: int
    idle_since: datetime


@dataclass(frozen=True)
class IdlePromptRequired:
    """Input came back after idle: ask keep or discard (answer with ``resolve_idle``)."""

    contract_id: int
    idle_since: datetime
    returned_at: datetime
    idle_minutes: int


@dataclass(frozen=True)
class IdleResolved:
    """``kept`` False: ``minutes`` were discarded from their slots."""

    contract_id: int
    kept: bool
    minutes: int


@dataclass(frozen=True)
class CapWarning:
    contract_id: int
    minutes_left: int
    used_minutes: int
    cap_minutes: int


@dataclass(frozen=True)
class CapReached:
    contract_id: int
    used_minutes: int
    cap_minutes: int


@dataclass(frozen=True)
class ClockJumped:
    """Wall and monotonic clocks diverged; the jumped span is not logged."""

    wall_before: datetime
    wall_after: datetime
    monotonic_seconds: float


@dataclass(frozen=True)
class SlotDeleted:
    contract_id: int
    slot_start: datetime


@dataclass(frozen=True)
class ManualTimeAdded:
    contract_id: int
    start: datetime
    end: datetime
    minutes: int


@dataclass(frozen=True)
class MemoChanged:
    """The memo applies from ``applies_from`` (the next slot)."""

    contract_id: int
    memo: str
    applies_from: datetime


Event = (
    TrackingStarted
    | TrackingStopped
    | MinuteTracked
    | SlotClosed
    | SlotDropped
    | StoreWriteFailed
    | StoreWriteRecovered
    | ShotTaken
    | CaptureUnavailable
    | IdleDetected
    | IdlePromptRequired
    | IdleResolved
    | CapWarning
    | CapReached
    | ClockJumped
    | SlotDeleted
    | ManualTimeAdded
    | MemoChanged
)
