"""The upload queue: finished slots from the local store to the server, exactly once.

One *pass* (:meth:`Uploader.run_pass`) sends the deletions the server still needs, then
the slots past the hold window, oldest first: commit in the store that the server may
hold each slot, POST them in batches (``POST /contracts/{id}/slots``, at most
``wire.BATCH_MAX_SLOTS`` slots and ``wire.BATCH_MAX_BYTES`` each), PUT the shots the
server still expects (a batch's shots go out, a few at once, while the next batch is
sent), and only then mark each slot synced. Every request is
idempotent on the server (a slot is named by ``(contract_id, slot_start)``), so a crash
or a lost answer at any point is repaired by sending the same request again on the next
pass. Because the may-hold mark is committed before the first byte is sent, a
slot deleted at any point after that leaves a tombstone in the store, and the DELETE
goes out on a later pass, across restarts (404: the server never held it, also done).

Signed diary (wire v2), when the uploader has a device key: each pass first registers
the key (once per sign-in), signs a deletion entry for each tombstone, and sends the
entries no answered request carried yet (``POST /contracts/{id}/chain``). Each slot is
signed in the store when it is committed for sending, and its body carries its entry.

A slot whose minutes shrank after it was sent (idle discarded) is simply PUT again:
the server applies a strict shrink of the body it holds as an audited change (see the
wire contract in ``billing.api.schemas.SlotPut``).

What happens after each failure is decided by :mod:`sync.retry`:

- a transport failure, timeout or 5xx ends the pass; the next one waits a jittered,
  exponentially growing delay (the slot that failed also sinks in the queue order, so
  one slot the server keeps failing on cannot hold up the others);
- a definite 4xx marks the slot rejected with the server's reason (it keeps its local
  data; the UI shows the reason) and the pass goes on with the next slot; in a batch,
  each slot has its own status, so a refused one (409/422) never holds up the others —
  a 409 is confirmed once with the single PUT (our own lost earlier copy may have won a
  race), and a batch refused as a whole (a malformed item, no batch endpoint) is sent
  again as single PUTs, so each slot gets its own answer;
- a slot that already failed transiently twice is sent on its own, last: a slot the
  server keeps failing on cannot hold up a batch;
- 401 pauses the uploader until the user signs in again; the slots stay pending.

Offline: the first failed request publishes OFFLINE at once. While offline, each pass
first asks the server's no-op health check (cheap: no database, no auth); the pause
between passes is the jittered backoff, capped (25 s in the app). The pass after a
successful probe sends the queue at once. An idle uploader probes too, every
``idle_interval`` (20 s in the app), so a lost server is noticed even when nothing is waiting.

:class:`UploaderThread` runs passes on its own thread with a stop event, so the GUI
never waits on the network.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

from diarychain.digest import sha256_hex
from diarychain.ingest import SignedRun
from diarychain.keys import DeviceKey
from sync.errors import ApiError, signed_out_message
from sync.ports import UploadQueue
from sync.retry import Backoff, Decision, Operation, Verdict, decide, verdict_for_status
from sync.state import OverLimit, SlotRejected, SyncPhase, SyncSignals
from sync.wire import BatchItem, batches
from timekeeping.wording import plural
from tracker.cap import week_start
from tracker.clock import Clock
from tracker.contract import Contract
from tracker.model import DEFAULT_HOLD, Slot, SlotNotFound
from tracker.shot_seal import ShotUnreadable
from tracker.slots import SLOT_LENGTH

log = logging.getLogger(__name__)

SlotId = tuple[int, datetime]
# a slot that failed transiently this often goes alone (single PUT), after the others
ALONE_AFTER_FAILURES = 2
# shots in flight at once beside the batches: the server reads, checks and writes their files
# side by side (only naming each blob waits for SQLite's write lock); 8 measured faster
# than 4 in bench/catch_up.py
SHOT_CONNECTIONS = 8
# an idle uploader asks the server's health this often: with the probe's own timeouts
# (sync.api.PROBE_TIMEOUT, 3 s to connect and 5 s to read) a lost server is noticed
# within the 30 s issue 13 promises, even one that drops packets instead of refusing
IDLE_PROBE_SECONDS = 20.0


@dataclass(frozen=True)
class SlotReceipt:
    """The server's answer to a slot PUT."""

    over_limit_minutes: int = 0
    shot_expected: bool = True  # False: the server already holds this slot's shot


class SlotApi(Protocol):
    """The requests the uploader needs (``sync.api.ApiClient`` is the real one)."""

    def put_slot(
        self, slot: Slot, client_time: datetime, run: SignedRun | None = None
    ) -> SlotReceipt: ...

    def put_slots(
        self,
        contract_id: int,
        slots: list[Slot],
        client_time: datetime,
        runs: Sequence[SignedRun | None] = (),
    ) -> list[BatchItem]: ...

    def register_device(self, public_key: str) -> None: ...

    def post_chain(self, contract_id: int, run: SignedRun) -> None: ...

    def health(self) -> None: ...

    def put_shot(self, slot: Slot, image: bytes) -> None: ...

    def delete_slot(self, contract_id: int, slot_start: datetime) -> None: ...

    def my_contracts(self, fetched_at: datetime) -> list[Contract]: ...


class LocalShotBroken(Exception):
    """The shot file of a slot is missing, cannot be decrypted, or no longer matches its
    recorded sha256."""


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


@dataclass(frozen=True)
class _LocalCounts:
    held: int
    held_until: datetime | None
    synced_this_week: int


_Accepted = tuple[Slot, bytes | None, SlotReceipt]  # held by the server; shot maybe to go


class _PassAborted(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__(decision.reason)
        self.decision = decision


class Uploader:
    """Drains one store's sync queue to one server. Not thread-safe: one thread runs it.

    ``clock`` gives ``now`` (hold window, synced_at, the clock reading sent with each
    slot) and the monotonic time backoff is measured in. ``hold`` is the hold window, or
    a function giving it: it is read at every pass, so a changed setting applies at once.
    ``signer`` gives the device key that signs the diary (None: v1 bodies, unsigned);
    it is asked for at the first pass, so the keyring is not touched before.
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
        batch_size: int = 500,
        idle_interval: float = IDLE_PROBE_SECONDS,
        contracts_every: float = 300.0,
        signer: Callable[[], DeviceKey] | None = None,
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
        self._last_contact: float | None = None  # monotonic: the server last answered
        self._signer = signer
        self._key: DeviceKey | None = None
        self._registered = False  # the key was registered since the last sign-in
        self._runs: dict[SlotId, SignedRun] = {}  # this pass's signed slots

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
        self._registered = False
        self._attempts.queue_failures = 0

    # --- one pass -----------------------------------------------------------------

    def run_pass(self) -> PassResult:
        result = PassResult()
        if self._paused_for_sign_in:
            result.next_delay = self.idle_interval
            return result
        hold = self.hold
        try:
            if self.offline:
                # the cheap probe first: no store read, no upload, until the server answers
                self._attempt(Operation.READ, (), self.api.health)
            deletions = self.store.pending_deletions()
            queue = self.store.sync_queue(self.clock.now(), hold)
            if not (deletions or queue):
                self._probe_if_idle()
            self.signals.update(phase=SyncPhase.UPLOADING)
            self._tell_refused_deletions_once()
            self._runs.clear()
            self._send_signed_entries(deletions)
            self._send_deletions(deletions, result)
            self._send_slots(queue, result)
        except _PassAborted as aborted:
            return self._after_failure(result, aborted.decision, self._local_counts(hold, result))
        # counted afresh: a slot deleted during its upload left a tombstone meanwhile
        counts = self._local_counts(hold, result)
        try:
            self._uploaded_since_refresh += result.uploaded + result.deleted
            self._refresh_contracts_if_due(result)
        except _PassAborted as aborted:
            return self._after_failure(result, aborted.decision, counts)
        self._attempts.queue_failures = 0
        result.next_delay = 0.0 if result.remaining else self._idle_delay(counts.held_until)
        self._publish(result, None, counts)
        return result

    def _local_counts(self, hold: timedelta, result: PassResult) -> _LocalCounts:
        """What the store holds, counted in one query; sets ``result.remaining``."""
        now = self.clock.now()
        counts = self.store.queue_counts(now, hold, week_start(now))
        result.remaining = counts.waiting + counts.deletions
        held_until = None if counts.first_held is None else counts.first_held + SLOT_LENGTH + hold
        return _LocalCounts(counts.held, held_until, counts.synced_since)

    @property
    def offline(self) -> bool:
        """The last pass failed to reach the server (or got a 5xx): probing."""
        return self._attempts.queue_failures > 0

    def _probe_if_idle(self) -> None:
        """Nothing to send: probe once per ``idle_interval`` all the same, so a lost server
        is noticed (and shown) before there is something to send. Raises on failure."""
        if self._last_contact is None or (
            self.clock.monotonic() - self._last_contact >= self.idle_interval
        ):
            self._attempt(Operation.READ, (), self.api.health)

    def _idle_delay(self, held_until: datetime | None) -> float:
        """Idle: wake at the next probe, or when the first held slot leaves the hold."""
        if held_until is None:
            return self.idle_interval
        until = (held_until - self.clock.now()).total_seconds()
        return min(self.idle_interval, max(until, 0.0) + 0.5)

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

    def _after_failure(
        self, result: PassResult, decision: Decision, counts: _LocalCounts
    ) -> PassResult:
        result.failure = decision
        if decision.verdict is Verdict.SIGN_IN:
            self._paused_for_sign_in = True
            log.warning(
                "the server no longer accepts our token (%s): sign in again", decision.reason
            )
            result.next_delay = self.idle_interval
            self.signals.update(
                phase=SyncPhase.SIGNED_OUT,
                last_error=signed_out_message(decision.reason),
                pending=result.remaining,
                held=counts.held,
                held_until=counts.held_until,
                next_attempt_at=None,
            )
            return result
        delay = self.backoff.delay(self._attempts.queue_failures, decision.retry_after)
        self._attempts.queue_failures += 1
        result.next_delay = delay
        log.info("upload pass failed (%s); next try in %.1f s", decision.reason, delay)
        self._publish(result, decision, counts)
        return result

    def _publish(
        self, result: PassResult, failure: Decision | None, counts: _LocalCounts
    ) -> None:
        state = self.signals.state
        now = self.clock.now()
        changes: dict[str, object] = {
            "pending": result.remaining,
            "held": counts.held,
            "held_until": counts.held_until,
            "synced_this_week": counts.synced_this_week,
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
        decision = self._attempt(Operation.READ, (), self.refresh_contracts)
        if decision.verdict is not Verdict.DONE:
            log.warning("the server refused the contract list: %s", decision.reason)
            self._contracts_due_at = self.clock.monotonic() + self.contracts_every

    # --- the signed diary -------------------------------------------------------------

    def _device_key(self) -> DeviceKey | None:
        if self._key is None and self._signer is not None:
            self._key = self._signer()
        return self._key

    def _send_signed_entries(self, deletions: list[Slot]) -> None:
        """Register the key (once per sign-in), sign the tombstones' deletions, and send
        every entry no answered request carried yet, per contract."""
        key = self._device_key()
        if key is None:
            return
        if not self._registered:
            decision = self._attempt(
                Operation.READ, (), partial(self.api.register_device, key.public_hex())
            )
            if decision.verdict is not Verdict.DONE:
                log.error("the server refused this device's key: %s", decision.reason)
            self._registered = True
        if deletions:
            self.store.sign_deletions(deletions, key, self.clock.now())
        for contract_id, entries in self.store.unanswered_runs(key).items():
            run = SignedRun(key.public_hex(), entries)
            decision = self._attempt(
                Operation.PUT_SLOT, (), partial(self.api.post_chain, contract_id, run)
            )
            if decision.verdict is Verdict.DONE:
                self.store.mark_answered(entry.hash for entry in entries)
            else:
                log.error("the server refused signed entries of contract %s: %s",
                          contract_id, decision.reason)

    def _sign(self, slots: Sequence[Slot]) -> list[SignedRun | None]:
        """Sign ``slots`` as they will be sent (committed before anything is sent)."""
        key = self._device_key()
        if key is None:
            return [None] * len(slots)
        runs = self.store.sign_slots(slots, key, self.clock.now())
        signed: list[SignedRun | None] = []
        for slot, entries in zip(slots, runs, strict=True):
            run = SignedRun(key.public_hex(), entries)
            self._runs[(slot.contract_id, slot.slot_start)] = run
            signed.append(run)
        return signed

    def _put(self, slot: Slot) -> SlotReceipt:
        """The single PUT of ``slot``, with its signed run when it has one."""
        run = self._runs.get((slot.contract_id, slot.slot_start))
        if run is None:
            return self.api.put_slot(slot, self.clock.now())
        receipt = self.api.put_slot(slot, self.clock.now(), run)
        self.store.mark_answered(entry.hash for entry in run.entries)
        return receipt

    def _put_batch(self, contract_id: int, sent: list[Slot]) -> list[BatchItem]:
        runs = self._sign(sent)
        if self._key is None:
            return self.api.put_slots(contract_id, sent, self.clock.now())
        items = self.api.put_slots(contract_id, sent, self.clock.now(), runs)
        self.store.mark_answered(
            entry.hash for item, run in zip(items, runs, strict=True)
            if run is not None and 200 <= item.status < 300 for entry in run.entries
        )
        return items

    # --- deletions ----------------------------------------------------------------

    def _send_deletions(self, deletions: list[Slot], result: PassResult) -> None:
        for tombstone in deletions:
            key = (tombstone.contract_id, tombstone.slot_start)
            decision = self._attempt(
                Operation.DELETE_SLOT,
                [key],
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

    def _failures(self, slot: Slot) -> int:
        return self._attempts.per_slot.get((slot.contract_id, slot.slot_start), 0)

    def _send_slots(self, queue: list[Slot], result: PassResult) -> None:
        # slots that failed transiently before go last, so one bad slot blocks nothing
        queue = sorted(queue, key=self._failures)[: self.batch_size]
        together = [s for s in queue if self._failures(s) < ALONE_AFTER_FAILURES]
        alone = [s for s in queue if self._failures(s) >= ALONE_AFTER_FAILURES]
        # each batch's shots go out as soon as it is answered, while the next batch is
        # sent, a few at once; a slot is marked synced only once its shot is in
        aborted: Decision | None = None
        sending: list[tuple[_Accepted, Future[Decision]]] = []
        with ThreadPoolExecutor(SHOT_CONNECTIONS, thread_name_prefix="workdiary-shots") as pool:
            try:
                for contract_id, chunk in batches(together):
                    for item in self._send_batch(contract_id, chunk, result):
                        sending.append((item, pool.submit(self._send_shot, item)))
            finally:
                # a later batch that aborted the pass leaves the shots in flight to finish:
                # the slots whose shot is in are marked synced all the same
                aborted = self._settle_shots(sending, result)
        if aborted is not None:
            raise _PassAborted(aborted)
        for slot in alone:
            self._send_slot(slot, result)
            result.handled += 1

    def _prepare(self, slot: Slot, result: PassResult) -> tuple[bool, bytes | None]:
        """Read the shot, then commit that the server may hold the slot (before anything
        is sent: a delete from now on leaves a tombstone). False: do not send it."""
        try:
            image = self._read_shot(slot)
        except LocalShotBroken as broken:
            self._reject(slot, str(broken), result)
            return False, None
        try:
            self.store.mark_sending(slot.contract_id, slot.slot_start)
        except SlotNotFound:
            return False, None  # deleted before we sent anything: the server never saw it
        self._sign([slot])
        return True, image

    def _send_batch(
        self, contract_id: int, chunk: list[Slot], result: PassResult
    ) -> list[_Accepted]:
        """POST one batch; the slots the server holds now, with their receipts."""
        readable: list[tuple[Slot, bytes | None]] = []
        for slot in chunk:
            try:
                readable.append((slot, self._read_shot(slot)))
            except LocalShotBroken as broken:
                self._reject(slot, str(broken), result)
                result.handled += 1
        # committed before the batch leaves: a delete from now on leaves a tombstone
        live = self.store.mark_sending_many([(s.contract_id, s.slot_start) for s, _ in readable])
        ready = [item for item, send in zip(readable, live, strict=True) if send]
        result.handled += len(readable) - len(ready)  # deleted before anything was sent
        if not ready:
            return []
        sent = [slot for slot, _ in ready]
        answer: list[list[BatchItem]] = []
        decision = self._attempt(
            Operation.PUT_SLOTS,
            [(slot.contract_id, slot.slot_start) for slot in sent],
            lambda: answer.append(self._put_batch(contract_id, sent)),
        )
        if decision.verdict is not Verdict.DONE:
            # refused as a whole (a malformed item, no batch endpoint here): one by one,
            # each slot gets its own answer
            log.info("batch refused (%s); sending its %d slots one by one", decision.reason,
                     len(ready))
            return [a for slot, image in ready if (a := self._put_alone(slot, image, result))]
        accepted = []
        for (slot, image), item in zip(ready, answer[0], strict=True):
            receipt = self._item_receipt(slot, item, result)
            if receipt is not None:
                accepted.append((slot, image, receipt))
        return accepted

    def _item_receipt(self, slot: Slot, item: BatchItem, result: PassResult) -> SlotReceipt | None:
        """One slot's status in a batch answer: its receipt if the server holds it."""
        verdict = verdict_for_status(item.status, Operation.PUT_SLOT)
        if verdict is Verdict.DONE:
            return SlotReceipt(item.over_limit_minutes, item.shot_expected)
        if verdict is Verdict.CONFIRM:
            # maybe our own lost earlier copy won a race: the single PUT asks once more
            receipt: list[SlotReceipt] = []
            decision = self._confirm(
                slot, lambda: receipt.append(self._put(slot))
            )
            if decision.verdict is Verdict.DONE:
                return receipt[0]
            self._reject(slot, decision.reason or item.detail, result)
        elif verdict is Verdict.REJECTED:
            self._reject(slot, item.detail or f"refused ({item.status})", result)
        else:  # a transient status for this slot alone: it waits for the next pass
            key = (slot.contract_id, slot.slot_start)
            self._attempts.per_slot[key] = self._attempts.per_slot.get(key, 0) + 1
        result.handled += 1
        return None

    def _confirm(self, slot: Slot, send: Callable[[], object]) -> Decision:
        """Send a 409'd slot once more: DONE, or REJECTED; transient aborts the pass."""
        decision = self._send_once(Operation.PUT_SLOT, send)
        if decision.verdict is Verdict.CONFIRM:
            return Decision(Verdict.REJECTED, decision.reason)
        if decision.verdict in (Verdict.RETRY, Verdict.SIGN_IN):
            self._count_failure([(slot.contract_id, slot.slot_start)], decision)
            raise _PassAborted(decision)
        return decision

    def _put_alone(
        self, slot: Slot, image: bytes | None, result: PassResult
    ) -> _Accepted | None:
        """The single PUT of a slot already marked sending: its receipt, or None."""
        receipt: list[SlotReceipt] = []
        decision = self._attempt(
            Operation.PUT_SLOT,
            [(slot.contract_id, slot.slot_start)],
            lambda: receipt.append(self._put(slot)),
        )
        if decision.verdict is not Verdict.DONE:
            self._reject(slot, decision.reason, result)
            result.handled += 1
            return None
        return slot, image, receipt[0]

    def _send_slot(self, slot: Slot, result: PassResult) -> None:
        send, image = self._prepare(slot, result)
        if not send:
            return
        accepted = self._put_alone(slot, image, result)
        if accepted is not None:
            self._finish(*accepted, result)

    def _settle_shots(
        self, sending: list[tuple[_Accepted, Future[Decision]]], result: PassResult
    ) -> Decision | None:
        """Wait for each accepted slot's shot, then mark synced the slots whose shot is in
        (one store write); the first failure that ends the pass, if any."""
        aborted: Decision | None = None
        stored: list[tuple[Slot, SlotReceipt]] = []
        for (slot, _, receipt), future in sending:
            shot = future.result()
            result.handled += 1
            if shot.verdict in (Verdict.RETRY, Verdict.SIGN_IN):
                self._count_failure([(slot.contract_id, slot.slot_start)], shot)
                aborted = aborted or shot
            elif shot.verdict is not Verdict.DONE:
                self._reject(slot, shot.reason, result)
            else:
                stored.append((slot, receipt))
        marks = self.store.mark_synced_many(
            [(slot.contract_id, slot.slot_start, slot.minute_count) for slot, _ in stored],
            self.clock.now(),
        )
        for (slot, receipt), marked in zip(stored, marks, strict=True):
            self._note_synced(slot, receipt, marked, result)
        return aborted

    def _send_shot(self, item: _Accepted) -> Decision:
        """PUT one accepted slot's shot if the server still expects it (on a shot thread:
        it touches neither the store nor the pass's result)."""
        slot, image, receipt = item
        if image is None or not receipt.shot_expected:
            return Decision(Verdict.DONE, "")
        return self._send_once(Operation.PUT_SHOT, lambda: self.api.put_shot(slot, image))

    def _finish(
        self, slot: Slot, image: bytes | None, receipt: SlotReceipt, result: PassResult
    ) -> None:
        """A slot sent alone: its shot if still expected, then mark it synced."""
        key = (slot.contract_id, slot.slot_start)
        if image is not None and receipt.shot_expected:
            decision = self._attempt(
                Operation.PUT_SHOT, [key], lambda: self.api.put_shot(slot, image)
            )
            if decision.verdict is not Verdict.DONE:
                self._reject(slot, decision.reason, result)
                return
        self._mark_synced(slot, receipt, result)

    def _mark_synced(self, slot: Slot, receipt: SlotReceipt, result: PassResult) -> None:
        """The server holds the slot and its shot: mark it synced (unless it changed
        meanwhile) and note what the cap did to it."""
        key = (slot.contract_id, slot.slot_start)
        try:
            marked: bool | None = self.store.mark_synced(
                *key, self.clock.now(), slot.minute_count
            )
        except SlotNotFound:
            marked = None
        self._note_synced(slot, receipt, marked, result)

    def _note_synced(
        self, slot: Slot, receipt: SlotReceipt, marked: bool | None, result: PassResult
    ) -> None:
        self._attempts.per_slot.pop((slot.contract_id, slot.slot_start), None)
        if marked is None:
            return  # deleted while we were sending it: its tombstone goes next pass
        if not marked:
            return  # it lost minutes while we were sending it: the shorter body goes next
        result.uploaded += 1
        over = receipt.over_limit_minutes
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
        except ShotUnreadable as error:  # key missing, or the sealed file was changed
            raise LocalShotBroken(f"the shot file on this computer is unreadable: {error.reason}"
                                  f" ({error.path})") from None
        # over the plain picture, as recorded when it was taken: what the server checks
        if sha256_hex(image) != slot.shot.sha256:
            raise LocalShotBroken("the shot file on this computer is damaged (sha256 differs)")
        return image

    # --- one request ----------------------------------------------------------------

    def _attempt(
        self, operation: Operation, keys: Sequence[SlotId], send: Callable[[], object]
    ) -> Decision:
        """Send; return DONE or REJECTED, or abort the pass (retry later / sign in)."""
        decision = self._send_once(operation, send)
        if decision.verdict is Verdict.CONFIRM:
            # maybe our own earlier copy of this request won a race: ask once more
            decision = self._send_once(operation, send)
            if decision.verdict is Verdict.CONFIRM:
                decision = Decision(Verdict.REJECTED, decision.reason)
        if decision.verdict in (Verdict.RETRY, Verdict.SIGN_IN):
            self._count_failure(keys, decision)
            raise _PassAborted(decision)
        return decision

    def _count_failure(self, keys: Sequence[SlotId], decision: Decision) -> None:
        if decision.verdict is Verdict.RETRY:
            for key in keys:
                self._attempts.per_slot[key] = self._attempts.per_slot.get(key, 0) + 1

    def _send_once(self, operation: Operation, send: Callable[[], object]) -> Decision:
        try:
            send()
        except Exception as raised:
            decision = decide(raised, operation)
            if isinstance(raised, ApiError) and decision.verdict is not Verdict.RETRY:
                self._last_contact = self.clock.monotonic()  # it answered, if only to refuse
            return decision
        self._last_contact = self.clock.monotonic()
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
