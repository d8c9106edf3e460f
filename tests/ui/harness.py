"""A whole tray app built by the composition root around fakes and a ManualClock."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.ui.fakes import FakeAccount, PaintedScreen, TypingHands
from tracker.capture import ScreenCapturer
from tracker.clock import ManualClock, utc
from tracker.consent import CollectionTerms
from tracker.contract import Contract
from tracker.shot_seal import ShotKeys
from ui.app import AccountFactory, Composition, compose
from ui.controller import AppController
from ui.settings import AppSettings, SettingsFile
from ui.shell import Shell

MONDAY_9 = utc(2026, 11, 23, 9, 0, 0)

ACME = Contract(id=7, title="Acme Corp — Backend API", rate_cents=4500, currency="USD",
                weekly_cap_minutes=40 * 60, manual_time_allowed=True)
GLOBEX = Contract(id=8, title="Globex — Data pipeline", rate_cents=6000, currency="EUR")


@dataclass
class TrayApp:
    clock: ManualClock
    composition: Composition
    account: FakeAccount
    screen: PaintedScreen
    hands: TypingHands
    qtbot: QtBot
    tmp: Path

    @property
    def controller(self) -> AppController:
        return self.composition.controller

    @property
    def shell(self) -> Shell:
        return self.composition.shell

    def sign_in(self, password: str = "demo") -> None:
        with self.qtbot.waitSignal(self.controller.signed_in, timeout=5000):
            self.controller.sign_in("http://127.0.0.1:9", "freelancer@demo.test", password)

    def advance(self, seconds: float, step: float = 10.0, typing: bool = False) -> datetime:
        """Move the manual clock in ``step``-second ticks, as the QTimer would."""
        end = self.clock.now() + timedelta(seconds=seconds)
        while self.clock.now() < end:
            self.clock.advance(min(timedelta(seconds=step), end - self.clock.now()))
            if typing:
                self.hands.press(3)
            self.controller.tick()
            # captures run on the single worker: a no-op queued behind one finishes after it
            self.composition.tasks.executor.submit(lambda: None).result(timeout=10)
        self.controller.tick()
        return self.clock.now()


@contextmanager
def tray_app(qtbot: QtBot, tmp: Path, contracts: list[Contract] | None = None,
             settings: AppSettings | None = None, start: datetime = MONDAY_9,
             account_factory: AccountFactory | None = None,
             use_tray: bool = False, consented: bool = True,
             shot_keys: ShotKeys | None = TEST_SHOT_KEYS) -> Iterator[TrayApp]:
    clock = ManualClock(start)
    settings_file = SettingsFile(tmp / "config" / "settings.json")
    if settings is not None:
        settings_file.save(settings)
    screen, hands = PaintedScreen(), TypingHands()
    holder: list[Composition] = []
    account = FakeAccount(lambda: holder[0].controller.store, contracts or [ACME, GLOBEX])
    composition = compose(
        clock=clock, store_dir=tmp / "data", settings_file=settings_file,
        account=account_factory or account,
        capturer=ScreenCapturer(screen), input_source=hands, use_tray=use_tray,
        autostart_dir=tmp / "autostart", rng=random.Random(5), shot_keys=shot_keys,
    )
    holder.append(composition)
    if consented:  # the freelancer accepted these contracts' terms in an earlier run
        for contract in contracts or [ACME, GLOBEX]:
            composition.controller.store.record_consent(
                contract.id, CollectionTerms.of(contract).as_json(), start)
    composition.shell.start()
    composition.shell.ticker.stop()  # the test moves time itself
    app = TrayApp(clock, composition, account, screen, hands, qtbot, tmp)
    try:
        yield app
    finally:
        composition.shell.close_all()
        composition.controller.shutdown()
        composition.tasks.shutdown()
        composition.controller.store.close()
