"""A synced slot's body and the rules for accepting it (DOMAIN.md, "Time tracking").

Pure: the checks take ``now`` and the contract's settings as arguments and return the
reason a slot is refused, or ``None``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from billing.domain.weeks import SLOT, WeekTimeline, as_utc, is_slot_aligned, slot_floor
from diarychain.ingest import SignedRun

# A slot's capture provenance as the tracker sends it (the tracker's capture_choice).
CAPTURE_SOURCE_PATTERN = r"^(x11|portal|none:[a-z0-9][a-z0-9-]{0,39})$"
ACTIVITY_SOURCES = ("input-counts", "idle-watch")


@dataclass(frozen=True, slots=True)
class SlotBody:
    """What the tracker says about one slot; ``client_now`` is not part of its identity."""

    minutes: int
    activity: tuple[tuple[int, int], ...]  # (keyboard, mouse) per tracked minute
    memo: str
    manual: bool
    shot_taken_at: datetime | None
    shot_sha256: str | None
    shot_note: str | None
    client_now: datetime = field(compare=False)
    # a signal for the reader of the diary, not part of the slot's identity: see
    # fingerprint() for why it is left out
    clock_jump: bool = field(default=False, compare=False)
    # how the tracker took the shot and counted activity (x11 | portal | none:<reason>;
    # input-counts | idle-watch); None from a tracker that does not say. Signals too,
    # outside the identity for the same reasons as ``clock_jump``.
    capture_source: str | None = field(default=None, compare=False)
    activity_source: str | None = field(default=None, compare=False)
    # wire v2: the signed chain entries that come with the body (None: a v1 tracker,
    # stored "unverified"); how the body was vouched for, not what it is
    chain: SignedRun | None = field(default=None, compare=False)

    @property
    def active_minutes(self) -> int:
        """Minutes that saw any keyboard or mouse event."""
        return sum(1 for keyboard, mouse in self.activity if keyboard or mouse)

    def fingerprint(self) -> str:
        """SHA-256 of the canonical body, to tell a replay from a conflicting upload.

        ``clock_jump`` is left out on purpose. A tracker from before the flag resends a
        flagged slot without it, and a tracker that learns of a jump later resends with
        it: neither is a different slot, so neither may turn a replay into a 409, nor
        stop an idle shrink (:func:`is_audited_shrink`) from being applied. The server
        keeps the flag once it has seen it (a signal is never withdrawn by a resend)."""
        canonical = {
            "minutes": self.minutes,
            "activity": [list(pair) for pair in self.activity],
            "memo": self.memo,
            "manual": self.manual,
            "shot_taken_at": None
            if self.shot_taken_at is None
            else as_utc(self.shot_taken_at).isoformat(),
            "shot_sha256": self.shot_sha256,
            "shot_note": self.shot_note,
        }
        encoded = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ContractTerms:
    """The parts of a contract that decide whether a slot is acceptable."""

    is_hourly: bool
    screenshots_enabled: bool
    manual_time_allowed: bool
    ended_at: datetime | None
    # time counts from the slot the contract started in (DOMAIN.md, "People and contracts")
    started_at: datetime | None = None


def refusal(
    slot_start: datetime,
    body: SlotBody,
    terms: ContractTerms,
    *,
    now: datetime,
    future_skew: timedelta,
) -> tuple[int, str] | None:
    """Why the slot cannot be taken, as ``(http_status, reason)``; ``None`` if it can."""
    if not terms.is_hourly:
        return 409, "time can only be logged on an hourly contract"
    if not is_slot_aligned(slot_start):
        return 422, "slot_start must be on the 10-minute UTC grid (…:00, :10, :20 …)"
    start = as_utc(slot_start)
    tracked_until = start + timedelta(minutes=body.minutes)
    if tracked_until > as_utc(body.client_now):
        return 422, (
            f"the slot's {body.minutes} minutes end at {tracked_until.isoformat()}, "
            f"after client_now {as_utc(body.client_now).isoformat()}"
        )
    if tracked_until > as_utc(now) + future_skew:
        return 422, (
            f"slot is in the future: it ends at {tracked_until.isoformat()} but the server "
            f"time is {as_utc(now).isoformat()} (is the computer's clock right?)"
        )
    if terms.ended_at is not None and start >= terms.ended_at:
        return 409, f"contract ended at {terms.ended_at.isoformat()}"
    if terms.started_at is not None and start < slot_floor(terms.started_at):
        return 409, f"before the contract started ({as_utc(terms.started_at).isoformat()})"
    if body.manual and not terms.manual_time_allowed:
        return 409, "manual time is not allowed on this contract"
    if body.shot_sha256 is not None:
        if not terms.screenshots_enabled:
            return 422, "screenshots are off on this contract; send the slot without a shot"
        assert body.shot_taken_at is not None
        if not start <= as_utc(body.shot_taken_at) < start + SLOT:
            return 422, "shot taken_at must fall inside the slot"
    week_closed = WeekTimeline.containing(start).slot_change_refusal(now)
    return None if week_closed is None else (409, week_closed)


def is_audited_shrink(held: SlotBody, sent: SlotBody) -> bool:
    """Whether ``sent`` is ``held`` with some tracked minutes taken out (idle time the
    freelancer discarded after the slot was synced), so the server applies it instead of
    refusing it: strictly fewer minutes, each kept minute's activity unchanged and in
    order, and the same memo, shot and shot note. Manual time never shrinks this way.
    The week-lock check stays with :func:`refusal`."""
    if held.manual or sent.manual or not 0 < sent.minutes < held.minutes:
        return False
    same_slot = (
        sent.memo == held.memo
        and sent.shot_sha256 == held.shot_sha256
        and sent.shot_note == held.shot_note
        and _same_instant(sent.shot_taken_at, held.shot_taken_at)
    )
    return same_slot and _is_subsequence(sent.activity, held.activity)


def _same_instant(first: datetime | None, second: datetime | None) -> bool:
    if first is None or second is None:
        return first is second
    return as_utc(first) == as_utc(second)


def _is_subsequence(kept: tuple[tuple[int, int], ...], held: tuple[tuple[int, int], ...]) -> bool:
    """Every entry of ``kept`` appears in ``held`` in the same order (minutes only leave)."""
    remaining = iter(held)
    return all(any(minute == candidate for candidate in remaining) for minute in kept)
