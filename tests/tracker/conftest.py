"""Fixtures for the tracker core: a manual clock, a real store in a temp dir, a session
wired with small hand-written fakes (image source, event recorder)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from PIL import Image, ImageDraw

from tests.support.shot_keys import TEST_SHOT_KEYS
from tracker import events as ev
from tracker.capture import ScreenCapturer
from tracker.clock import ManualClock, utc
from tracker.contract import Contract
from tracker.session import TrackingSession
from tracker.store import Store

MONDAY = utc(2026, 11, 23)  # a Monday
E = TypeVar("E")


class PictureGrabber:
    """A fake screen: a small picture with text, or one flat colour when ``blank``."""

    def __init__(self) -> None:
        self.blank = False
        self.grabs = 0

    def grab(self) -> Image.Image:
        self.grabs += 1
        if self.blank:
            return Image.new("RGB", (640, 360), (0, 0, 0))
        image = Image.new("RGB", (640, 360), (40, 80, 120))
        ImageDraw.Draw(image).text((20, 20), f"grab {self.grabs}", fill=(255, 255, 255))
        return image


@dataclass
class Recorder:
    events: list[ev.Event] = field(default_factory=list)

    def __call__(self, event: ev.Event) -> None:
        self.events.append(event)

    def of(self, kind: type[E]) -> list[E]:
        return [event for event in self.events if isinstance(event, kind)]


@dataclass
class Rig:
    clock: ManualClock
    store: Store
    grabber: PictureGrabber
    session: TrackingSession
    recorder: Recorder
    seed: int

    def run(self, seconds: float, active: bool | Callable[[datetime], bool] = True) -> None:
        """Tick once a second for ``seconds``; ``active``: input in every second (or as the
        function of the instant says)."""
        for _ in range(int(seconds)):
            self.clock.advance(1)
            now = self.clock.now()
            if active if isinstance(active, bool) else active(now):
                self.session.activity.record_key()
            self.session.tick(now)

    def run_until(
        self, instant: datetime, active: bool | Callable[[datetime], bool] = True
    ) -> None:
        self.run((instant - self.clock.now()) / timedelta(seconds=1), active)


def contract(**overrides: object) -> Contract:
    fields: dict[str, object] = {
        "id": 7,
        "title": "Acme redesign",
        "rate_cents": 4500,
        "currency": "EUR",
        "weekly_cap_minutes": None,
        "screenshots_enabled": True,
        "manual_time_allowed": True,
    }
    fields.update(overrides)
    return Contract(**fields)  # type: ignore[arg-type]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "workdiary"


@pytest.fixture
def make_rig(data_dir: Path) -> Iterator[Callable[..., Rig]]:
    stores: list[Store] = []

    def build(
        start: datetime = MONDAY + timedelta(hours=8, minutes=57, seconds=20),
        seed: int = 1234,
        data_dir: Path = data_dir,
    ) -> Rig:
        clock = ManualClock(start)
        store = Store(data_dir, TEST_SHOT_KEYS)
        stores.append(store)
        grabber = PictureGrabber()
        session = TrackingSession(
            clock=clock, rng=random.Random(seed), store=store, capturer=ScreenCapturer(grabber)
        )
        recorder = Recorder()
        session.subscribe(recorder)
        return Rig(clock, store, grabber, session, recorder, seed)

    yield build
    for store in stores:
        store.close()
