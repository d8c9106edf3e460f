"""The tracking session: the state machine the tray app drives once a second.

Ports come in as arguments — clock, seeded ``random.Random``, store, shot capturer,
activity counter (+ optional input source), capture executor — so tests drive a whole
working day by moving a :class:`tracker.clock.ManualClock`.

How time is logged (DOMAIN.md):

* Whole minutes only: a minute counts when tracking covered all of it, so starting at
  14:03:30 logs from 14:04. Minutes are credited as the tick passes their end.
* Entering a slot draws its shot instant (:func:`tracker.schedule.shot_instant`); at
  that instant the capture runs on the capture executor (a thread pool in the app) and
  the tick collects the result. A slot is written to the store in one transaction when
  it ends or tracking stops (after its capture, if one is running, has finished).
* Idle: see :mod:`tracker.idle`. While idle is unanswered, the slots it touches are
  stored with ``idle_hold`` so the sync client leaves them alone.
* Cap: tracking stops at the minute boundary where the week's used minutes reach the
  cap (exactly at the cap), after warnings at 60 and 10 minutes left.
* Clock jump: if the wall clock moves more than ``jump_tolerance`` seconds differently
  from the monotonic clock between two ticks (the user changed the time, or the machine
  slept), the span is not logged: :class:`~tracker.events.ClockJumped` is emitted and
  whole-minute counting restarts from the new time.

Events (``tracker.events``) go to subscribers synchronously, on the ticking thread.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from diarychain.keys import DeviceKey
from timekeeping.wording import duration
from tracker import events as ev
from tracker.activity import ActivityCounter, ActivityCounts, InputSource, NamedActivitySource
from tracker.cap import WARNING_MINUTES_LEFT, CapStatus, warnings_crossed, week_start
from tracker.capture_choice import ActivitySource
from tracker.clock import Clock
from tracker.contract import Contract
from tracker.executor import SynchronousExecutor
from tracker.idle import (
    DEFAULT_IDLE_THRESHOLD,
    IdleEnded,
    IdleSpan,
    IdleStarted,
    IdleWatch,
    checked_threshold,
)
from tracker.model import MinuteActivity, ShotState, Slot, SlotNotFound
from tracker.schedule import shot_instant
from tracker.shot import CaptureFailed, CaptureProvenance, ShotCapturer, ShotFile
from tracker.slot_writer import SlotWriter
from tracker.slots import (
    MINUTE,
    group_by_slot,
    minute_floor,
    minute_index,
    slot_end,
    slot_start,
    whole_minutes,
)
from tracker.store import ShotKeyMissing, Store
from tracker.write_fault import WriteFault, write_fault

DEFAULT_JUMP_TOLERANCE_SECONDS = 5.0

Listener = Callable[[ev.Event], None]


class SessionError(Exception):
    """A request the session refuses; the message is for the user."""


class CannotStart(SessionError):
    pass


class ManualTimeRefused(SessionError):
    pass


@dataclass
class _OpenSlot:
    """The slot being tracked, in memory until it is written."""

    contract_id: int
    start: datetime
    memo: str
    shot_at: datetime | None  # None: no shot planned (screenshots off, or already has one)
    minutes: dict[int, MinuteActivity] = field(default_factory=dict)
    capture: Future[ShotFile] | None = None
    shot: ShotFile | None = None
    shot_state: ShotState = "none"
    capture_note: str | None = None
    idle_hold: bool = False
    clock_jump: bool = False  # the wall clock jumped (or the machine slept) during it
    capture_source: str | None = None  # the capture backend, once a capture was started
    activity_source: ActivitySource = "input-counts"


@dataclass(frozen=True)
class SessionStatus:
    """A snapshot for the UI."""

    tracking: bool
    contract_id: int | None
    memo: str | None
    next_memo: str | None
    slot_start: datetime | None
    slot_minutes: int
    cap: CapStatus | None
    idle_since: datetime | None
    idle_prompt: IdleSpan | None
    # the tracked minutes of the slot in progress, by index (the diary draws them live)
    slot_activity: tuple[MinuteActivity, ...] = ()
    slot_shot: ShotFile | None = None  # the slot in progress's shot, once taken


class TrackingSession:
    """Tracks one contract at a time; emits :mod:`tracker.events` to subscribers.

    Call :meth:`tick` about once a second (the UI's QTimer) while the app runs.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        rng: random.Random,
        store: Store,
        capturer: ShotCapturer,
        activity: ActivityCounter | None = None,
        input_source: InputSource | None = None,
        capture_executor: Executor | None = None,
        store_executor: Executor | None = None,
        idle_threshold: timedelta = DEFAULT_IDLE_THRESHOLD,
        jump_tolerance_seconds: float = DEFAULT_JUMP_TOLERANCE_SECONDS,
        signer: Callable[[], DeviceKey] | None = None,
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._store = store
        self._capturer = capturer
        self.activity = activity or ActivityCounter()
        self._input_source = input_source
        self._executor: Executor = capture_executor or SynchronousExecutor()
        self._jump_tolerance = jump_tolerance_seconds
        self._listeners: list[Listener] = []
        # finished slots go to the store through this queue (kept and retried on failure)
        self._writer = SlotWriter(
            store, store_executor or SynchronousExecutor(), self._emit, signer=signer
        )
        now = clock.now()
        self._idle = IdleWatch(idle_threshold, now)
        self._contract: Contract | None = None
        self._memo = ""
        self._next_memo: str | None = None
        self._open: _OpenSlot | None = None
        self._awaiting_capture: list[_OpenSlot] = []
        self._covered_since = now
        self._no_credit_before = now
        self._last_wall = now
        self._last_monotonic = clock.monotonic()
        self._minute_counts: dict[datetime, ActivityCounts] = {}
        self._idle_prompts: list[IdleSpan] = []
        self._week: datetime = week_start(now)
        self._week_used = 0
        self._last_boundary: datetime | None = None
        self._jump_unflagged = False  # a clock jump whose next logged slot is not flagged yet
        # a crash mid-slot can leave a saved shot that no slot row names
        store.remove_orphan_shot_files()

    # -- subscription and state ----------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every event; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, event: ev.Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    @property
    def tracking(self) -> bool:
        return self._contract is not None

    @property
    def contract(self) -> Contract | None:
        return self._contract

    @property
    def idle_prompt(self) -> IdleSpan | None:
        """The idle time waiting for keep/discard (merged if there were several)."""
        if not self._idle_prompts:
            return None
        return IdleSpan(self._idle_prompts[0].start, self._idle_prompts[-1].end)

    @property
    def idle_threshold(self) -> timedelta:
        return self._idle.threshold

    @property
    def write_fault(self) -> WriteFault | None:
        """Why the store cannot be written, while finished slots wait in memory."""
        return self._writer.fault

    def unsaved_slots(self) -> list[Slot]:
        """Finished slots kept in memory until the store takes them, oldest first."""
        return self._writer.unsaved()

    def set_idle_threshold(self, threshold: timedelta) -> None:
        """5–30 minutes; raises ValueError otherwise."""
        self._idle.threshold = checked_threshold(threshold)

    def status(self) -> SessionStatus:
        contract = self._contract
        cap = None
        if contract is not None:
            cap = CapStatus(self._week, self._week_used, self._current_cap(contract))
        return SessionStatus(
            tracking=contract is not None,
            contract_id=None if contract is None else contract.id,
            memo=self._memo if contract is not None else None,
            next_memo=self._next_memo,
            slot_start=None if self._open is None else self._open.start,
            slot_minutes=0 if self._open is None else len(self._open.minutes),
            cap=cap,
            idle_since=self._idle.idle_since if contract is not None else None,
            idle_prompt=self.idle_prompt,
            slot_activity=() if self._open is None else tuple(
                self._open.minutes[index] for index in sorted(self._open.minutes)),
            slot_shot=None if self._open is None else self._open.shot,
        )

    def cap_status(self, contract: Contract, now: datetime | None = None) -> CapStatus:
        """Used/cap for ``contract`` in the week holding ``now`` (for the tray menu)."""
        at = now or self._clock.now()
        week = week_start(at)
        cap = self._current_cap(contract)
        if self._contract is not None and self._contract.id == contract.id and week == self._week:
            return CapStatus(week, self._week_used, cap)
        return CapStatus(week, self._used_minutes(contract, week), cap)

    def _current_cap(self, contract: Contract) -> int | None:
        """The cap the server last reported for ``contract``: the store caches every
        contract list the sync client fetches (on refresh, and after a sync reply), so a
        raise seen while tracking applies at the next minute, not at the next Start."""
        cached = self._store.contract(contract.id)
        return (cached if cached is not None else contract).weekly_cap_minutes

    # -- start / stop ----------------------------------------------------------------

    def start(self, contract: Contract, memo: str) -> None:
        """Start tracking ``contract`` with ``memo``. Raises :class:`CannotStart` when
        already tracking, the contract is not active, or its weekly cap is reached."""
        if self._contract is not None:
            raise CannotStart(f"already tracking contract {self._contract.id}; stop first")
        if not contract.active:
            raise CannotStart(f"contract “{contract.title}” has ended; it takes no time")
        now = self._clock.now()
        week = week_start(now)
        used = self._used_minutes(contract, week)
        if contract.weekly_cap_minutes is not None and used >= contract.weekly_cap_minutes:
            raise CannotStart(
                f"the weekly cap of {duration(contract.weekly_cap_minutes)} "
                f"is reached for “{contract.title}”"
            )
        self._contract = contract
        self._memo = memo
        self._next_memo = None
        self._week, self._week_used = week, used
        self._last_wall, self._last_monotonic = now, self._clock.monotonic()
        # a fresh run: what a wall-clock change while stopped did is not held against it
        self._covered_since = self._no_credit_before = now
        self._last_boundary = None
        self._jump_unflagged = False
        self._minute_counts.clear()
        self._idle.restart(now)
        self._idle_prompts.clear()
        self.activity.drain()
        if self._input_source is not None:
            self._input_source.start(self.activity)
        self._emit(ev.TrackingStarted(contract.id, now, memo))
        cap = contract.weekly_cap_minutes
        if cap is not None and cap - used <= max(WARNING_MINUTES_LEFT):
            # starting with less than an hour left warns at once
            self._emit(ev.CapWarning(contract.id, cap - used, used, cap))
        self._open_slot(now)

    def stop(self) -> None:
        """Stop tracking now: the slot in progress is written, unanswered idle time is
        discarded. Waits for a capture still running (it takes well under a second)."""
        if self._contract is None:
            return
        now = self._clock.now()
        self.tick(now)
        if self._contract is not None:
            self._stop(now, "user")

    def _stop(self, at: datetime, reason: str) -> None:
        contract = self._contract
        assert contract is not None
        if self._idle.idle_since is not None:
            self._idle_prompts.append(IdleSpan(self._idle.idle_since, at))
            self._idle.idle_since = None
        if self._idle_prompts:
            self._discard_idle()
        self._close_open_slot()
        for slot in list(self._awaiting_capture):
            if slot.capture is not None:
                # a pool job that hangs must not hang the app: the slot is written at a later tick
                with contextlib.suppress(TimeoutError):
                    slot.capture.exception(timeout=10)
        self._collect_captures()
        # like the capture above: what was tracked is in the store when stop returns
        self._writer.wait(at)
        if self._input_source is not None:
            self._input_source.stop()
        self._contract = None
        self._next_memo = None
        self._emit(ev.TrackingStopped(contract.id, at, reason))

    # -- the tick ------------------------------------------------------------------

    def tick(self, now: datetime | None = None) -> None:
        """Advance to ``now`` (default: the clock's now). Call about once a second."""
        now = self._clock.now() if now is None else now
        monotonic = self._clock.monotonic()
        counts = self.activity.drain()
        self._collect_captures()
        self._writer.pump(now)
        if self._contract is None:
            self._last_wall, self._last_monotonic = now, monotonic
            return
        wall_seconds = (now - self._last_wall).total_seconds()
        monotonic_seconds = monotonic - self._last_monotonic
        if abs(wall_seconds - monotonic_seconds) > self._jump_tolerance:
            self._on_clock_jump(now, monotonic_seconds, counts)
            self._last_wall, self._last_monotonic = now, monotonic
            return
        self._book_counts(now, counts)
        self._advance(now)
        if self._contract is None:  # stopped at the cap on the way
            return
        self._last_wall, self._last_monotonic = now, monotonic
        self._observe_idle(now, counts.any)
        self._maybe_capture(now)
        self._collect_captures()

    def _advance(self, now: datetime) -> None:
        """Cross every minute boundary in (last tick, now], in order."""
        boundary = minute_floor(self._last_wall) + MINUTE
        # a small backward step of the wall clock (within the jump tolerance) must not
        # cross the same boundary twice
        if self._last_boundary is not None and boundary <= self._last_boundary:
            boundary = self._last_boundary + MINUTE
        while boundary <= now and self._contract is not None:
            self._last_boundary = boundary
            self._cross_minute(boundary)
            boundary += MINUTE

    def _cross_minute(self, boundary: datetime) -> None:
        minute = boundary - MINUTE
        contract = self._contract
        assert contract is not None
        counts = self._minute_counts.pop(minute, ActivityCounts())
        credited = (
            minute >= self._covered_since
            and minute >= self._no_credit_before
            and self._open is not None
            and self._open.start == slot_start(minute)
            and minute_index(minute) not in self._open.minutes
        )
        if credited:
            assert self._open is not None
            if week_start(minute) != self._week:  # before adding: the count includes memory
                self._week = week_start(minute)
                self._week_used = self._used_minutes(contract, self._week)
            self._open.minutes[minute_index(minute)] = MinuteActivity(
                minute_index(minute), counts.key_events, counts.mouse_events
            )
            if self._jump_unflagged:
                self._open.clock_jump, self._jump_unflagged = True, False
            before, self._week_used = self._week_used, self._week_used + 1
            cap = self._current_cap(contract)
            self._emit(ev.MinuteTracked(contract.id, minute, self._week_used, cap))
            for level in warnings_crossed(cap, before, self._week_used):
                assert cap is not None
                self._emit(ev.CapWarning(contract.id, level, self._week_used, cap))
            if cap is not None and self._week_used >= cap:
                self._emit(ev.CapReached(contract.id, self._week_used, cap))
                self._stop(boundary, "cap")
                return
        if self._open is not None and boundary >= slot_end(self._open.start):
            self._close_open_slot()
            self._open_slot(boundary)

    def _book_counts(self, now: datetime, counts: ActivityCounts) -> None:
        if counts.any:
            # counts gathered since the last tick; book them to the minute of its middle
            middle = self._last_wall + (now - self._last_wall) / 2
            minute = minute_floor(middle)
            self._minute_counts[minute] = self._minute_counts.get(minute, ActivityCounts()) + counts

    def _on_clock_jump(
        self, now: datetime, monotonic_seconds: float, counts: ActivityCounts
    ) -> None:
        # The time that really passed since the last tick (the monotonic clock's) still
        # belongs to the old timeline: finish it there, then go on from the new wall time.
        # What the wall clock skipped (or repeats, going back) is not logged.
        before_jump = self._last_wall + timedelta(seconds=max(0.0, monotonic_seconds))
        self._book_counts(before_jump, counts)
        self._advance(before_jump)
        if self._contract is None:  # the cap was reached before the jump
            return
        self._emit(ev.ClockJumped(self._last_wall, now, monotonic_seconds))
        # a backward jump must not log minutes again that were already logged: the wall
        # clock's repeat of them is the jump's span (conservative on purpose)
        self._no_credit_before = max(self._no_credit_before, minute_floor(before_jump))
        self._last_boundary = None  # boundaries are counted afresh on the new timeline
        self._covered_since = now
        self._minute_counts.clear()
        self._idle.restart(now)
        # flagged: the slot the jump cut into, and the first slot logged after it
        self._jump_unflagged = True
        if self._open is not None:
            if self._open.minutes:
                self._open.clock_jump = True
            if self._open.start != slot_start(now):
                self._close_open_slot()
        if self._open is None:
            self._open_slot(now)

    # -- slots -----------------------------------------------------------------------

    def _open_slot(self, entered_at: datetime) -> None:
        contract = self._contract
        assert contract is not None
        if self._next_memo is not None:
            self._memo, self._next_memo = self._next_memo, None
        start = slot_start(entered_at)
        stored = self._store.get_slot(contract.id, start)
        has_shot = stored is not None and stored.shot is not None
        plan_shot = contract.screenshots_enabled and not has_shot
        shot_at = shot_instant(entered_at, self._rng) if plan_shot else None
        self._open = _OpenSlot(
            contract_id=contract.id,
            start=start,
            memo=self._memo,
            shot_at=shot_at,
            shot_state="none" if contract.screenshots_enabled else "off",
            idle_hold=self._idle.idle_since is not None,
            activity_source=self._activity_source(),
        )

    def _activity_source(self) -> ActivitySource:
        source = self._input_source
        return source.activity_source if isinstance(source, NamedActivitySource) else "input-counts"

    def _maybe_capture(self, now: datetime) -> None:
        slot = self._open
        contract = self._contract
        if slot is None or contract is None or slot.shot_at is None or slot.capture is not None:
            return
        if now < slot.shot_at or slot.shot_state != "none":
            return
        if isinstance(self._capturer, CaptureProvenance):
            slot.capture_source = self._capturer.provenance
        slot.capture = self._executor.submit(
            self._capture_job, contract.id, slot.start, now, contract.blur_shots
        )

    def _capture_job(
        self, contract_id: int, start: datetime, taken_at: datetime, blur: bool
    ) -> ShotFile:
        """Runs on the capture executor: grab, encode, write the file (no table touched)."""
        encoded = self._capturer.capture(taken_at, blur)
        return self._store.save_shot(contract_id, start, encoded)

    def _collect_captures(self) -> None:
        """Take in finished captures; write closed slots whose capture has finished."""
        slots = ([self._open] if self._open is not None else []) + self._awaiting_capture
        for slot in slots:
            future = slot.capture
            if future is None or not future.done():
                continue
            slot.capture = None
            error = future.exception()
            if error is None:
                slot.shot = future.result()
                slot.shot_state = "taken"
                self._emit(
                    ev.ShotTaken(
                        slot.contract_id, slot.start, slot.shot.taken_at, slot.shot.thumbnail_path
                    )
                )
            else:
                reason = _capture_reason(error)
                slot.shot_state, slot.capture_note = "unavailable", reason
                self._emit(
                    ev.CaptureUnavailable(slot.contract_id, slot.start, self._last_wall, reason)
                )
        for slot in [s for s in self._awaiting_capture if s.capture is None]:
            self._awaiting_capture.remove(slot)
            self._write(slot)

    def _close_open_slot(self) -> None:
        slot, self._open = self._open, None
        if slot is None:
            return
        if slot.capture is not None:
            self._awaiting_capture.append(slot)
            self._collect_captures()
            return
        self._write(slot)

    def _write(self, slot: _OpenSlot) -> None:
        """Hand a finished slot to the writer (stored now, or kept and retried)."""
        if not slot.minutes:
            if slot.shot is not None:
                with contextlib.suppress(OSError):
                    self._store.discard_shot_file(slot.shot)
            return
        record = Slot(
            contract_id=slot.contract_id,
            slot_start=slot.start,
            memo=slot.memo,
            minutes=tuple(slot.minutes[index] for index in sorted(slot.minutes)),
            shot=slot.shot,
            shot_state=slot.shot_state,
            capture_note=slot.capture_note,
            idle_hold=slot.idle_hold,
            clock_jump=slot.clock_jump,
            capture_source=slot.capture_source,
            activity_source=slot.activity_source,
        )
        self._writer.add(record, self._clock.now())

    def _mark_idle_hold(self, contract_id: int, since: datetime | None, held: bool) -> None:
        """Hold or release slots for an idle prompt, in memory and in the store. The
        store may refuse (disk full): the alert says so, tracking goes on."""
        self._writer.set_idle_hold(contract_id, held)
        try:
            self._store.set_idle_hold(contract_id, since, held=held)
        except (sqlite3.Error, OSError) as error:
            self._writer.report_failure(error, self._clock.now())

    # -- idle ------------------------------------------------------------------------

    def _observe_idle(self, now: datetime, had_input: bool) -> None:
        contract = self._contract
        assert contract is not None
        change = self._idle.observe(now, had_input)
        if isinstance(change, IdleStarted):
            if self._open is not None:
                self._open.idle_hold = True
            self._mark_idle_hold(contract.id, change.since, held=True)
            self._emit(ev.IdleDetected(contract.id, change.since))
        elif isinstance(change, IdleEnded):
            self._idle_prompts.append(change.span)
            self._emit(
                ev.IdlePromptRequired(
                    contract.id, change.span.start, change.span.end, len(change.span.minutes)
                )
            )

    def resolve_idle(self, keep: bool) -> None:
        """Answer the idle prompt: keep the idle minutes, or discard them from their slots."""
        if not self._idle_prompts:
            raise SessionError("there is no idle time waiting for an answer")
        contract = self._contract
        assert contract is not None  # stopping discards unanswered idle time
        if keep:
            minutes = sum(len(span.minutes) for span in self._idle_prompts)
            self._release_idle_hold(contract.id)
            self._emit(ev.IdleResolved(contract.id, True, minutes))
        else:
            self._discard_idle()

    def _release_idle_hold(self, contract_id: int) -> None:
        self._idle_prompts.clear()
        if self._idle.idle_since is None:
            self._mark_idle_hold(contract_id, None, held=False)
            if self._open is not None:
                self._open.idle_hold = False

    def _discard_idle(self) -> None:
        contract = self._contract
        assert contract is not None
        now = self._clock.now()
        discarded = 0
        minutes = sorted({m for span in self._idle_prompts for m in span.minutes})
        for start, indices in group_by_slot(minutes).items():
            open_slot = self._open if self._open is not None and self._open.start == start else None
            in_memory = open_slot or next(
                (s for s in self._awaiting_capture if s.start == start), None
            )
            if in_memory is not None:
                for index in indices:
                    discarded += in_memory.minutes.pop(index, None) is not None
                if not in_memory.minutes and in_memory.shot is not None:
                    self._store.discard_shot_file(in_memory.shot)
                    in_memory.shot, in_memory.shot_state = None, "none"
                continue
            queued = self._writer.remove_minutes(contract.id, start, indices, now)
            if queued is not None:
                discarded += queued
                continue
            before = self._store.get_slot(contract.id, start)
            if before is None or before.deleted_at is not None:
                continue
            try:
                after = self._store.remove_minutes(contract.id, start, indices, now)
            except (sqlite3.Error, OSError) as error:
                # the store refuses the change (disk full): the alert says so; the slot
                # keeps its minutes rather than the app losing its way
                self._writer.report_failure(error, now)
                continue
            discarded += before.minute_count - (0 if after is None else after.minute_count)
        self._release_idle_hold(contract.id)
        self._week_used = self._used_minutes(contract, self._week)
        self._emit(ev.IdleResolved(contract.id, False, discarded))

    # -- memo, deletion, manual time -------------------------------------------------

    def set_memo(self, memo: str) -> None:
        """Change the memo; it applies from the next slot (or at once if not tracking)."""
        if self._contract is None or self._open is None:
            self._memo = memo
            return
        self._next_memo = memo
        self._emit(ev.MemoChanged(self._contract.id, memo, slot_end(self._open.start)))

    def delete_slot(self, contract_id: int, start: datetime) -> None:
        """Delete a stored slot (its shot file and minutes). The slot in progress cannot
        be deleted until it is written. Raises :class:`tracker.store.SlotNotFound`."""
        if (
            self._open is not None
            and self._open.contract_id == contract_id
            and self._open.start == start
        ):
            raise SessionError("this slot is still being tracked; delete it once it has ended")
        unsaved = self._writer.take(contract_id, start, self._clock.now())
        if unsaved is not None and unsaved.shot is not None:
            with contextlib.suppress(OSError):
                self._store.discard_shot_file(unsaved.shot)
        try:
            self._store.delete_slot(contract_id, start, self._clock.now())
        except SlotNotFound:
            if unsaved is None:  # neither in memory nor stored
                raise
        if self._contract is not None and self._contract.id == contract_id:
            self._week_used = self._used_minutes(self._contract, self._week)
        self._emit(ev.SlotDeleted(contract_id, start))

    def add_manual_time(
        self, contract: Contract, start: datetime, end: datetime, memo: str
    ) -> list[Slot]:
        """Log ``[start, end)`` as manual slots (no shot, no activity), whole minutes only.

        Refused (:class:`ManualTimeRefused`) if the contract does not allow manual time,
        the range is empty or in the future, overlaps stored or in-progress time, or
        does not fit under the weekly cap.
        """
        minutes, by_slot = self.check_manual_time(contract, start, end)
        written = [
            self._store.write_slot(
                Slot(
                    contract_id=contract.id,
                    slot_start=slot,
                    memo=memo,
                    minutes=tuple(MinuteActivity(index) for index in indices),
                    manual=True,
                    shot_state="manual",
                )
            )
            for slot, indices in by_slot.items()
        ]
        if self._contract is not None and self._contract.id == contract.id:
            self._week_used = self._used_minutes(self._contract, self._week)
        self._emit(ev.ManualTimeAdded(contract.id, minutes[0], minutes[-1] + MINUTE, len(minutes)))
        return written

    def check_manual_time(
        self, contract: Contract, start: datetime, end: datetime
    ) -> tuple[list[datetime], dict[datetime, list[int]]]:
        """What :meth:`add_manual_time` would log (its minutes, by slot), or the
        :class:`ManualTimeRefused` it would raise — so a dialog can say so while open."""
        if not contract.manual_time_allowed:
            raise ManualTimeRefused(f"contract “{contract.title}” does not allow manual time")
        if not contract.active:
            raise ManualTimeRefused(f"contract “{contract.title}” has ended")
        now = self._clock.now()
        if end > now:
            raise ManualTimeRefused("manual time must lie in the past")
        minutes = whole_minutes(start, end)
        if not minutes:
            raise ManualTimeRefused("the range holds no whole minute")
        by_slot = group_by_slot(minutes)
        busy = {s.start for s in self._awaiting_capture}
        busy |= {s.slot_start for s in self._writer.unsaved() if s.contract_id == contract.id}
        if self._open is not None:
            busy.add(self._open.start)
        for slot in by_slot:
            if (
                self._contract is not None and self._contract.id == contract.id and slot in busy
            ) or (self._store.get_slot(contract.id, slot) is not None):
                raise ManualTimeRefused(
                    f"the range overlaps time already logged at {slot.isoformat()}"
                )
        per_week: dict[datetime, int] = {}
        for minute in minutes:
            per_week[week_start(minute)] = per_week.get(week_start(minute), 0) + 1
        cap = contract.weekly_cap_minutes
        for week, count in per_week.items():
            used = self.cap_status(contract, week).used_minutes
            if cap is not None and used + count > cap:
                raise ManualTimeRefused(
                    f"{count} min do not fit under the weekly cap ({max(cap - used, 0)} min left)"
                )
        return minutes, by_slot

    # -- cap ---------------------------------------------------------------------------

    def _used_minutes(self, contract: Contract, week: datetime) -> int:
        """Server count (if fetched for this week) + local minutes it cannot include yet +
        minutes still in memory."""
        cached = self._store.contract(contract.id) or contract
        fetched_for_week = cached.server_week_start == week
        server = cached.server_week_minutes if fetched_for_week else 0
        local = self._store.minutes_not_counted_by_server(
            contract.id, week, cached.fetched_at if fetched_for_week else None
        )
        in_memory = sum(
            len(slot.minutes)
            for slot in ([self._open] if self._open is not None else []) + self._awaiting_capture
            if slot.contract_id == contract.id and week_start(slot.start) == week
        )
        unsaved = sum(
            slot.minute_count
            for slot in self._writer.unsaved()
            if slot.contract_id == contract.id and week_start(slot.slot_start) == week
        )
        return server + local + in_memory + unsaved


def _capture_reason(error: BaseException) -> str:
    """What the slot says about a shot that could not be taken or saved."""
    if isinstance(error, CaptureFailed):
        return str(error)
    if isinstance(error, OSError | sqlite3.Error):
        return f"shot not saved: {write_fault(error).cause}"
    if isinstance(error, ShotKeyMissing):
        return "shot not saved: no key to encrypt it with"
    return f"capture failed: {error!r}"
