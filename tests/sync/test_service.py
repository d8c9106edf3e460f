"""The UI's entry point against the real server: sign-in/out, one uploader per store,
the uploader thread draining on its own."""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from pathlib import Path

import keyring.backends.fail
import pytest
import requests

from sync.credentials import CredentialStore
from sync.errors import AnotherUploaderRunning, ApiError, NotSignedIn
from sync.service import SyncService, remembered_server_url
from sync.state import SyncPhase, UploaderStatus
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.sync.backend import PASSWORD, Backend
from tests.sync.conftest import WEEK
from tests.sync.diary import write_slot
from tracker.clock import ManualClock
from tracker.slots import SLOT_LENGTH
from tracker.store import Store


def _credentials(tmp_path: Path) -> CredentialStore:
    return CredentialStore(keyring.backends.fail.Keyring(), tmp_path / "config")


def test_sign_in_keeps_the_token_and_sign_out_revokes_it_on_the_server(
    backend: Backend, data_dir: Path, tmp_path: Path
) -> None:
    seeded = backend.seed_contract(WEEK)
    clock = ManualClock(WEEK + timedelta(hours=10))
    backend.set_time(clock.now())
    credentials = _credentials(tmp_path)
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        service = SyncService(store, backend.url, clock=clock, credentials=credentials)
        assert service.signals.state.phase is SyncPhase.SIGNED_OUT
        with pytest.raises(NotSignedIn):
            service.start()
        with pytest.raises(ApiError) as wrong:
            service.sign_in(seeded.freelancer_email, "not the password")
        assert (wrong.value.status, wrong.value.reason) == (401, "wrong e-mail or password")
        signed = service.sign_in(seeded.freelancer_email, PASSWORD)
        assert remembered_server_url(store) == backend.url
        # a later run of the app finds the account without the network
        again = SyncService(store, backend.url, clock=clock, credentials=_credentials(tmp_path))
        assert again.signed_in_as == signed
        assert [c.id for c in again.refresh_contracts()] == [seeded.contract_id]
        assert service.sign_out() is True
        assert service.signals.state.phase is SyncPhase.SIGNED_OUT
        assert credentials.load(backend.url) is None
        assert not credentials.fallback_path.exists()
    refused = requests.get(
        f"{backend.url}/api/v1/me",
        headers={"Authorization": f"Bearer {signed.token}"},
        timeout=10,
    )
    assert refused.status_code == 401  # revoked on the server, not only forgotten here


def test_one_uploader_per_store_and_the_thread_drains_by_itself(
    backend: Backend, data_dir: Path, tmp_path: Path
) -> None:
    seeded = backend.seed_contract(WEEK)
    clock = ManualClock(WEEK + timedelta(days=1, hours=12))
    backend.set_time(clock.now())
    rng = random.Random(41)
    with (
        Store(data_dir, TEST_SHOT_KEYS) as store,
        Store(data_dir, TEST_SHOT_KEYS) as same_store_second_app,
    ):
        for n in range(6):
            write_slot(
                store, seeded.contract_id, WEEK + timedelta(days=1, hours=9) + n * SLOT_LENGTH, rng
            )
        first = SyncService(store, backend.url, clock=clock, credentials=_credentials(tmp_path))
        first.sign_in(seeded.freelancer_email, PASSWORD)
        drained = threading.Event()

        def on_state(state: UploaderStatus) -> None:
            if state.phase is SyncPhase.UP_TO_DATE and state.synced_this_run == 6:
                drained.set()

        first.signals.state_listeners.append(on_state)
        first.start()
        try:
            second = SyncService(
                same_store_second_app, backend.url, clock=clock, credentials=_credentials(tmp_path)
            )
            with pytest.raises(AnotherUploaderRunning, match="already uploading this diary"):
                second.start()
            assert not second.running
            assert drained.wait(30), first.signals.state
        finally:
            first.stop()
        assert not first.running
        second.start()  # the first one let go of the store
        second.stop()
        assert all(s.sync_state == "synced" for s in store.slots_between(WEEK, clock.now()))
