"""The tray app tracking on Xvfb: CPU % of one core and peak RSS, with references.

    .venv/bin/python bench/idle.py [--seconds 60]

Starts Xvfb, the backend (demo data, embedded SQLite, free loopback port) and the tray
app signed in to the demo freelancer and tracking; after a warm-up it reads the app's
CPU time from /proc over the measured span, and its peak RSS (VmHWM). The same for a
bare ``python -c pass`` and a bare QApplication idling in its event loop. Prints
figures; targets: ≤ 0.5 % CPU and ≤ 120 MB RSS for the app.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.xvfb import xvfb  # noqa: E402
from ui.devrun import free_port, prepare_run_dir, wait_until_serving  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
WARM_UP_S = 8.0
BARE_QT = (
    "import sys;from PySide6.QtWidgets import QApplication;app=QApplication(sys.argv);"
    "app.exec()"
)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def measure(
    args: list[str], seconds: float, env: dict[str, str], log_path: Path
) -> tuple[float, float, float]:
    """(CPU % of one core over the span after warm-up, peak RSS MiB, start-up CPU s)."""
    with log_path.open("w") as log:
        process = subprocess.Popen(args, env=env, stdout=log, stderr=log)
    try:
        time.sleep(WARM_UP_S)  # a benchmark: wall time passing is the point
        if process.poll() is not None:
            raise RuntimeError(f"{args[:3]} exited early with {process.returncode}")
        start_cpu, start_wall = cpu_seconds(process.pid), time.monotonic()
        time.sleep(seconds)
        end_cpu, end_wall = cpu_seconds(process.pid), time.monotonic()
        rss = peak_rss_mib(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return 100 * (end_cpu - start_cpu) / (end_wall - start_wall), rss, start_cpu


def bare_python() -> tuple[float, float]:
    """CPU seconds and peak RSS of `python -c pass` (it exits at once)."""
    pid = os.spawnv(os.P_NOWAIT, sys.executable, [sys.executable, "-c", "pass"])
    _pid, _status, usage = os.wait4(pid, 0)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="workdiary-bench-") as temp, xvfb() as display:
        dirs = prepare_run_dir(Path(temp))
        env = dict(os.environ, DISPLAY=display.display, QT_QPA_PLATFORM="xcb",
                   XDG_CONFIG_HOME=str(dirs["xdg-config"]),
                   PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
                   WORKDIARY_PASSWORD="demo", PYTHONPATH=str(ROOT))
        subprocess.run([python, "-m", "billing.cli", "demo", "--data-dir", str(dirs["server"])],
                       check=True, stdout=subprocess.DEVNULL, env=env)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [python, "-m", "billing.cli", "serve", "--data-dir", str(dirs["server"]),
             "--port", str(port), "--jobs-interval", "0"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until_serving(url, server, 30)
            app = measure([python, "-m", "ui", "--data-dir", str(dirs["tracker"]),
                           "--config-dir", str(dirs["config"]), "--server-url", url,
                           "--email", "freelancer@demo.test", "--start-tracking",
                           "--accept-terms"],
                          args.seconds, env, Path(temp) / "app.log")
            started = "TrackingStarted" in (Path(temp) / "app.log").read_text()
        finally:
            server.terminate()
            server.wait(timeout=20)
        qt = measure([python, "-c", BARE_QT], args.seconds, env, Path(temp) / "qt.log")
        tracked = _tracked_minutes(dirs["tracker"])
    pass_cpu, pass_rss = bare_python()
    print(f"idle benchmark: {args.seconds:.0f} s measured after {WARM_UP_S:.0f} s warm-up, "
          "Xvfb 1920x1080")
    print(f"  tray app (tracking):  CPU {app[0]:.2f} % of one core   peak RSS {app[1]:.1f} MiB"
          f"   (start-up CPU {app[2]:.2f} s; tracking started: {'yes' if started else 'NO'};"
          f" whole minutes logged: {tracked})")
    print(f"  bare QApplication:    CPU {qt[0]:.2f} % of one core   peak RSS {qt[1]:.1f} MiB")
    print(f"  python -c pass:       CPU {pass_cpu:.3f} s total        peak RSS {pass_rss:.1f} MiB")
    print(f"  targets: ≤ 0.5 % CPU, ≤ 120 MB RSS → "
          f"{'met' if app[0] <= 0.5 and app[1] * 1.048576 <= 120 else 'NOT met'}")
    return 0


def _tracked_minutes(tracker_dir: Path) -> int:
    import sqlite3

    with sqlite3.connect(tracker_dir / "tracker.sqlite3") as db:
        return int(db.execute("SELECT COUNT(*) FROM slot_minutes").fetchone()[0])


if __name__ == "__main__":
    raise SystemExit(main())
