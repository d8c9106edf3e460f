"""The .deb made by ./dev build: installed with dpkg as root, started from PATH on a real
X server with a real tray host (Debian's tint2), purged without leftovers.

Measured on this machine kind (2 cores): this test and test_build, which share one
PyInstaller build, take 126 s at load average ~5 and 183 s at ~13; the build is most of
it, packing, installing, starting and purging about 30–40 s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.app_build import ROOT, OneFolderBuild
from tests.support.xvfb import XServer, xvfb

PACKAGE = "workdiary"
HICOLOR = Path("/usr/share/icons/hicolor")
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


@pytest.fixture(scope="session")
def deb_file(one_folder_build: OneFolderBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert one_folder_build.returncode == 0, one_folder_build.stderr[-3000:]
    out = tmp_path_factory.mktemp("deb")
    packed = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build_deb.py"),
         "--app", str(one_folder_build.app_dir), "--out", str(out)],
        capture_output=True, text=True, timeout=300, check=False)
    assert packed.returncode == 0, packed.stderr[-3000:]
    return Path(packed.stdout.strip())


@pytest.fixture
def installed(deb_file: Path) -> Iterator[list[Path]]:
    """dpkg -i the package; yields the files it installed; purges it afterwards."""
    if os.geteuid() != 0:
        pytest.fail("installing the .deb needs root (CI and ./dev run as root)")
    done = subprocess.run(["dpkg", "-i", str(deb_file)], capture_output=True, text=True)
    try:
        assert done.returncode == 0, done.stdout + done.stderr
        listed = _dpkg(["-L", PACKAGE]).splitlines()
        yield [Path(line) for line in listed if line.startswith("/")]
    finally:
        subprocess.run(["dpkg", "--purge", PACKAGE], capture_output=True)


@pytest.fixture
def tray_host_display() -> Iterator[XServer]:
    """A private X server (so no other test sees a tray) with tint2's panel and tray."""
    with xvfb(((1280, 800),)) as server:
        panel = subprocess.Popen(
            ["tint2", "-c", "/etc/xdg/tint2/tint2rc"],
            env=dict(os.environ, DISPLAY=server.display),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for(lambda: bool(_tint2_windows(server.display)), "tint2's panel")
            yield server
        finally:
            panel.terminate()
            panel.wait(timeout=10)


def _dpkg(args: list[str]) -> str:
    return subprocess.run(["dpkg", *args], check=True, capture_output=True, text=True).stdout


def _x(display: str, args: list[str]) -> str:
    done = subprocess.run(args, env=dict(os.environ, DISPLAY=display),
                          capture_output=True, text=True, timeout=10)
    return done.stdout


def _tint2_windows(display: str) -> list[str]:
    return _x(display, ["xdotool", "search", "--classname", "^tint2$"]).split()


def _app_windows_under(display: str, window: str) -> list[str]:
    """Lines of ``xwininfo -tree`` under ``window`` (an id, or "root") that are ours."""
    target = ["-root"] if window == "root" else ["-id", window]
    tree = _x(display, ["xwininfo", "-tree", *target])
    return [line for line in tree.splitlines() if '("workdiary" "Workdiary")' in line]


def _shown_top_level_window(display: str) -> bool:
    """A mapped top-level window of the app, bigger than Qt's 1×1 helpers."""
    for line in _app_windows_under(display, "root"):
        window_id = line.split()[0]
        info = _x(display, ["xwininfo", "-id", window_id])
        if "Map State: IsViewable" in info and "Width: 1\n" not in info:
            return True
    return False


def _in_the_tray(display: str) -> bool:
    return any(_app_windows_under(display, panel) for panel in _tint2_windows(display))


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _check_installed_files(files: list[Path]) -> None:
    assert Path("/usr/bin/workdiary") in files
    assert os.path.realpath("/usr/bin/workdiary") == f"/usr/lib/{PACKAGE}/{PACKAGE}"
    desktop = Path("/usr/share/applications/workdiary.desktop")
    entry = desktop.read_text(encoding="utf-8")
    assert "Exec=workdiary\n" in entry and "Icon=workdiary\n" in entry
    for size in ICON_SIZES:
        assert HICOLOR / f"{size}x{size}" / "apps" / "workdiary.png" in files
    assert (HICOLOR / "scalable" / "apps" / "workdiary.svg").is_file()


@pytest.mark.slow
@pytest.mark.xvfb
@pytest.mark.deb
def test_the_deb_installs_runs_from_path_with_window_and_tray_and_purges_clean(
    installed: list[Path], tray_host_display: XServer, tmp_path: Path
) -> None:
    _check_installed_files(installed)
    home = tmp_path / "home"
    display = tray_host_display.display
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "DISPLAY": display,
           "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_DATA_HOME": str(home / ".local" / "share"), "LANG": "C.UTF-8"}
    app = subprocess.Popen(["workdiary", "--window"], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for(lambda: _shown_top_level_window(display), "the app's window")
        _wait_for(lambda: _in_the_tray(display), "the app's icon in tint2's tray")
    finally:
        app.send_signal(signal.SIGTERM)
        output, _ = app.communicate(timeout=30)
    assert app.returncode == 0, output[-3000:]
    assert "Workdiary running" in output
    user_data = home / ".local" / "share" / "Workdiary" / "tracker.sqlite3"
    assert user_data.is_file()

    purged = subprocess.run(["dpkg", "--purge", PACKAGE], capture_output=True, text=True)
    assert purged.returncode == 0, purged.stderr
    assert subprocess.run(["dpkg-query", "-W", PACKAGE], capture_output=True).returncode != 0
    left = [path for path in installed if path.is_file() or path.is_symlink()]
    assert left == []
    assert not Path(f"/usr/lib/{PACKAGE}").exists()
    assert not list(Path("/var/lib/dpkg/info").glob(f"{PACKAGE}.*"))
    assert user_data.is_file()  # the freelancer's diary stays
