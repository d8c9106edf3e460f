"""A slot the tracker flagged for a clock jump reaches the server flagged."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from sync.api import ApiClient
from sync.retry import Backoff
from sync.uploader import Uploader
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.sync.backend import Backend
from tests.sync.conftest import WEEK
from tracker.clock import ManualClock
from tracker.model import MinuteActivity, Slot
from tracker.store import Store


def test_a_slot_flagged_clock_jump_reaches_the_server_flagged(
    backend: Backend, data_dir: Path
) -> None:
    seeded = backend.seed_contract(WEEK, screenshots=False)
    noon = WEEK + timedelta(hours=12)
    backend.set_time(noon)
    jumped, plain = WEEK + timedelta(hours=9), WEEK + timedelta(hours=9, minutes=10)
    minutes = tuple(MinuteActivity(index, 2, 30) for index in range(10))
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        for start, clock_jump in ((jumped, True), (plain, False)):
            store.write_slot(
                Slot(
                    seeded.contract_id,
                    start,
                    "memo",
                    minutes,
                    shot_state="off",
                    clock_jump=clock_jump,
                )
            )
        api = ApiClient(backend.url, backend.token(seeded.freelancer_email), timeout=(2.0, 5.0))
        Uploader(store, api, ManualClock(noon), Backoff(random.Random(1))).drain()
        assert [s.sync_state for s in store.slots_between(WEEK, noon)] == ["synced"] * 2
    remote = backend.diary_week(
        backend.token(seeded.freelancer_email), seeded.contract_id, WEEK.date()
    )
    assert [(s["minutes"], s["clock_jump"]) for s in remote] == [(10, True), (10, False)]
