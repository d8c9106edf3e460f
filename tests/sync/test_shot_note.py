"""Why a slot has no shot is read from the slot itself, not from a contract cache."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sync.api import ApiClient
from sync.retry import Backoff
from sync.uploader import Uploader
from sync.wire import slot_body
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.sync.backend import Backend
from tests.sync.conftest import WEEK
from tracker.clock import ManualClock
from tracker.model import MinuteActivity, ShotState, Slot
from tracker.store import Store

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _slot(shot_state: ShotState, start: datetime = START, contract_id: int = 7) -> Slot:
    return Slot(contract_id, start, "memo", (MinuteActivity(0, 1, 1),), shot_state=shot_state)


def test_the_body_names_screenshots_off_from_the_slot_state() -> None:
    now = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert slot_body(_slot("off"), now)["shot_note"] == "screenshots_off"
    assert slot_body(_slot("none"), now)["shot_note"] == "stopped_before_shot"
    assert slot_body(_slot("unavailable"), now)["shot_note"] == "capture_unavailable"


def test_a_fresh_uploader_sends_screenshots_off_before_it_has_fetched_any_contract(
    backend: Backend, data_dir: Path
) -> None:
    # the first pass sends before it refreshes contracts: nothing but the slot says "off"
    seeded = backend.seed_contract(WEEK, screenshots=False)
    noon = WEEK + timedelta(hours=12)
    backend.set_time(noon)
    clock = ManualClock(noon)
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        store.write_slot(_slot("off", WEEK + timedelta(hours=9), seeded.contract_id))
        api = ApiClient(backend.url, backend.token(seeded.freelancer_email), timeout=(2.0, 5.0))
        uploader = Uploader(store, api, clock, Backoff(random.Random(1)))
        uploader.drain()
        assert [s.sync_state for s in store.slots_between(WEEK, noon)] == ["synced"]
    remote = backend.diary_week(
        backend.token(seeded.freelancer_email), seeded.contract_id, WEEK.date()
    )
    assert [s["shot_note"] for s in remote] == ["screenshots_off"]
