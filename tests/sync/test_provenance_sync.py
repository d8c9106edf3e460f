"""A slot's capture provenance and activity source reach the server as the tracker kept them."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from sync.api import ApiClient
from sync.retry import Backoff
from sync.uploader import Uploader
from sync.wire import slot_body
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.sync.backend import Backend
from tests.sync.conftest import WEEK
from tracker.clock import ManualClock
from tracker.model import MinuteActivity, Slot
from tracker.store import Store


def test_provenance_reaches_the_server(backend: Backend, data_dir: Path) -> None:
    seeded = backend.seed_contract(WEEK, screenshots=True)
    noon = WEEK + timedelta(hours=12)
    backend.set_time(noon)
    portal, unavailable = WEEK + timedelta(hours=9), WEEK + timedelta(hours=9, minutes=10)
    minutes = tuple(MinuteActivity(index, 0, 3) for index in range(10))
    slots = [
        Slot(seeded.contract_id, portal, "memo", minutes, shot_state="none",
             capture_source="portal", activity_source="idle-watch"),
        Slot(seeded.contract_id, unavailable, "memo", minutes, shot_state="unavailable",
             capture_note="no portal", capture_source="none:no-screenshot-portal"),
    ]
    assert slot_body(slots[0], noon)["provenance"] == {"capture": "portal",
                                                       "activity": "idle-watch"}
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        for slot in slots:
            store.write_slot(slot)
        api = ApiClient(backend.url, backend.token(seeded.freelancer_email), timeout=(2.0, 5.0))
        Uploader(store, api, ManualClock(noon), Backoff(random.Random(1))).drain()
        assert [s.sync_state for s in store.slots_between(WEEK, noon)] == ["synced"] * 2
    remote = backend.diary_week(
        backend.token(seeded.freelancer_email), seeded.contract_id, WEEK.date()
    )
    assert [(s["capture_source"], s["activity_source"]) for s in remote] == [
        ("portal", "idle-watch"), ("none:no-screenshot-portal", "input-counts")]
