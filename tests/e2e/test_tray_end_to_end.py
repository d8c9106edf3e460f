"""Issue 5, end to end: the tray app on a real X display against the real server.

The tray app is composed as ``ui.app.main`` composes it — the real ``SyncAccount`` and the
real mss capturer — but with a ManualClock, so the test walks through four slots, deletes
one, lets the uploader drain, and reads the server's diary of the day back as the
freelancer: the same slots, minutes and screenshots (by SHA-256), the deleted one absent.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import keyring.backends.fail
import pytest
from PIL import Image, UnidentifiedImageError
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.e2e import seed
from tests.support.capture_helpers import expected_colour, paint_checkerboard, square_centres
from tests.support.server import RunningServer, running_server
from tests.support.xvfb import XServer
from tests.ui.fakes import TypingHands
from tracker.capture import ScreenCapturer
from tracker.capture_mss import MssGrabber
from tracker.clock import ManualClock, utc
from tracker.store import Slot, Store
from ui.app import Composition, compose, real_account, real_shot_keys
from ui.controller import AppController
from ui.settings import SettingsFile
from ui.view_state import DiarySlot

# Qt reads this when pytest-qt creates the QApplication; the UI package's conftest asks
# for offscreen first when both run in one process (the shots come from mss either way).
os.environ.setdefault("QT_QPA_PLATFORM", "xcb")

START = utc(2026, 11, 23, 9, 0, 0)
SLOTS = 4
DRAIN_TIMEOUT_MS = 20_000


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    with running_server(tmp_path / "server", now=START - timedelta(days=1)) as running:
        yield running


@pytest.fixture
def isolated_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No OS keyring and no real config dir: the token goes to a file under tmp_path."""
    monkeypatch.setattr(keyring, "get_keyring", keyring.backends.fail.Keyring)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))


def _advance(
    composition: Composition,
    clock: ManualClock,
    hands: TypingHands,
    server: RunningServer,
    seconds: float,
    step: float = 10.0,
) -> None:
    """Move both clocks in ``step``-second ticks as the QTimer would, typing as we go."""
    end = clock.now() + timedelta(seconds=seconds)
    while clock.now() < end:
        clock.advance(min(timedelta(seconds=step), end - clock.now()))
        server.set_now(clock.now())
        hands.press(3)
        composition.controller.tick()
        # captures run on the single worker: a no-op queued behind one finishes after it
        composition.tasks.executor.submit(lambda: None).result(timeout=10)
    composition.controller.tick()


def _shows_checkerboard(picture: bytes, x_server: XServer) -> bool:
    """Most pattern squares of the screen's lower right (away from the app's window) are
    where and what colour the checkerboard painted on the root window puts them."""
    with Image.open(io.BytesIO(picture)) as shot:
        image = shot.convert("RGB")
    scale = image.width / x_server.width
    assert abs(image.height / image.width - x_server.height / x_server.width) < 0.01
    points = square_centres(
        x_server.width // 2, x_server.height // 2, x_server.width // 2, x_server.height // 2, step=3
    )
    matching = 0
    for x, y in points:
        seen = image.getpixel((int(x * scale), int(y * scale)))
        assert isinstance(seen, tuple)
        expected = expected_colour(x, y)
        matching += all(abs(a - b) <= 40 for a, b in zip(seen, expected, strict=True))
    return len(points) > 10 and matching >= 0.9 * len(points)


def _remote_day(api: httpx.Client, token: str, contract_id: int) -> list[dict[str, Any]]:
    answer = api.get(
        f"/api/v1/contracts/{contract_id}/diary",
        params={"day": START.date().isoformat()},
        headers={"Authorization": f"Bearer {token}"},
    )
    answer.raise_for_status()
    slots: list[dict[str, Any]] = answer.json()["slots"]
    return slots


def _drained(remote: list[dict[str, Any]], local: list[Slot]) -> bool:
    return len(remote) == len(local) and all(
        slot["shot"] is not None and slot["shot"]["uploaded"] for slot in remote
    )


def _compose_the_tray_app(
    clock: ManualClock, hands: TypingHands, x_server: XServer, tmp_path: Path
) -> Composition:
    """As ``ui.app.main`` composes it: the real account and the real mss capturer."""
    return compose(
        clock=clock,
        store_dir=tmp_path / "data",
        settings_file=SettingsFile(tmp_path / "config" / "settings.json"),
        account=real_account,
        capturer=ScreenCapturer(MssGrabber(x_server.display)),
        input_source=hands,
        use_tray=False,
        autostart_dir=tmp_path / "autostart",
        rng=random.Random(5),
        shot_keys=real_shot_keys(tmp_path / "config"),
    )


def _track_the_slots_of_the_real_screen(
    composition: Composition,
    clock: ManualClock,
    hands: TypingHands,
    server: RunningServer,
    x_server: XServer,
    contract_id: int,
) -> list[Slot]:
    """Track ``SLOTS`` slots; each is stored with a shot of the checkerboard. Returns them."""
    controller = composition.controller
    controller.accept_terms_without_asking = True  # as --accept-terms
    controller.start(contract_id, memo="End-to-end tracking")
    _advance(composition, clock, hands, server, SLOTS * 600)
    controller.stop()

    local = controller.store.diary_day(START.date(), UTC, contract_id)
    assert [slot.slot_start for slot in local] == [
        START + timedelta(minutes=10 * index) for index in range(SLOTS)
    ]
    assert all(slot.minute_count == 10 for slot in local)
    for slot in local:  # each shot is a picture of the real X screen, sealed on disk
        assert slot.shot is not None, slot.capture_note
        picture = controller.store.read_shot(slot)
        assert _shows_checkerboard(picture, x_server)
        on_disk = slot.shot.path.read_bytes()
        assert picture[:4096] not in on_disk
        with pytest.raises(UnidentifiedImageError):
            Image.open(slot.shot.path)
    return local


def _delete_the_second_slot_from_the_diary(
    controller: AppController, local: list[Slot], contract_id: int
) -> tuple[DiarySlot, list[Slot]]:
    """The diary window's view of the day: delete the second slot from it. Returns the
    deleted slot and the day's slots left in the store."""
    shown = controller.diary_day(START, contract_id).slots
    assert [slot.slot_start for slot in shown] == [slot.slot_start for slot in local]
    assert all(slot.shot_path is not None for slot in shown)
    deleted = shown[1]
    controller.delete_slot(deleted)
    local = controller.store.diary_day(START.date(), UTC, contract_id)
    assert deleted.slot_start not in [slot.slot_start for slot in local]
    assert len(local) == SLOTS - 1
    return deleted, local


def _pass_the_hold_window_and_nudge_the_uploader(
    controller: AppController, clock: ManualClock, server: RunningServer
) -> None:
    # past the hold window: the uploader sends everything left
    after_hold = clock.now() + timedelta(minutes=controller.settings.hold_window_minutes + 1)
    clock.advance(after_hold - clock.now())
    server.set_now(clock.now())
    controller.tick()
    assert controller.account_port is not None
    controller.account_port.nudge()


def _the_server_holds_the_same_slots_and_shots(
    qtbot: QtBot,
    server: RunningServer,
    contract_id: int,
    local: list[Slot],
    deleted: DiarySlot,
    controller_store: Store,
) -> None:
    """Once the uploader drained: the server's diary of the day, read as the freelancer,
    has the same slots and minutes, each shot byte for byte, and not the deleted slot."""
    with httpx.Client(base_url=server.base_url, timeout=30) as api:
        token = seed.api_token(api, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
        remote: list[dict[str, Any]] = []

        def drained() -> bool:
            remote[:] = _remote_day(api, token, contract_id)
            return _drained(remote, local)

        qtbot.waitUntil(drained, timeout=DRAIN_TIMEOUT_MS)

        assert [datetime.fromisoformat(s["slot_start"]) for s in remote] == [
            slot.slot_start for slot in local
        ]
        assert deleted.slot_start not in [datetime.fromisoformat(s["slot_start"]) for s in remote]
        for mine, theirs in zip(local, remote, strict=True):
            assert theirs["minutes"] == mine.minute_count
            assert mine.shot is not None
            # over the plain picture, decrypted in memory: what was recorded and sent
            local_sha = hashlib.sha256(controller_store.read_shot(mine)).hexdigest()
            assert local_sha == mine.shot.sha256
            answer = api.get(theirs["shot"]["url"], headers={"Authorization": f"Bearer {token}"})
            answer.raise_for_status()
            assert hashlib.sha256(answer.content).hexdigest() == local_sha


def test_tracked_slots_reach_the_server_slot_for_slot(
    x_server: XServer,
    qtbot: QtBot,
    server: RunningServer,
    tmp_path: Path,
    isolated_credentials: None,
) -> None:
    demo = seed.create_demo(server)
    server.set_now(START)
    paint_checkerboard(x_server.display)  # known content on the real X root window

    clock = ManualClock(START)
    hands = TypingHands()
    composition = _compose_the_tray_app(clock, hands, x_server, tmp_path)
    controller = composition.controller
    composition.shell.start(restore_account=False)
    composition.shell.ticker.stop()  # the test moves time itself
    try:
        with qtbot.waitSignal(controller.signed_in, timeout=10_000):
            controller.sign_in(server.base_url, seed.DEMO_FREELANCER, seed.DEMO_PASSWORD)
        assert demo.hourly_id in [contract.id for contract in controller.store.contracts()]

        local = _track_the_slots_of_the_real_screen(
            composition, clock, hands, server, x_server, demo.hourly_id
        )
        deleted, local = _delete_the_second_slot_from_the_diary(controller, local, demo.hourly_id)
        _pass_the_hold_window_and_nudge_the_uploader(controller, clock, server)
        _the_server_holds_the_same_slots_and_shots(
            qtbot, server, demo.hourly_id, local, deleted, controller.store
        )
    finally:
        composition.shell.close_all()
        controller.shutdown()
        composition.tasks.shutdown()
        QApplication.processEvents()  # uploader news posted to the GUI thread, store still open
        controller.store.close()
