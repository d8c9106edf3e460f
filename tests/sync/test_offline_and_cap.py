"""A day without the server, and the weekly cap seen from two machines."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import keyring.backends.fail
import pytest
from PIL import Image, ImageDraw

from sync.credentials import CredentialStore
from sync.service import SyncService
from sync.state import OverLimit, SyncPhase
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.sync.backend import PASSWORD, Backend
from tests.sync.conftest import WEEK
from tests.sync.diary import write_slot
from tests.sync.test_against_server import assert_server_holds_exactly
from tracker.capture import ScreenCapturer
from tracker.clock import ManualClock
from tracker.session import CannotStart, TrackingSession
from tracker.slots import SLOT_LENGTH
from tracker.store import Store


class PictureGrabber:
    """A fake screen with a counter drawn on it (never blank)."""

    def __init__(self) -> None:
        self.grabs = 0

    def grab(self) -> Image.Image:
        self.grabs += 1
        image = Image.new("RGB", (320, 180), (30, 90, 150))
        ImageDraw.Draw(image).text((10, 10), f"grab {self.grabs}", fill=(255, 255, 255))
        return image


def _service(store: Store, backend: Backend, clock: ManualClock, config: Path) -> SyncService:
    # a 300 s backoff cap keeps a day of failing passes cheap to simulate; the app's 30 s
    # cap and its probe are tested in test_batch_sync.py
    return SyncService(
        store,
        backend.url,
        backoff_cap_seconds=300.0,
        clock=clock,
        credentials=CredentialStore(keyring.backends.fail.Keyring(), config),
        rng=random.Random(8),
        timeout=(1.0, 5.0),
    )


def test_a_day_with_the_server_down_tracking_goes_on_and_every_slot_arrives(
    backend: Backend, data_dir: Path, tmp_path: Path
) -> None:
    seeded = backend.seed_contract(WEEK, cap_minutes=40 * 60)
    wednesday = WEEK + timedelta(days=2, hours=8)
    clock = ManualClock(wednesday)
    backend.set_time(wednesday)
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        service = _service(store, backend, clock, tmp_path / "config")
        service.sign_in(seeded.freelancer_email, PASSWORD)
        service.refresh_contracts()
        backend.stop()  # down from Wednesday 08:00 to Thursday 08:00
        contract = store.contract(seeded.contract_id)
        assert contract is not None and contract.weekly_cap_minutes == 40 * 60
        session = TrackingSession(
            clock=clock,
            rng=random.Random(4),
            store=store,
            capturer=ScreenCapturer(PictureGrabber()),
        )
        uploader = service.uploader
        next_pass = clock.monotonic()
        failed_passes, longest_wait = 0, 0.0
        while clock.now() < wednesday + timedelta(days=1):
            now = clock.now()
            if now == WEEK + timedelta(days=2, hours=9):
                session.start(contract, "offline work")  # the cached contract is enough
            if now == WEEK + timedelta(days=2, hours=17):
                session.stop()
            if session.tracking:
                session.activity.record_key()
            session.tick(now)
            if clock.monotonic() >= next_pass:
                result = uploader.run_pass()
                assert result.uploaded == 0
                failed_passes += result.failure is not None
                longest_wait = max(longest_wait, result.next_delay)
                next_pass = clock.monotonic() + max(result.next_delay, 1.0)
            clock.advance(60)
        state = service.signals.state
        assert state.phase is SyncPhase.OFFLINE
        assert state.last_error == "cannot reach the server"
        assert state.pending == 48  # 09:00–17:00, all past the hold window
        # backed off up to its cap, and kept trying all day
        assert 100 < failed_passes < 400 and 150 <= longest_wait <= 300
        backend.set_time(clock.now())
        backend.start()
        uploader.drain(sleep=clock.advance)
        assert service.signals.state.phase is SyncPhase.UP_TO_DATE
        local = store.slots_between(WEEK, WEEK + timedelta(days=7))
        assert len(local) == 48 and all(s.sync_state == "synced" for s in local)
        # ticking once a minute misses shot instants in a slot's last minute (~1 in 10)
        assert sum(s.shot is not None for s in local) >= 36
    assert_server_holds_exactly(
        backend, backend.token(seeded.freelancer_email), seeded.contract_id, local
    )


def test_the_cap_is_reconciled_across_two_machines_and_over_limit_is_respected(
    backend: Backend, tmp_path: Path
) -> None:
    seeded = backend.seed_contract(WEEK, cap_minutes=60)
    rng = random.Random(31)
    monday_noon = WEEK + timedelta(hours=12)
    clock = ManualClock(monday_noon)
    backend.set_time(monday_noon)
    with (
        Store(tmp_path / "laptop", TEST_SHOT_KEYS) as laptop,
        Store(tmp_path / "desktop", TEST_SHOT_KEYS) as desktop,
    ):
        on_laptop = _service(laptop, backend, clock, tmp_path / "laptop-config")
        on_desktop = _service(desktop, backend, clock, tmp_path / "desktop-config")
        for service in (on_laptop, on_desktop):
            service.sign_in(seeded.freelancer_email, PASSWORD)
            service.refresh_contracts()
        # the desktop tracked 20 minutes offline earlier; the laptop tracks the full hour
        early = [
            write_slot(desktop, seeded.contract_id, WEEK + timedelta(hours=8, minutes=10 * n), rng)
            for n in range(2)
        ]
        for n in range(6):
            write_slot(laptop, seeded.contract_id, WEEK + timedelta(hours=9) + n * SLOT_LENGTH, rng)
        on_laptop.uploader.drain()
        # the desktop learns the laptop's hour from the server: with its own 20 minutes
        # not yet synced, the week is over the cap, and it will not start tracking
        on_desktop.refresh_contracts()
        cached = desktop.contract(seeded.contract_id)
        assert cached is not None and cached.server_week_minutes == 60
        session = TrackingSession(
            clock=clock,
            rng=random.Random(1),
            store=desktop,
            capturer=ScreenCapturer(PictureGrabber()),
        )
        status = session.cap_status(cached)
        assert (status.used_minutes, status.reached) == (80, True)
        with pytest.raises(CannotStart, match="cap"):
            session.start(cached, "more work")
        over: list[OverLimit] = []
        on_desktop.signals.over_limit_listeners.append(over.append)
        on_desktop.uploader.drain()
        # the server took the 20 minutes but marks them over the limit (never billed)
        assert [(e.slot_start, e.over_limit_minutes) for e in over] == [
            (s.slot_start, 10) for s in early
        ]
        assert all(desktop.get_slot(s.contract_id, s.slot_start).over_limit for s in early)  # type: ignore[union-attr]
        refreshed = desktop.contract(seeded.contract_id)
        assert refreshed is not None and refreshed.server_week_minutes == 80
        assert session.cap_status(refreshed).used_minutes == 80
    remote = backend.diary_week(
        backend.token(seeded.freelancer_email), seeded.contract_id, WEEK.date()
    )
    assert sum(s["over_limit_minutes"] for s in remote) == 20
