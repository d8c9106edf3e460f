"""The capture worker: one short-lived process per shot grabs, checks and encodes it.

    python -m tracker.capture_child [--blur] [--display :0]

The tray app never loads the imaging library or the encoder itself: a 1080p frame and
the AVIF encoder's buffers (~18 MiB that glibc did not hand back) die with this process.
It writes one frame to stdout — see :mod:`tracker.capture_wire` — and exits 0; a shot
that cannot be taken is a frame with the reason, also exit 0. Anything else (a crash in
a codec, a signal) is the parent's to report.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from tracker.capture_wire import write_failure, write_shot
from tracker.shot import CaptureFailed


def run(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="capture-worker")
    parser.add_argument("--blur", action="store_true")
    parser.add_argument("--display", default=None)
    args = parser.parse_args(argv)
    out = sys.stdout.buffer
    try:
        from tracker.capture import ScreenCapturer
        from tracker.capture_mss import MssGrabber

        # taken_at is not sent back: the parent holds the clock and stamps the shot
        shot = ScreenCapturer(MssGrabber(args.display)).capture(datetime.now(UTC), args.blur)
    except CaptureFailed as failure:
        write_failure(out, str(failure))
    except ImportError as error:  # no X libraries, no Pillow AVIF: capture unavailable
        write_failure(out, f"capture unavailable: {error}")
    else:
        write_shot(out, shot)
    out.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
