"""The real tray app, driven through a scripted hour for ``bench/idle.py``.

    python bench/app_driver.py --data-dir … --config-dir … --server-url … --email … \
        --captures 6 --diary-day YYYY-MM-DD

It composes the app as ``python -m ui`` does (real capture worker, input listeners,
sync to the given server, the single-instance socket and desktop notices), signs in and
starts tracking; then it takes
``--captures`` shots through the app's own capturer and store on the app's capture
thread, opens the diary on ``--diary-day`` and closes it again. At each step it prints
the process's current RSS as ``phase <name> <MiB>``; the parent reads those lines.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ui.qt_sources import read_sources_once  # noqa: E402

read_sources_once()  # as ui/__main__.py does, before the app's imports

from PySide6.QtCore import QTimer  # noqa: E402

from timekeeping.clock import SystemClock  # noqa: E402
from tracker.capture_process import ProcessCapturer  # noqa: E402
from tracker.shot import ShotCapturer  # noqa: E402
from ui import app as tray_app  # noqa: E402
from ui.settings import SettingsFile  # noqa: E402

SETTLE_MS = 4000


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def report(phase: str) -> None:
    gc.collect()
    print(f"phase {phase} {rss_mib():.1f}", flush=True)


def _in_process_capturer() -> ShotCapturer:
    from tracker.capture import ScreenCapturer
    from tracker.capture_mss import MssGrabber

    return ScreenCapturer(MssGrabber())


def children_cpu_s() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def report_worker_cpu(captures: int, before_s: float) -> None:
    """The capture workers' CPU per shot: the children's CPU since the first capture
    (the CPU of any process the app ran before tracking is not a shot's)."""
    used = children_cpu_s() - before_s
    print(f"worker-cpu-per-shot {used / max(1, captures):.3f}", flush=True)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    for flag in ("--data-dir", "--config-dir", "--server-url", "--email", "--diary-day"):
        parser.add_argument(flag, required=True)
    parser.add_argument("--captures", type=int, default=6)
    parser.add_argument("--capturer", choices=("process", "thread"), default="process",
                        help="thread: the old in-process capture, for the comparison")
    return parser.parse_args()


@contextmanager
def _resident(config_dir: Path, built: tray_app.Composition) -> Iterator[None]:
    """What main() keeps beside the composition while the app runs: the single-instance
    lock and socket, and the desktop notices."""
    from ui.desktop_notices import DesktopNotices
    from ui.notifications import DesktopNotifications
    from ui.single_instance import SingleInstance

    instance = SingleInstance(config_dir / "workdiary.lock")
    instance.acquire()
    instance.listen(built.shell.show_timer)
    notices = DesktopNotices(built.controller, built.shell, DesktopNotifications.open())
    try:
        yield
    finally:
        notices.close()
        instance.release()


def main() -> int:
    args = _arguments()
    app = tray_app._application()
    built = tray_app.compose(
        clock=SystemClock(), store_dir=Path(args.data_dir),
        settings_file=SettingsFile(Path(args.config_dir) / "settings.json"),
        account=tray_app.real_account, capturer=ProcessCapturer(),
        input_source=tray_app._real_input_source(SystemClock()),
        shot_keys=tray_app.real_shot_keys(Path(args.config_dir)))
    controller, shell = built.controller, built.shell
    shell.start(restore_account=False)
    controller.signed_in.connect(lambda _account: controller.start())
    controller.sign_in(args.server_url, args.email, os.environ.get("WORKDIARY_PASSWORD", ""))
    diary_day = datetime.combine(datetime.fromisoformat(args.diary_day), time(0)).astimezone()
    capturer = ProcessCapturer() if args.capturer == "process" else _in_process_capturer()

    def capture_one() -> None:
        shot = capturer.capture(datetime.now(UTC), blur=False)
        contract = controller.current_contract()
        controller.store.save_shot(contract.id if contract else 0, datetime.now(UTC), shot)

    def close_diary() -> None:
        shell.diary_window.close()

    before_captures = [0.0]

    def tracking() -> None:
        before_captures[0] = children_cpu_s()

    steps: list[tuple[str, Callable[[], None]]] = [("tracking", tracking)]
    steps += [(f"capture-{n + 1}", lambda: built.tasks.executor.submit(capture_one).result())
              for n in range(args.captures)]
    steps += [("diary-open", lambda: shell.show_diary(diary_day)),
              ("diary-closed", close_diary)]

    def run_step(index: int) -> None:
        if index > 0:
            report(steps[index - 1][0])
        if index == len(steps):
            report_worker_cpu(args.captures, before_captures[0])
            app.quit()
            return
        steps[index][1]()
        QTimer.singleShot(SETTLE_MS, lambda: run_step(index + 1))

    QTimer.singleShot(SETTLE_MS * 2, lambda: run_step(0))  # sign-in and start first
    try:
        with _resident(Path(args.config_dir), built):
            return app.exec()
    finally:
        shell.close_all()
        controller.shutdown()
        built.tasks.shutdown()
        controller.store.close()


if __name__ == "__main__":
    raise SystemExit(main())
