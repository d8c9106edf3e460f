"""Run by test_crash_safety in a subprocess: track with a fast-moving manual clock and
report every slot the session has written, until killed.

usage: python -m tests.tracker.crash_worker DATA_DIR START_ISO SEED
Prints ``closed <slot key> <minutes> <sha256|->`` after each SlotClosed (the slot is
committed before the event is emitted).
"""

from __future__ import annotations

import random
import sys
from datetime import datetime

from PIL import Image, ImageDraw

from tracker import events as ev
from tracker.capture import ScreenCapturer
from tracker.clock import ManualClock
from tracker.contract import Contract
from tracker.session import TrackingSession
from tracker.store import Store


class NoisyGrabber:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def grab(self) -> Image.Image:
        image = Image.new("RGB", (320, 200), (20, 30, 40))
        ImageDraw.Draw(image).text((10, 10), str(self._rng.random()), fill=(250, 250, 250))
        return image


def main() -> None:
    data_dir, start_text, seed_text = sys.argv[1:4]
    rng = random.Random(int(seed_text))
    clock = ManualClock(datetime.fromisoformat(start_text))
    store = Store(data_dir)
    session = TrackingSession(
        clock=clock, rng=rng, store=store, capturer=ScreenCapturer(NoisyGrabber(rng))
    )
    store_ref = store

    def report(event: ev.Event) -> None:
        if isinstance(event, ev.SlotClosed):
            written = store_ref.get_slot(event.contract_id, event.slot_start)
            assert written is not None
            sha = written.shot.sha256 if written.shot is not None else "-"
            print(f"closed {written.key} {written.minute_count} {sha}", flush=True)

    session.subscribe(report)
    session.start(Contract(7, "Crash test", 4500, "EUR"), "crash")
    print("ready", flush=True)
    while True:
        clock.advance(3)
        if rng.random() < 0.5:
            session.activity.record_key()
        session.tick()


if __name__ == "__main__":
    main()
