"""The upload queue: finished slots from the local store to the server, exactly once.

One *pass* (:meth:`Uploader.run_pass`) sends the deletions the server still needs, then
the slots past the hold window, oldest first: commit in the store that the server may
hold the slot, PUT the slot, PUT its shot, and only then mark it synced. Every request
is idempotent on the server (a slot is named by ``(contract_id, slot_start)``), so a
crash or a lost answer at any point is repaired by sending the same request again on
the next pass. Because the may-hold mark is committed before the first byte is sent, a
slot deleted at any point after that leaves a tombstone in the store, and the DELETE
goes out on a later pass, across restarts (404: the server never held it, also done).

A slot whose minutes shrank after it was sent (idle discarded) is simply PUT again:
the server applies a strict shrink of the body it holds as an audited change (see the
wire contract in ``billing.api.schemas.SlotPut``).

What happens after each failure is decided by :mod:`sync.retry`:

- a transport failure, timeout or 5xx ends the pass; the next one waits a jittered,
  exponentially growing delay (the slot that failed also sinks in the queue order, so
  one slot the server keeps failing on cannot hold up the others);
- a definite 4xx marks the slot rejected with the server's reason (it keeps its local
  data; the UI shows the reason) and the pass goes on with the next slot;
- 401 pauses the uploader until the user signs in again; the slots stay pending.

:class:`UploaderThread` runs passes on its own thread with a stop event, so the GUI
never waits on the network.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from sync.ports import UploadQueue
from sync.retry import Backoff, Decision, Operation, Verdict, decide
from sync.state import OverLimit, SlotRejected, SyncPhase, SyncSignals
from timekeeping.wording import plural
from tracker.clock import Clock
from tracker.contract import Contract
from tracker.model import DEFAULT_HOLD, Slot, SlotNotFound

log = logging.getLogger(__name__)

SlotId = tuple[int, datetime]


@dataclass(frozen=True)
class SlotReceipt:
    """The server's answer to a slot PUT."""

    over_limit_minutes: int = 0
    shot_expected: bool = True  # False: the server already holds this slot's shot


class SlotApi(Protocol):
    """The requests the uploader needs (``sync.api.ApiClient`` is the real one)."""

    def put_slot(self, slot: Slot, client_time: datetime) -> SlotReceipt: ...

    def put_shot(self, slot: Slot, image: bytes) -> None: ...

    def delete_slot(self, contract_id: int, slot_start: datetime) -> None: ...

    def my_contracts(self, fetched_at: datetime) -> list[Contract]: ...


class LocalShotBroken(Exception):
    """The shot file of a slot is missing or no longer matches its recorded sha256."""


@dataclass
class PassResult:
    """What one pass did, and how long to wait before the next."""

    uploaded: int = 0
    deleted: int = 0
    rejected: int = 0
    over_limit: bool = False
    last_rejection: str | None = None
    handled: int = 0  # slots and deletions taken off the queue (sent, or refused for good)
    remaining: int = 0
    next_delay: float = 0.0
    failure: Decision | None = None


@dataclass
class _Attempts:
    """Consecutive transient failures: of the whole queue, and per slot (for ordering)."""

    queue_failures: int = 0
    per_slot: dict[SlotId, int] = field(default_factory=dict)


class _PassAborted(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


class Uploader:
    """Drains one store's sync queue to one server. Not thread-safe: one thread runs it.

    ``clock`` gives ``now`` (hold window, synced_at, the clock reading sent with each
    slot) and the monotonic time backoff is measured in. ``hold`` is the hold window, or
    a function giving it: it is read at every pass, so a changed setting applies at once.
    """

    def __init__(
        self,
        store: UploadQueue,
        api: SlotApi,
        clock: Clock,
        backoff: Backoff,
        *,
        signals: SyncSignals | None = None,
        hold: timedelta | Callable[[], timedelta] = DEFAULT_HOLD,
        batch_size: int = 50,
        idle_interval: float = 30.0,
        contracts_every: float = 300.0,
    ) -> None:
        self.store = store
        self.api = api
        self.clock = clock
        self.backoff = backoff
        self.signals = signals if signals is not None else SyncSignals()
        self._hold = hold
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self.contracts_every = contracts_every
        self._contracts_due_at: float | None = None  # monotonic; None: refresh on next pass
        self._uploaded_since_refresh = 0
        self._attempts = _Attempts()
        self._paused_for_sign_in = False
        self._told_refused_deletions = False

    @property
    def hold(self) -> timedelta:
        """The hold window in force now."""
        return self._hold() if callable(self._hold) else self._hold

    @hold.setter
    def hold(self, hold: timedelta | Callable[[], timedelta]) -> None:
        self._hold = hold

    @property
    def needs_sign_in(self) -> bool:
        return self._paused_for_sign_in

    def signed_in(self, api: SlotApi) -> None:
        """A fresh token: resume after a 401."""
        self.api = api
        self._paused_for_sign_in = False
        self._attempts.queue_failures = 0

    # --- one pass -----------------------------------------------------------------

    def run_pass(self) -> PassResult:
        result = PassResult()
        if self._paused_for_sign_in:
            result.next_delay = self.idle_interval
            return result
        self.signals.update(phase=SyncPhase.UPLOADING)
        self._tell_refused_deletions_once()
        hold = self.hold
        deletions = self.store.pending_deletions()
        queue = self.store.sync_queue(self.clock.now(), hold)
        try:
            self._send_deletions(deletions, result)
            self._send_slots(queue, result)
        except _PassAborted as aborted:
            result.remaining = self._waiting(hold)
            return self._after_failure(result, aborted.decision)
        # counted afresh: a slot deleted during its upload left a tombstone meanwhile
        result.remaining = self._waiting(hold)
        try:
            self._uploaded_since_refresh += result.uploaded + result.deleted
            self._refresh_contracts_if_due(result)
        except _PassAborted as aborted:
            return self._after_failure(result, aborted.decision)
        self._attempts.queue_failures = 0
        result.next_delay = 0.0 if result.remaining else self.idle_interval
        self._publish(result, None)
        return result

    def _tell_refused_deletions_once(self) -> None:
        """Deletions the server refused for good (week locked) in an earlier run are not
        retried, but the user is told again at each start: those slots are still billed."""
        if self._told_refused_deletions:
            return
        self._told_refused_deletions = True
        refused = self.store.refused_deletions()
        if refused:
            reason = refused[-1].sync_reason or "refused"
            self.signals.update(
                phase=SyncPhase.ERROR,
                last_error=f"{plural(len(refused), 'deleted slot')} still billed on the server "
                f"(slot {refused[-1].key}: {reason})",
            )

    def _waiting(self, hold: timedelta) -> int:
        return len(self.store.pending_deletions()) + len(
            self.store.sync_queue(self.clock.now(), hold)
        )

    def drain(self, max_passes: int = 10_000, sleep: Callable[[float], None] | None = None) -> int:
        """Run passes until nothing is left to send; returns the passes run.

        ``sleep`` receives each backoff delay (a test moves its manual clock with it).
        Stops early if the uploader needs a sign-in.
        """
        for passes in range(1, max_passes + 1):
            result = self.run_pass()
            if self._paused_for_sign_in:
                return passes
            if result.failure is None and result.remaining == 0:
                return passes
            if result.failure is not None and sleep is not None:
                sleep(result.next_delay)
        raise RuntimeError(f"the queue did not drain in {max_passes} passes")

    def _after_failure(self, result: PassResult, decision: Decision) -> PassResult:
        result.failure = decision
        if decision.verdict is Verdict.SIGN_IN:
            self._paused_for_sign_in = True
            log.warning(
                "the server no longer accepts our token (%s): sign in again", decision.reason
            )
            result.next_delay = self.idle_interval
            self.signals.update(
                phase=SyncPhase.SIGNED_OUT,
                last_error=f"sign in again: {decision.reason}",
                pending=result.remaining,
                next_attempt_at=None,
            )
            return result
        delay = self.backoff.delay(self._attempts.queue_failures, decision.retry_after)
        self._attempts.queue_failures += 1
        result.next_delay = delay
        log.info("upload pass failed (%s); next try in %.1f s", decision.reason, delay)
        self._publish(result, decision)
        return result

    def _publish(self, result: PassResult, failure: Decision | None) -> None:
        state = self.signals.state
        now = self.clock.now()
        changes: dict[str, object] = {
            "pending": result.remaining,
            "synced_this_run": state.synced_this_run + result.uploaded,
            "deleted_this_run": state.deleted_this_run + result.deleted,
            "rejected": state.rejected + result.rejected,
        }
        if result.uploaded or result.deleted:
            changes["last_synced_at"] = now
        if failure is not None:
            changes.update(
                phase=SyncPhase.OFFLINE,
                last_error=failure.reason,
                next_attempt_at=now + timedelta(seconds=result.next_delay),
            )
        else:
            changes.update(
                phase=SyncPhase.WAITING if result.remaining else SyncPhase.UP_TO_DATE,
                next_attempt_at=None,
            )
            if result.rejected:
                changes.update(phase=SyncPhase.ERROR, last_error=result.last_rejection)
            elif state.phase is not SyncPhase.ERROR:
                changes.update(last_error=None)
        self.signals.update(**changes)

    # --- contracts and the week's usage -----------------------------------------------

    def refresh_contracts(self) -> list[Contract]:
        """Fetch the contract list with this week's server figures and cache it in the
        store (the app starts offline with the last known cap). Raises on failure."""
        fetched_at = self.clock.now()  # before the request: a conservative cut-off
        contracts = self.api.my_contracts(fetched_at)
        self.store.save_contracts(contracts)
        self._uploaded_since_refresh = 0
        self._contracts_due_at = self.clock.monotonic() + self.contracts_every
        self.signals.contracts_refreshed()
        return contracts

    def _refresh_contracts_if_due(self, result: PassResult) -> None:
        """Refresh when due, after an over-limit answer, and when the queue has just
        drained after uploads (the server's week figure then counts them all)."""
        due = self._contracts_due_at
        drained_after_uploads = result.remaining == 0 and self._uploaded_since_refresh > 0
        if (
            due is not None
            and self.clock.monotonic() < due
            and not result.over_limit
            and not drained_after_uploads
        ):
            return
        decision = self._attempt(Operation.READ, None, self.refresh_contracts)
        if decision.verdict is not Verdict.DONE:
            log.warning("the server refused the contract list: %s", decision.reason)
            self._contracts_due_at = self.clock.monotonic() + self.contracts_every

    # --- deletions ----------------------------------------------------------------

    def _send_deletions(self, deletions: list[Slot], result: PassResult) -> None:
        for tombstone in deletions:
            key = (tombstone.contract_id, tombstone.slot_start)
            decision = self._attempt(
                Operation.DELETE_SLOT,
                key,
                partial(self.api.delete_slot, tombstone.contract_id, tombstone.slot_start),
            )
            result.handled += 1
            if decision.verdict is Verdict.DONE:
                self.store.mark_deletion_synced(*key)
                result.deleted += 1
            else:
                reason = f"not deleted on the server: {decision.reason}"
                self.store.mark_deletion_refused(*key, reason)
                self._report_refusal(tombstone, reason, result)

    # --- slots --------------------------------------------------------------------

    def _send_slots(self, queue: list[Slot], result: PassResult) -> None:
        queue = list(queue)
        # slots that failed transiently before go last, so one bad slot blocks nothing
        queue.sort(key=lambda s: self._attempts.per_slot.get((s.contract_id, s.slot_start), 0))
        for slot in queue[: self.batch_size]:
            self._send_slot(slot, result)
            result.handled += 1

    def _send_slot(self, slot: Slot, result: PassResult) -> None:
        key = (slot.contract_id, slot.slot_start)
        try:
            image = self._read_shot(slot)
        except LocalShotBroken as broken:
            self._reject(slot, str(broken), result)
            return
        try:
            # committed before the PUT leaves: a delete from now on leaves a tombstone
            self.store.mark_sending(*key)
        except SlotNotFound:
            return  # deleted before we sent anything: the server never saw it
        receipt: list[SlotReceipt] = []
        decision = self._attempt(
            Operation.PUT_SLOT,
            key,
            lambda: receipt.append(self.api.put_slot(slot, self.clock.now())),
        )
        shot_expected = receipt[0].shot_expected if receipt else True
        if decision.verdict is Verdict.DONE and image is not None and shot_expected:
            decision = self._attempt(
                Operation.PUT_SHOT, key, lambda: self.api.put_shot(slot, image)
            )
        if decision.verdict is not Verdict.DONE:
            self._reject(slot, decision.reason, result)
            return
        self._attempts.per_slot.pop(key, None)
        try:
            marked = self.store.mark_synced(*key, self.clock.now(), slot.minute_count)
        except SlotNotFound:
            return  # deleted while we were sending it: its tombstone goes next pass
        if not marked:
            return  # it lost minutes while we were sending it: the shorter body goes next
        result.uploaded += 1
        over = receipt[0].over_limit_minutes if receipt else 0
        if over or slot.over_limit:
            self.store.mark_over_limit(slot.contract_id, slot.slot_start, over > 0)
        if over:
            result.over_limit = True
            self.signals.over_limit(OverLimit(slot.contract_id, slot.slot_start, over))

    def _read_shot(self, slot: Slot) -> bytes | None:
        if slot.shot is None:
            return None
        try:
            image = self.store.read_shot(slot)
        except OSError as error:
            raise LocalShotBroken(f"the shot file is missing on this computer ({error})") from None
        if hashlib.sha256(image).hexdigest() != slot.shot.sha256:
            raise LocalShotBroken("the shot file on this computer is damaged (sha256 differs)")
        return image

    # --- one request ----------------------------------------------------------------

    def _attempt(
        self, operation: Operation, key: SlotId | None, send: Callable[[], object]
    ) -> Decision:
        """Send; return DONE or REJECTED, or abort the pass (retry later / sign in)."""
        decision = self._send_once(operation, send)
        if decision.verdict is Verdict.CONFIRM:
            # maybe our own earlier copy of this request won a race: ask once more
            decision = self._send_once(operation, send)
            if decision.verdict is Verdict.CONFIRM:
                decision = Decision(Verdict.REJECTED, decision.reason)
        if decision.verdict in (Verdict.RETRY, Verdict.SIGN_IN):
            if decision.verdict is Verdict.RETRY and key is not None:
                self._attempts.per_slot[key] = self._attempts.per_slot.get(key, 0) + 1
            raise _PassAborted(decision)
        return decision

    @staticmethod
    def _send_once(operation: Operation, send: Callable[[], object]) -> Decision:
        try:
            send()
        except Exception as raised:
            return decide(raised, operation)
        return decide(None, operation)

    def _reject(self, slot: Slot, reason: str, result: PassResult) -> None:
        try:
            self.store.mark_rejected(slot.contract_id, slot.slot_start, reason)
        except SlotNotFound:
            return  # deleted meanwhile: its tombstone's DELETE settles it
        self._report_refusal(slot, reason, result)

    def _report_refusal(self, slot: Slot, reason: str, result: PassResult) -> None:
        log.warning("server refused slot %s of contract %s: %s", slot.key, slot.contract_id, reason)
        result.rejected += 1
        result.last_rejection = f"slot {slot.key}: {reason}"
        self.signals.slot_rejected(SlotRejected(slot.contract_id, slot.slot_start, reason))


Pause = Callable[[float, threading.Event], None]


def wait_on_event(seconds: float, wake: threading.Event) -> None:
    """The production pause: sleep until the delay is over or someone wakes us."""
    wake.wait(seconds)


class UploaderThread:
    """Runs :class:`Uploader` passes on a daemon thread until :meth:`stop`.

    ``pause(seconds, wake)`` is the port that waits between passes (production waits on
    the event; tests move a manual clock). :meth:`nudge` starts the next pass now (a slot
    was just written or deleted); :meth:`stop` ends the loop after the current request.
    """

    def __init__(self, uploader: Uploader, pause: Pause = wait_on_event) -> None:
        self.uploader = uploader
        self._pause = pause
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="workdiary-uploader", daemon=True)
        self.crashed: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> None:
        self._thread.start()

    def nudge(self) -> None:
        self._wake.set()

    def stop(self, timeout: float | None = 10.0) -> bool:
        """Ask the loop to end and wait for it; True if it has ended."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                result = self.uploader.run_pass()
            except Exception as error:  # a bug or a broken store: say so, never spin
                log.exception("the uploader stopped on an unexpected error")
                self.crashed = error
                self.uploader.signals.update(
                    phase=SyncPhase.ERROR, last_error=f"uploader stopped: {error}"
                )
                return
            if self._stopping.is_set():
                return
            if result.next_delay > 0:
                self._pause(result.next_delay, self._wake)
                self._wake.clear()
