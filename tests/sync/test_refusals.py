"""Definite refusals from the real server: the slot keeps its local data and the
server's reason, and nothing is sent again and again."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import keyring.backends.fail
import requests

from sync.api import ApiClient
from sync.credentials import CredentialStore
from sync.retry import Backoff
from sync.service import SyncService
from sync.state import SyncPhase
from sync.uploader import Uploader
from tests.support.faulty_proxy import FaultPlan, FaultyProxy
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.sync.backend import PASSWORD, Backend
from tests.sync.conftest import WEEK
from tests.sync.diary import write_slot
from tracker.clock import ManualClock
from tracker.slots import SLOT_LENGTH
from tracker.store import Slot, Store

NO_FAULTS = FaultPlan(drop_before=0, drop_after=0, delay=0, stall=0)


def _uploader(store: Store, url: str, token: str, clock: ManualClock) -> Uploader:
    api = ApiClient(url, token, timeout=(2.0, 10.0))
    return Uploader(store, api, clock, Backoff(random.Random(1), 0.5, 60.0))


def _hour(store: Store, contract_id: int, start: datetime, rng: random.Random) -> list[Slot]:
    return [write_slot(store, contract_id, start + n * SLOT_LENGTH, rng) for n in range(6)]


def _intact(store: Store, slot: Slot) -> Slot:
    """The slot as stored now; its minutes and shot file are still all there."""
    stored = store.get_slot(slot.contract_id, slot.slot_start)
    assert stored is not None
    assert stored.minutes == slot.minutes and stored.memo == slot.memo
    if slot.shot is not None:
        assert stored.shot is not None and stored.shot.path.read_bytes()
    return stored


def test_locked_and_finalized_weeks_refuse_uploads_and_deletions_once(
    backend: Backend, data_dir: Path
) -> None:
    seeded = backend.seed_contract(WEEK)
    rng = random.Random(21)
    token = backend.token(seeded.freelancer_email)
    tuesday = WEEK + timedelta(days=1, hours=8)
    clock = ManualClock(tuesday)
    backend.set_time(tuesday)
    with (
        Store(data_dir, TEST_SHOT_KEYS) as store,
        FaultyProxy(backend.address, random.Random(1), NO_FAULTS) as counter,
    ):
        synced = _hour(store, seeded.contract_id, WEEK + timedelta(hours=9), rng)
        uploader = _uploader(store, counter.url, token, clock)
        uploader.drain()
        # tracked offline, and still on this computer when the week locks (Monday 12:00)
        late = _hour(store, seeded.contract_id, WEEK + timedelta(hours=11), rng)
        after_lock = WEEK + timedelta(days=7, hours=13)
        assert backend.run_jobs(after_lock)["locked"] >= 1  # other tests' weeks lock too
        clock.set(after_lock)
        store.delete_slot(synced[0].contract_id, synced[0].slot_start, clock.now())
        uploader.drain()
        for slot in late:
            stored = _intact(store, slot)
            assert (stored.sync_state, stored.sync_reason) == ("rejected", "week locked")
        tombstone = store.get_slot(synced[0].contract_id, synced[0].slot_start)
        assert tombstone is not None and tombstone.deleted_at is not None
        assert tombstone.sync_reason == "not deleted on the server: week locked"
        assert uploader.signals.state.phase is SyncPhase.ERROR
        assert uploader.signals.state.rejected == 7
        # finalized (Saturday 00:00): one more slot of that week turns up, refused too
        finalize = WEEK + timedelta(days=12)
        assert backend.run_jobs(finalize)["finalized"] >= 1
        clock.set(finalize)
        straggler = write_slot(store, seeded.contract_id, WEEK + timedelta(hours=14), rng)
        uploader.drain()
        assert _intact(store, straggler).sync_reason == "week finalized"
        # nothing is ever sent again for them
        sent = counter.stats.total
        clock.advance(timedelta(hours=6))
        uploader.drain()
        uploader.drain()
        assert counter.stats.total - sent <= 2  # at most the contract list, nothing else
    # the server still bills the synced hour, the deletion notwithstanding
    held = backend.diary_week(token, seeded.contract_id, WEEK.date())
    assert len(held) == 6


def test_an_ended_contract_refuses_slots_after_its_end(backend: Backend, data_dir: Path) -> None:
    seeded = backend.seed_contract(WEEK)
    rng = random.Random(22)
    token = backend.token(seeded.freelancer_email)
    ended_at = WEEK + timedelta(days=1, hours=12)
    backend.end_contract(seeded.contract_id, ended_at)
    evening = WEEK + timedelta(days=1, hours=18)
    backend.set_time(evening)
    clock = ManualClock(evening)
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        slots = _hour(store, seeded.contract_id, ended_at - timedelta(minutes=30), rng)
        uploader = _uploader(store, backend.url, token, clock)
        uploader.drain()
        states = [_intact(store, slot) for slot in slots]
        assert [s.sync_state for s in states] == ["synced"] * 3 + ["rejected"] * 3
        assert all("contract ended" in (s.sync_reason or "") for s in states[3:])
        cached = store.contract(seeded.contract_id)
        assert cached is not None and cached.active is False  # the app will not start it


def test_a_slot_from_the_future_is_refused_with_the_servers_words(
    backend: Backend, data_dir: Path
) -> None:
    seeded = backend.seed_contract(WEEK)
    token = backend.token(seeded.freelancer_email)
    server_now = WEEK + timedelta(days=2, hours=10)
    backend.set_time(server_now)
    clock = ManualClock(server_now + timedelta(hours=1))  # this computer runs an hour ahead
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        slot = write_slot(
            store, seeded.contract_id, server_now + timedelta(minutes=30), random.Random(3)
        )
        _uploader(store, backend.url, token, clock).drain()
        stored = _intact(store, slot)
        assert stored.sync_state == "rejected"
        assert "slot is in the future" in (stored.sync_reason or "")
        assert "clock" in (stored.sync_reason or "")


def test_a_revoked_token_pauses_uploads_until_sign_in_and_loses_nothing(
    backend: Backend, data_dir: Path, tmp_path: Path
) -> None:
    seeded = backend.seed_contract(WEEK)
    rng = random.Random(23)
    thursday = WEEK + timedelta(days=3, hours=18)
    backend.set_time(thursday)
    clock = ManualClock(thursday)
    credentials = CredentialStore(keyring.backends.fail.Keyring(), tmp_path / "config")
    with (
        Store(data_dir, TEST_SHOT_KEYS) as store,
        FaultyProxy(backend.address, random.Random(1), NO_FAULTS) as counter,
    ):
        service = SyncService(store, counter.url, clock=clock, credentials=credentials)
        service.sign_in(seeded.freelancer_email, PASSWORD)
        first = _hour(store, seeded.contract_id, WEEK + timedelta(days=3, hours=9), rng)
        service.uploader.drain()
        # the token is revoked elsewhere (signed out from another device)
        stolen = credentials.load(counter.url)
        assert stolen is not None
        requests.delete(
            f"{backend.url}/api/v1/auth/token",
            headers={"Authorization": f"Bearer {stolen.token}"},
            timeout=10,
        ).raise_for_status()
        later = _hour(store, seeded.contract_id, WEEK + timedelta(days=3, hours=10), rng)
        service.uploader.drain()
        state = service.signals.state
        assert state.phase is SyncPhase.SIGNED_OUT
        assert state.last_error == "Signed out: token unknown or revoked"
        assert state.pending == 6
        assert all(_intact(store, s).sync_state == "pending" for s in later)
        sent = counter.stats.total
        for _ in range(3):
            service.uploader.run_pass()
        assert counter.stats.total == sent  # paused: nothing goes out
        service.sign_in(seeded.freelancer_email, PASSWORD)
        service.uploader.drain()
        assert all(_intact(store, s).sync_state == "synced" for s in first + later)
    assert (
        len(
            backend.diary_week(
                backend.token(seeded.freelancer_email), seeded.contract_id, WEEK.date()
            )
        )
        == 12
    )
