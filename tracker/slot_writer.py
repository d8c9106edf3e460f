"""Finished slots on their way into the store.

A finished slot is queued here and written on the store's worker (an executor: the
app's single worker thread, or :class:`~tracker.executor.SynchronousExecutor` in
tests). If the write fails — disk full, database locked, read-only — the slot stays
queued in memory (oldest first, up to a week of slots) and the write is retried at the
first tick a minute or more later, so nothing tracked is lost while the store cannot
be written (DOMAIN.md, "Never lose tracked time"). The store merges a retried slot
with what it already holds, so a write that failed after its commit is not doubled.

Emits (through ``emit``): :class:`~tracker.events.SlotClosed` once a slot is stored,
:class:`~tracker.events.SlotDropped` for a slot the store refuses for good,
:class:`~tracker.events.StoreWriteFailed` when writing starts failing (or the cause
changes) and :class:`~tracker.events.StoreWriteRecovered` when the queue is empty again.

A slot dropped after a week of failed writes is lost: with a ``signer`` (the device
key), it becomes a signed *declared gap* in the diary as soon as the store takes a write
again, so the server and the client see a stated loss rather than a silent hole.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import replace
from datetime import datetime, timedelta

from diarychain.keys import DeviceKey
from tracker import events as ev
from tracker.model import Slot
from tracker.slots import SLOT_MINUTES
from tracker.store import SlotConflict, Store
from tracker.write_fault import WriteFault, write_fault

RETRY_EVERY = timedelta(minutes=1)
WEEK_OF_SLOTS = 7 * 24 * 60 // SLOT_MINUTES
WRITE_WAIT_SECONDS = 10.0


class SlotWriter:
    """The queue of finished slots not yet in the store, and the retry clock."""

    def __init__(
        self,
        store: Store,
        executor: Executor,
        emit: Callable[[ev.Event], None],
        capacity: int = WEEK_OF_SLOTS,
        signer: Callable[[], DeviceKey] | None = None,
    ) -> None:
        self._store = store
        self._executor = executor
        self._emit = emit
        self._capacity = capacity
        self._queue: deque[Slot] = deque()
        self._in_flight: Future[Slot] | None = None
        self._fault: WriteFault | None = None
        self._retry_at: datetime | None = None
        self._saved_since_fault = 0
        self._signer = signer
        # (contract, slot start, why, when) of dropped slots, declared once writes work
        self._lost: deque[tuple[int, datetime, str, datetime]] = deque()

    @property
    def fault(self) -> WriteFault | None:
        """Why the last write failed, while slots are waiting because of it."""
        return self._fault

    def unsaved(self) -> list[Slot]:
        """Finished slots not yet stored, oldest first (including the one being written)."""
        return list(self._queue)

    def add(self, record: Slot, now: datetime) -> None:
        """Queue a finished slot and write it as soon as the store takes writes."""
        self._queue.append(record)
        while len(self._queue) > self._capacity:
            dropped = self._queue.popleft()
            cause = self._fault.cause if self._fault else "the store is not writable"
            reason = f"not saved for a week ({cause}); memory holds {self._capacity} slots"
            self._emit(ev.SlotDropped(dropped.contract_id, dropped.slot_start, reason))
            if self._signer is not None:
                self._lost.append((dropped.contract_id, dropped.slot_start, reason, now))
        self.pump(now)

    def pump(self, now: datetime) -> None:
        """Collect a finished write and start the next one when due. Call every tick."""
        while True:
            future = self._in_flight
            if future is not None:
                if not future.done():
                    return
                self._in_flight = None
                if not self._finish(future, now):
                    return
            if not self._queue or not self._due(now):
                return
            self._retry_at = None
            self._in_flight = self._executor.submit(self._store.write_slot, self._queue[0])

    def _due(self, now: datetime) -> bool:
        if self._retry_at is None:
            return True
        # a wall clock set back must not postpone the retry by the size of the jump
        return now >= self._retry_at or now < self._retry_at - 2 * RETRY_EVERY

    def _finish(self, future: Future[Slot], now: datetime) -> bool:
        """Handle one write's outcome; False when writing failed (retry later)."""
        record = self._queue[0]
        error = future.exception()
        if error is None:
            self._queue.popleft()
            stored = future.result()
            self._emit(
                ev.SlotClosed(
                    stored.contract_id,
                    stored.slot_start,
                    stored.minute_count,
                    stored.active_minutes,
                    stored.shot is not None,
                )
            )
            self._on_saved(now)
            return True
        if isinstance(error, SlotConflict):
            self._queue.popleft()
            if record.shot is not None:
                self._store.discard_shot_file(record.shot)
            self._emit(ev.SlotDropped(record.contract_id, record.slot_start, str(error)))
            self._on_saved(now)
            return True
        self.report_failure(error, now)
        return False

    def _on_saved(self, now: datetime) -> None:
        self._declare_lost()
        if self._fault is None:
            return
        self._saved_since_fault += 1
        if not self._queue:
            saved, self._saved_since_fault, self._fault = self._saved_since_fault, 0, None
            self._emit(ev.StoreWriteRecovered(now, saved))

    def _declare_lost(self) -> None:
        """The store takes writes again: each dropped slot becomes a signed gap entry
        (kept for the next saved slot if this write fails too)."""
        while self._lost and self._signer is not None:
            contract_id, start, reason, at = self._lost[0]
            try:
                self._store.declare_gap(contract_id, start, reason, self._signer(), at)
            except (sqlite3.Error, OSError):  # still not writable: the next saved slot retries
                return
            self._lost.popleft()

    def report_failure(self, error: BaseException, now: datetime) -> None:
        """A store write failed (here or elsewhere in the session): alert, retry later."""
        fault = write_fault(error)
        self._retry_at = now + RETRY_EVERY
        if self._fault is not None and self._fault.cause == fault.cause:
            self._fault = fault
            return
        self._fault = fault
        self._emit(
            ev.StoreWriteFailed(
                cause=fault.cause,
                detail=fault.detail,
                at=now,
                unsaved_slots=len(self._queue),
                unsaved_minutes=sum(slot.minute_count for slot in self._queue),
            )
        )

    def wait(self, now: datetime, timeout: float = WRITE_WAIT_SECONDS) -> None:
        """Let a write in flight finish and take its outcome in, starting no new one, so
        the queue can be changed safely (idle discard, delete, stop)."""
        future = self._in_flight
        if future is None:
            return
        with contextlib.suppress(TimeoutError):
            future.exception(timeout=timeout)
        if future.done():
            self._in_flight = None
            self._finish(future, now)

    def _find(self, contract_id: int, start: datetime) -> int | None:
        """Position of a queued slot that may be changed (not the one being written)."""
        for position, record in enumerate(self._queue):
            if position == 0 and self._in_flight is not None:
                continue
            if record.contract_id == contract_id and record.slot_start == start:
                return position
        return None

    def remove_minutes(
        self, contract_id: int, start: datetime, indices: Sequence[int], now: datetime
    ) -> int | None:
        """Take minutes out of a queued slot (idle discarded); None if it is not queued.
        Returns how many were removed; a slot left empty leaves the queue with its shot."""
        self.wait(now)
        position = self._find(contract_id, start)
        if position is None:
            return None
        record = self._queue[position]
        drop = set(indices)
        kept = tuple(m for m in record.minutes if m.index not in drop)
        if kept:
            self._queue[position] = replace(record, minutes=kept)
        else:
            del self._queue[position]
            if record.shot is not None:
                with contextlib.suppress(OSError):
                    self._store.discard_shot_file(record.shot)
        return record.minute_count - len(kept)

    def take(self, contract_id: int, start: datetime, now: datetime) -> Slot | None:
        """Remove a queued slot (the user deleted it before it could be stored)."""
        self.wait(now)
        position = self._find(contract_id, start)
        if position is None:
            return None
        record = self._queue[position]
        del self._queue[position]
        return record

    def set_idle_hold(self, contract_id: int, held: bool) -> None:
        """Hold or release the queued slots of a contract for an idle prompt."""
        being_written = 0 if self._in_flight is not None else -1
        for position, record in enumerate(self._queue):
            if record.contract_id == contract_id and position != being_written:
                self._queue[position] = replace(record, idle_hold=held)
