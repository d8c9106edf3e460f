"""A tracking process to SIGKILL, for the crash-safety test and bench/crash_soak.py.

usage: python -m tests.tracker.crash_worker serve

Reads ``run DATA_DIR START_ISO SEED`` lines on stdin. For each it forks a tracker (the
imports are paid once, so a kill point costs milliseconds, not a Python start-up),
which prints ``ready <pid>`` and then ``closed <slot key> <minutes> <sha256|->`` after
each SlotClosed (the slot is committed before the event is emitted), tracking with a
fast-moving manual clock until it is killed. When the tracker has died the server
prints ``exited <pid> <signal>``; everything the tracker printed comes before that.
"""

from __future__ import annotations

import os
import random
import sys
from datetime import UTC, datetime

from PIL import Image, ImageDraw

from tests.support.shot_keys import TEST_SHOT_KEYS
from tracker import events as ev
from tracker.capture import ScreenCapturer, ShotFormat
from tracker.clock import ManualClock
from tracker.contract import Contract
from tracker.session import TrackingSession
from tracker.store import Store

# JPEG: the cheapest encode, so the kill points are spent on writes, not on WebP
SHOT_FORMAT = ShotFormat(media_type="image/jpeg", quality=75)
WARM_UP_AT = datetime(2026, 1, 1, tzinfo=UTC)


class NoisyGrabber:
    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def grab(self) -> Image.Image:
        image = Image.new("RGB", (320, 200), (20, 30, 40))
        ImageDraw.Draw(image).text((10, 10), str(self._rng.random()), fill=(250, 250, 250))
        return image


def _say(line: str) -> None:
    """One line to the soak in one write(2): a pipe write this short is atomic, so a
    SIGKILL can never leave half a line for the server's "exited" to run into (print()
    may write the text and its newline separately)."""
    os.write(sys.stdout.fileno(), f"{line}\n".encode())


def track_until_killed(data_dir: str, start_text: str, seed_text: str) -> None:
    rng = random.Random(int(seed_text))
    clock = ManualClock(datetime.fromisoformat(start_text))
    store = Store(data_dir, TEST_SHOT_KEYS)
    session = TrackingSession(
        clock=clock, rng=rng, store=store,
        capturer=ScreenCapturer(NoisyGrabber(rng), SHOT_FORMAT),
    )

    def report(event: ev.Event) -> None:
        if isinstance(event, ev.SlotClosed):
            written = store.get_slot(event.contract_id, event.slot_start)
            assert written is not None
            sha = written.shot.sha256 if written.shot is not None else "-"
            _say(f"closed {written.key} {written.minute_count} {sha}")

    session.subscribe(report)
    session.start(Contract(7, "Crash test", 4500, "EUR"), "crash")
    _say(f"ready {os.getpid()}")
    while True:
        clock.advance(7)  # crosses every minute boundary; fewer ticks per slot
        if rng.random() < 0.5:
            session.activity.record_key()
        session.tick()


def serve() -> None:
    # pay for the image codecs' lazy imports once, here, not in every forked tracker
    ScreenCapturer(NoisyGrabber(random.Random(0)), SHOT_FORMAT).capture(WARM_UP_AT, blur=False)
    for line in sys.stdin:
        command, *arguments = line.split()
        if command != "run":
            raise SystemExit(f"unknown command {command!r}")
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            try:
                track_until_killed(*arguments)
            finally:
                os._exit(1)  # only reached if tracking itself failed
        _, status = os.waitpid(pid, 0)
        print(f"exited {pid} {os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0}",
              flush=True)


if __name__ == "__main__":
    serve()
