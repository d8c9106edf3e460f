"""The batch path against the real server: lost replies, refusals of one slot in a
batch, and going offline and back (the faulty proxy cuts the network; the clock is
injected, so backoff is measured without waiting)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import requests

from sync.api import PROBE_TIMEOUT, ApiClient
from sync.retry import Backoff
from sync.service import OFFLINE_PROBE_CAP_SECONDS
from sync.state import SlotRejected, SyncPhase
from sync.uploader import Uploader
from sync.wire import iso, slot_body
from tests.support.faulty_proxy import Fault, FaultPlan, FaultyProxy
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.sync.backend import Backend
from tests.sync.conftest import WEEK
from tests.sync.diary import write_slot
from tests.sync.test_against_server import assert_server_holds_exactly
from tracker.clock import ManualClock
from tracker.slots import SLOT_LENGTH
from tracker.store import Slot, Store

NO_FAULTS = FaultPlan(drop_before=0, drop_after=0, delay=0, stall=0)
LOSE_EVERY_REPLY = FaultPlan(drop_before=0, drop_after=1.0, delay=0, stall=0)


def _uploader(store: Store, url: str, token: str, clock: ManualClock) -> Uploader:
    api = ApiClient(url, token, timeout=(2.0, 10.0))
    # the app's figures: 1 s doubling, capped at OFFLINE_PROBE_CAP_SECONDS
    return Uploader(store, api, clock, Backoff(random.Random(17), 1.0, OFFLINE_PROBE_CAP_SECONDS))


def _slots(store: Store, contract_id: int, start: datetime, count: int, seed: int) -> list[Slot]:
    rng = random.Random(seed)
    return [write_slot(store, contract_id, start + n * SLOT_LENGTH, rng) for n in range(count)]


def test_a_batch_whose_reply_is_lost_is_sent_again_and_every_slot_lands_once(
    backend: Backend, data_dir: Path
) -> None:
    seeded = backend.seed_contract(WEEK)
    now = WEEK + timedelta(days=1, hours=12)
    backend.set_time(now)
    clock = ManualClock(now)
    token = backend.token(seeded.freelancer_email)
    with (
        Store(data_dir, TEST_SHOT_KEYS) as store,
        FaultyProxy(backend.address, random.Random(1), LOSE_EVERY_REPLY) as proxy,
    ):
        local = _slots(store, seeded.contract_id, WEEK + timedelta(days=1, hours=9), 12, 41)
        uploader = _uploader(store, proxy.url, token, clock)
        first = uploader.run_pass()
        # the batch reached the server, its answer did not reach us
        assert first.failure is not None and first.uploaded == 0
        assert uploader.signals.state.phase is SyncPhase.OFFLINE  # at once
        assert len(backend.slot_rows(seeded.contract_id)) == 12
        kept = store.slots_between(WEEK, now)
        assert all(s.sync_state == "pending" and s.server_may_hold for s in kept)
        # deleted while its fate is unknown: the server may hold it, so the DELETE goes
        gone = local.pop(3)
        store.delete_slot(gone.contract_id, gone.slot_start, clock.now())
        proxy.plan = NO_FAULTS
        uploader.drain(sleep=clock.advance)
        assert proxy.stats.exchanges[Fault.DROP_AFTER] == 1
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        synced = store.slots_between(WEEK, now)
        assert [s.slot_start for s in synced] == [s.slot_start for s in local]
        assert all(s.sync_state == "synced" for s in synced)
        assert store.pending_deletions() == []
    assert_server_holds_exactly(backend, token, seeded.contract_id, synced, deleted=1)


def test_a_409_and_a_422_in_one_batch_do_not_block_the_others_and_are_shown(
    backend: Backend, data_dir: Path
) -> None:
    seeded = backend.seed_contract(WEEK)
    token = backend.token(seeded.freelancer_email)
    server_now = WEEK + timedelta(days=2, hours=12)
    backend.set_time(server_now)
    clock = ManualClock(server_now + timedelta(hours=1))  # this computer runs an hour ahead
    with (
        Store(data_dir, TEST_SHOT_KEYS) as store,
        FaultyProxy(backend.address, random.Random(1), NO_FAULTS) as counter,
    ):
        local = _slots(store, seeded.contract_id, WEEK + timedelta(days=2, hours=9), 10, 43)
        # another machine already sent a different body for one of them: a real conflict
        clash = local[4]
        other = slot_body(clash, server_now) | {"memo": "something else entirely"}
        answer = requests.put(
            f"{backend.url}/api/v1/contracts/{seeded.contract_id}/slots/{iso(clash.slot_start)}",
            json=other,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 201
        # and one is in the server's future (its clock is an hour behind ours)
        future = write_slot(
            store, seeded.contract_id, server_now + timedelta(minutes=30), random.Random(3)
        )
        uploader = _uploader(store, counter.url, token, clock)
        rejected: list[SlotRejected] = []
        uploader.signals.rejection_listeners.append(rejected.append)
        uploader.drain()
        state = uploader.signals.state
        exchanges = counter.stats.total
    reasons = {r.slot_start: r.reason for r in rejected}
    assert set(reasons) == {clash.slot_start, future.slot_start}
    assert reasons[future.slot_start].startswith("slot is in the future")
    assert state.phase is SyncPhase.ERROR and state.rejected == 2
    assert state.pending == 0 and state.synced_this_run == 9
    assert state.last_error is not None and "slot" in state.last_error
    # one batch, one confirming PUT of the clash, nine shots, the contract list
    assert exchanges <= 1 + 1 + 9 + 2
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        by_start = {s.slot_start: s for s in store.slots_between(WEEK, clock.now())}
        assert by_start[clash.slot_start].sync_state == "rejected"
        assert "different" in (by_start[clash.slot_start].sync_reason or "")
        assert by_start[future.slot_start].sync_state == "rejected"
        assert "clock" in (by_start[future.slot_start].sync_reason or "")
        synced = [s for s in by_start.values() if s.sync_state == "synced"]
        assert len(synced) == 9
        assert all(s.shot is not None and s.shot.path.exists() for s in by_start.values())


def test_offline_is_noticed_at_once_probed_within_30_s_and_caught_up_on_the_first_answer(
    backend: Backend, data_dir: Path
) -> None:
    seeded = backend.seed_contract(WEEK)
    now = WEEK + timedelta(days=3, hours=12)
    backend.set_time(now)
    clock = ManualClock(now)
    token = backend.token(seeded.freelancer_email)
    with (
        Store(data_dir, TEST_SHOT_KEYS) as store,
        FaultyProxy(backend.address, random.Random(1), NO_FAULTS) as proxy,
    ):
        uploader = _uploader(store, proxy.url, token, clock)
        assert uploader.run_pass().failure is None  # idle: a probe and the contract list
        proxy.down()
        # idle, nothing to send: the next idle pass's probe notices the lost server, within
        # 30 s even when the probe waits out both its timeouts
        assert uploader.idle_interval + sum(PROBE_TIMEOUT) <= 30
        clock.advance(uploader.idle_interval)
        noticed = uploader.run_pass()
        assert noticed.failure is not None
        assert uploader.signals.state.phase is SyncPhase.OFFLINE
        _slots(store, seeded.contract_id, WEEK + timedelta(days=3, hours=9), 6, 47)
        delays = []
        for _ in range(15):  # ~6 minutes of probing: each pass is one health request
            clock.advance(noticed.next_delay)
            noticed = uploader.run_pass()
            assert noticed.failure is not None and noticed.handled == 0
            delays.append(noticed.next_delay)
        refused = proxy.stats.refused_while_down
        assert refused == 16  # one connection per pass: the probe, never the batch
        assert all(d <= 25 for d in delays) and max(delays) >= 15  # capped, and grew
        assert len({round(d, 3) for d in delays[-8:]}) == 8  # jittered at the cap
        assert uploader.signals.state.pending == 6
        proxy.up()
        clock.advance(noticed.next_delay)  # within 30 s of the server answering again
        back = uploader.run_pass()
        assert back.failure is None and back.uploaded == 6 and back.remaining == 0
        assert uploader.signals.state.phase is SyncPhase.UP_TO_DATE
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        assert all(s.sync_state == "synced" for s in store.slots_between(WEEK, clock.now()))


def test_catching_up_after_six_hours_offline_sends_every_slot_exactly_once_in_one_batch(
    backend: Backend, data_dir: Path
) -> None:
    """The CI-sized bench/catch_up.py: 36 slots and their shots, tracked offline."""
    seeded = backend.seed_contract(WEEK)
    now = WEEK + timedelta(days=4, hours=16)
    backend.set_time(now)
    clock = ManualClock(now)
    token = backend.token(seeded.freelancer_email)
    with (
        Store(data_dir, TEST_SHOT_KEYS) as store,
        FaultyProxy(backend.address, random.Random(1), NO_FAULTS) as proxy,
    ):
        _slots(store, seeded.contract_id, WEEK + timedelta(days=4, hours=9), 36, 53)
        uploader = _uploader(store, proxy.url, token, clock)
        proxy.down()
        assert uploader.run_pass().failure is not None and uploader.offline
        proxy.up()
        back = uploader.run_pass()  # the probe answers: the whole queue goes in this pass
        assert back.failure is None and (back.uploaded, back.remaining) == (36, 0)
        # the probe, one batch, 36 shots, the contract list: nothing sent twice
        assert proxy.stats.total == 1 + 1 + 36 + 1
        assert uploader.signals.state.synced_this_week == 36
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        local = store.slots_between(WEEK, now)
        assert len(local) == 36 and all(s.sync_state == "synced" for s in local)
    assert_server_holds_exactly(backend, token, seeded.contract_id, local)
