"""Uploader decisions that need no network: a hand-written server stand-in answers.

The real-server behaviour (idempotency, faults, crashes, offline) is proven in
test_against_server.py; here each branch of the queue logic is driven directly.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sync.errors import ApiError, Unreachable
from sync.retry import Backoff
from sync.state import OverLimit, SlotRejected, SyncPhase, UploaderStatus
from sync.uploader import SlotReceipt, Uploader, UploaderThread
from sync.wire import BatchItem
from tests.support.shot_keys import OTHER_SHOT_KEYS, TEST_SHOT_KEYS
from tests.sync.diary import write_slot
from tracker.clock import ManualClock, utc
from tracker.contract import Contract
from tracker.store import Slot, Store

MONDAY = utc(2026, 11, 16, 9, 0)
SlotId = tuple[int, datetime]


class FakeServer:
    """Holds slots like the wire contract says; ``failures`` are raised first, in order."""

    def __init__(self) -> None:
        self.slots: dict[SlotId, tuple[int, str]] = {}  # → (minutes, memo)
        self.shots: dict[SlotId, str] = {}  # → sha256 of the bytes received
        self.failures: list[BaseException] = []
        self.refuse: dict[SlotId, ApiError] = {}
        self.deleted: set[SlotId] = set()
        self.over_limit_from: int | None = None
        self.calls: list[str] = []
        self.batches: list[int] = []  # the size of each batch received
        self.health_checks = 0
        self.contracts = [Contract(7, "Hourly", 4000, "USD", weekly_cap_minutes=600)]

    def _maybe_fail(self, call: str) -> None:
        self.calls.append(call)
        if self.failures:
            raise self.failures.pop(0)

    def put_slot(self, slot: Slot, client_time: datetime) -> SlotReceipt:
        self._maybe_fail("put_slot")
        return self._store_slot(slot)

    def put_slots(
        self, contract_id: int, slots: list[Slot], client_time: datetime
    ) -> list[BatchItem]:
        """Per-slot statuses, as the server's batch endpoint; a 5xx fails the whole batch."""
        self._maybe_fail("put_slots")
        self.batches.append(len(slots))
        items = []
        for slot in slots:
            try:
                receipt = self._store_slot(slot)
            except ApiError as refused:
                if refused.status >= 500:
                    raise
                items.append(BatchItem(slot.slot_start, refused.status, refused.reason, 0, False))
                continue
            items.append(BatchItem(
                slot.slot_start, 201, "", receipt.over_limit_minutes, receipt.shot_expected
            ))
        return items

    def health(self) -> None:
        self.health_checks += 1
        if self.failures:
            raise self.failures.pop(0)

    def _store_slot(self, slot: Slot) -> SlotReceipt:
        key = (slot.contract_id, slot.slot_start)
        if key in self.refuse:
            raise self.refuse[key]
        body = (slot.minute_count, slot.memo)
        if key in self.deleted:  # as billing.db.slots.put_slot does today
            raise ApiError(409, "slot was deleted; a deleted slot cannot be synced again")
        held = self.slots.get(key)
        # the wire contract's audited shrink: fewer minutes of the same slot are applied
        shrink = held is not None and body[1] == held[1] and body[0] < held[0]
        if held is not None and held != body and not shrink:
            raise ApiError(409, "a different slot is already held")
        self.slots[key] = body
        over = 0
        if self.over_limit_from is not None and len(self.slots) > self.over_limit_from:
            over = slot.minute_count
        return SlotReceipt(over_limit_minutes=over, shot_expected=key not in self.shots)

    def put_shot(self, slot: Slot, image: bytes) -> None:
        self._maybe_fail("put_shot")
        self.shots[(slot.contract_id, slot.slot_start)] = hashlib.sha256(image).hexdigest()

    def delete_slot(self, contract_id: int, slot_start: datetime) -> None:
        self._maybe_fail("delete_slot")
        if (contract_id, slot_start) in self.deleted:
            return
        if self.slots.pop((contract_id, slot_start), None) is None:
            raise ApiError(404, "slot not found")
        self.deleted.add((contract_id, slot_start))
        self.shots.pop((contract_id, slot_start), None)

    def my_contracts(self, fetched_at: datetime) -> list[Contract]:
        self._maybe_fail("my_contracts")
        return self.contracts


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "data", TEST_SHOT_KEYS) as opened:
        yield opened


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY + timedelta(hours=3))


def _uploader(store: Store, server: FakeServer, clock: ManualClock) -> Uploader:
    return Uploader(store, server, clock, Backoff(random.Random(3), 0.5, 8.0), batch_size=5)


def _hour(store: Store, rng: random.Random, count: int = 6) -> list[Slot]:
    return [write_slot(store, 7, MONDAY + timedelta(minutes=10 * n), rng) for n in range(count)]


def test_slots_in_the_hold_window_wait_and_the_rest_go_in_batches(
    store: Store, clock: ManualClock
) -> None:
    rng = random.Random(1)
    _hour(store, rng, 12)
    recent = write_slot(store, 7, clock.now() - timedelta(minutes=10), rng)
    server = FakeServer()
    uploader = _uploader(store, server, clock)
    first = uploader.run_pass()
    assert (first.uploaded, first.remaining, first.next_delay) == (5, 7, 0.0)
    uploader.drain()
    assert len(server.slots) == 12 and len(server.shots) == 12
    assert (recent.contract_id, recent.slot_start) not in server.slots  # still held
    clock.advance(timedelta(minutes=10))
    uploader.drain()
    assert len(server.slots) == 13
    assert store.sync_queue(clock.now()) == []
    assert all(s.sync_state == "synced" for s in store.slots_between(MONDAY, clock.now()))


class SecondBatchFails(FakeServer):
    """The network goes while the second batch is sent."""

    def put_slots(
        self, contract_id: int, slots: list[Slot], client_time: datetime
    ) -> list[BatchItem]:
        if self.batches:
            self.calls.append("put_slots")
            raise Unreachable("the network went")
        return super().put_slots(contract_id, slots, client_time)


def test_a_batch_s_shots_go_out_while_the_next_batch_is_sent(store: Store) -> None:
    clock = ManualClock(MONDAY + timedelta(days=2))  # 150 slots: 25 h, all past the hold
    _hour(store, random.Random(12), 150)
    server = SecondBatchFails()
    uploader = Uploader(store, server, clock, Backoff(random.Random(3), 0.5, 8.0))
    failed = uploader.run_pass()
    assert failed.failure is not None and server.batches == [100]
    # the first batch's shots did not wait for the second batch: they are in, and
    # their slots are synced though the pass ended on the second batch's failure
    assert len(server.shots) == 100 and failed.uploaded == 100
    synced = [s for s in store.slots_between(MONDAY, clock.now()) if s.sync_state == "synced"]
    assert len(synced) == 100 and failed.remaining == 50
    uploader.drain()
    assert len(server.shots) == 150


def test_network_failures_back_off_exponentially_then_succeed(
    store: Store, clock: ManualClock
) -> None:
    _hour(store, random.Random(2), 2)
    server = FakeServer()
    server.failures = [Unreachable("refused")] * 5
    uploader = _uploader(store, server, clock)
    delays = []
    for _ in range(5):
        result = uploader.run_pass()
        assert result.failure is not None and result.uploaded == 0
        delays.append(result.next_delay)
        assert uploader.signals.state.phase is SyncPhase.OFFLINE
        clock.advance(result.next_delay)
    assert [0.25 <= d <= 0.5 for d in delays[:1]] == [True]
    assert delays[4] > delays[0] * 4  # grew exponentially (0.5·2⁴ ≥ 4 after jitter)
    assert all(d <= 8.0 for d in delays)
    assert uploader.run_pass().uploaded == 2
    assert uploader.signals.state.phase is SyncPhase.UP_TO_DATE
    assert uploader.run_pass().failure is None  # the counter reset


def test_a_slot_the_server_keeps_failing_on_does_not_block_the_others(
    store: Store, clock: ManualClock
) -> None:
    slots = _hour(store, random.Random(3), 4)
    server = FakeServer()
    poison = (slots[0].contract_id, slots[0].slot_start)
    server.refuse[poison] = ApiError(500, "internal error")
    uploader = _uploader(store, server, clock)
    for _ in range(4):
        uploader.run_pass()
    assert set(server.slots) == {(s.contract_id, s.slot_start) for s in slots[1:]}
    assert store.get_slot(*poison).sync_state == "pending"  # type: ignore[union-attr]


def test_a_definite_4xx_rejects_the_slot_keeps_it_and_moves_on(
    store: Store, clock: ManualClock
) -> None:
    slots = _hour(store, random.Random(4), 3)
    server = FakeServer()
    locked = (slots[1].contract_id, slots[1].slot_start)
    server.refuse[locked] = ApiError(409, "week locked")
    uploader = _uploader(store, server, clock)
    rejected: list[SlotRejected] = []
    uploader.signals.rejection_listeners.append(rejected.append)
    assert uploader.drain() == 1
    stored = store.get_slot(*locked)
    assert stored is not None
    assert (stored.sync_state, stored.sync_reason) == ("rejected", "week locked")
    assert stored.shot is not None and stored.shot.path.exists()  # local data kept
    assert rejected == [SlotRejected(*locked, "week locked")]
    assert uploader.signals.state.phase is SyncPhase.ERROR
    assert uploader.signals.state.rejected == 1
    assert uploader.signals.state.last_error == f"slot {slots[1].key}: week locked"
    calls = len(server.calls)
    uploader.drain()
    assert server.calls[calls:] == []  # never retried


def test_401_pauses_everything_until_sign_in(store: Store, clock: ManualClock) -> None:
    _hour(store, random.Random(5), 3)
    server = FakeServer()
    server.failures = [ApiError(401, "token unknown or revoked")]
    uploader = _uploader(store, server, clock)
    uploader.drain()
    assert uploader.needs_sign_in
    state = uploader.signals.state
    assert state.phase is SyncPhase.SIGNED_OUT
    assert state.last_error == "Signed out: token unknown or revoked"
    assert state.pending == 3
    assert uploader.run_pass().uploaded == 0 and len(server.calls) == 1
    assert all(s.sync_state == "pending" for s in store.slots_between(MONDAY, clock.now()))
    uploader.signed_in(server)
    uploader.drain()
    assert len(server.slots) == 3


def test_deleted_after_sync_sends_delete_and_a_lost_answer_is_harmless(
    store: Store, clock: ManualClock
) -> None:
    slots = _hour(store, random.Random(6), 2)
    server = FakeServer()
    uploader = _uploader(store, server, clock)
    uploader.drain()
    store.delete_slot(slots[0].contract_id, slots[0].slot_start, clock.now())
    # the DELETE lands but its answer is lost; the retry gets 404: done all the same
    server.failures = [Unreachable("reset")]
    server.slots.pop((slots[0].contract_id, slots[0].slot_start))
    uploader.drain()
    assert store.pending_deletions() == []
    assert store.get_slot(slots[0].contract_id, slots[0].slot_start) is None
    assert list(server.slots) == [(slots[1].contract_id, slots[1].slot_start)]


def test_a_slot_deleted_while_it_was_being_sent_is_deleted_on_the_server(
    store: Store, clock: ManualClock
) -> None:
    slot = _hour(store, random.Random(7), 1)[0]
    server = FakeServer()
    original_store = server._store_slot

    def store_then_user_deletes(sent: Slot) -> SlotReceipt:
        receipt = original_store(sent)
        store.delete_slot(sent.contract_id, sent.slot_start, clock.now())
        return receipt

    server._store_slot = store_then_user_deletes  # type: ignore[method-assign]
    uploader = _uploader(store, server, clock)
    uploader.drain()
    uploader.drain()
    assert server.slots == {}
    assert store.get_slot(slot.contract_id, slot.slot_start) is None


def test_a_synced_slot_that_lost_minutes_is_sent_again_shorter_and_stays_synced(
    store: Store, clock: ManualClock
) -> None:
    slot = _hour(store, random.Random(8), 1)[0]
    key = (slot.contract_id, slot.slot_start)
    server = FakeServer()
    uploader = _uploader(store, server, clock)
    uploader.drain()
    store.remove_minutes(slot.contract_id, slot.slot_start, [7, 8, 9], clock.now())
    uploader.drain()
    # the server applies the shorter body (an audited shrink): the kept minutes stay
    # billed, the discarded ones do not, and nothing is rejected
    assert server.slots[key] == (7, slot.memo)
    stored = store.get_slot(*key)
    assert stored is not None and stored.minute_count == 7
    assert (stored.sync_state, stored.replaces_synced) == ("synced", False)
    assert server.calls.count("delete_slot") == 0 and server.calls.count("put_slots") == 2


def test_a_409_on_a_put_is_confirmed_once_a_racing_duplicate_is_not_a_conflict(
    store: Store, clock: ManualClock
) -> None:
    slot = _hour(store, random.Random(12), 1)[0]
    server = FakeServer()
    server.failures = [ApiError(409, "the request conflicts with stored data; reload and retry")]
    _uploader(store, server, clock).drain()
    assert store.get_slot(slot.contract_id, slot.slot_start).sync_state == "synced"  # type: ignore[union-attr]


def test_a_damaged_local_shot_is_reported_not_uploaded(store: Store, clock: ManualClock) -> None:
    slot = _hour(store, random.Random(9), 1)[0]
    assert slot.shot is not None
    slot.shot.path.write_bytes(b"not the same bytes")
    server = FakeServer()
    _uploader(store, server, clock).drain()
    stored = store.get_slot(slot.contract_id, slot.slot_start)
    assert stored is not None and stored.sync_state == "rejected"
    assert "damaged" in (stored.sync_reason or "")
    assert server.calls == ["my_contracts"]


def test_a_sealed_shot_that_was_altered_is_reported_by_name_not_uploaded(
    store: Store, clock: ManualClock
) -> None:
    slot = _hour(store, random.Random(9), 1)[0]
    assert slot.shot is not None
    sealed = bytearray(slot.shot.path.read_bytes())
    sealed[-1] ^= 0x80  # one bit of the tag
    slot.shot.path.write_bytes(bytes(sealed))
    server = FakeServer()
    _uploader(store, server, clock).drain()
    stored = store.get_slot(slot.contract_id, slot.slot_start)
    assert stored is not None and stored.sync_state == "rejected"
    assert stored.sync_reason == ("the shot file on this computer is unreadable: damaged, "
                                  f"altered or not this slot's file ({slot.shot.path})")
    assert stored.minute_count == slot.minute_count  # the time stays, shown with the reason
    assert server.calls == ["my_contracts"]


def test_a_shot_sealed_with_a_key_this_computer_lost_is_reported(
    tmp_path: Path, clock: ManualClock
) -> None:
    with Store(tmp_path / "data", TEST_SHOT_KEYS) as store:
        slot = _hour(store, random.Random(9), 1)[0]
    with Store(tmp_path / "data", OTHER_SHOT_KEYS) as reopened:
        server = FakeServer()
        _uploader(reopened, server, clock).drain()
        stored = reopened.get_slot(slot.contract_id, slot.slot_start)
    assert stored is not None and stored.sync_state == "rejected"
    assert "unreadable: key missing" in (stored.sync_reason or "")
    assert server.calls == ["my_contracts"]


def test_the_upload_sends_the_plain_picture_its_sha256_names(
    store: Store, clock: ManualClock
) -> None:
    slots = _hour(store, random.Random(4), 2)
    server = FakeServer()
    _uploader(store, server, clock).drain()
    for slot in slots:
        assert slot.shot is not None
        # the sha256 of what was sent is the recorded one, of the plain picture
        assert server.shots[(slot.contract_id, slot.slot_start)] == slot.shot.sha256
        assert hashlib.sha256(slot.shot.path.read_bytes()).hexdigest() != slot.shot.sha256


def test_over_limit_answers_mark_the_slot_and_tell_the_ui(store: Store, clock: ManualClock) -> None:
    slots = _hour(store, random.Random(10), 3)
    server = FakeServer()
    server.over_limit_from = 2
    uploader = _uploader(store, server, clock)
    events: list[OverLimit] = []
    uploader.signals.over_limit_listeners.append(events.append)
    uploader.drain()
    assert [e.slot_start for e in events] == [slots[2].slot_start]
    flags = [s.over_limit for s in store.slots_between(MONDAY, clock.now())]
    assert flags == [False, False, True]


def test_contracts_are_cached_in_the_store(store: Store, clock: ManualClock) -> None:
    server = FakeServer()
    uploader = _uploader(store, server, clock)
    uploader.drain()
    assert [c.id for c in store.contracts()] == [7]
    uploader.drain()
    assert server.calls.count("my_contracts") == 1  # not again before it is due
    clock.advance(uploader.contracts_every)
    uploader.drain()
    assert server.calls.count("my_contracts") == 2


def test_the_thread_uploads_stops_promptly_and_a_raising_listener_is_harmless(
    store: Store, clock: ManualClock
) -> None:
    _hour(store, random.Random(11), 3)
    server = FakeServer()
    uploader = _uploader(store, server, clock)
    states: list[UploaderStatus] = []
    drained = threading.Event()

    def listener(state: UploaderStatus) -> None:
        states.append(state)
        if state.phase is SyncPhase.UP_TO_DATE:
            drained.set()
        raise RuntimeError("a broken listener")

    uploader.signals.state_listeners.append(listener)
    thread = UploaderThread(uploader)  # production pause: waits on the event
    thread.start()
    assert drained.wait(10)
    assert thread.running and thread.uploader.signals.state.synced_this_run == 3
    assert thread.stop(timeout=5)  # wakes it from its 30 s idle wait at once
    assert not thread.running and thread.crashed is None
    assert any(s.phase is SyncPhase.UPLOADING for s in states)


def test_a_deletion_refused_for_good_is_kept_told_again_at_start_and_never_resent(
    store: Store, clock: ManualClock
) -> None:
    slot = _hour(store, random.Random(12), 1)[0]
    key = (slot.contract_id, slot.slot_start)
    server = FakeServer()
    _uploader(store, server, clock).drain()
    store.delete_slot(*key, clock.now())
    server.refuse[key] = ApiError(409, "week locked")
    original_delete = server.delete_slot

    def locked_delete(contract_id: int, slot_start: datetime) -> None:
        if (contract_id, slot_start) in server.refuse:
            server.calls.append("delete_slot")
            raise server.refuse[(contract_id, slot_start)]
        original_delete(contract_id, slot_start)

    server.delete_slot = locked_delete  # type: ignore[method-assign]
    _uploader(store, server, clock).drain()
    [refused] = store.refused_deletions()
    assert refused.sync_reason == "not deleted on the server: week locked"
    assert store.pending_deletions() == []
    # the app starts again: no DELETE is sent, but the user hears it once more
    again = _uploader(store, server, clock)
    states: list[UploaderStatus] = []
    again.signals.state_listeners.append(states.append)
    again.drain()
    again.drain()
    assert server.calls.count("delete_slot") == 1
    errors = [s.last_error for s in states if s.phase is SyncPhase.ERROR]
    assert errors == [
        "1 deleted slot still billed on the server "
        f"(slot {slot.key}: not deleted on the server: week locked)"
    ]
