"""Start at login on Linux: an XDG Autostart .desktop file in ~/.config/autostart."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

DESKTOP_FILE_NAME = "workdiary.desktop"


def launch_command() -> list[str]:
    """How to start this very app again: the frozen binary, or the console script."""
    if getattr(sys, "frozen", False):
        return [command_on_path(sys.executable)]
    script = shutil.which("workdiary")
    if script is not None:
        return [script]
    return [sys.executable, "-m", "ui.app"]


def command_on_path(binary: str, search_path: str | None = None) -> str:
    """``workdiary`` on PATH when it leads to ``binary`` (the .deb's /usr/bin symlink to
    /usr/lib/workdiary/workdiary): the autostart entry then names the stable command."""
    script = shutil.which("workdiary", path=search_path)
    if script is not None and os.path.realpath(script) == os.path.realpath(binary):
        return script
    return binary


def desktop_entry(command: list[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Workdiary\n"
        "Comment=Time tracker with work diary\n"
        f"Exec={shlex.join(command)}\n"
        # once the package is purged the entry stays (user data) but desktops skip it
        f"TryExec={command[0]}\n"
        "Icon=workdiary\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def is_enabled(autostart_dir: Path) -> bool:
    return (autostart_dir / DESKTOP_FILE_NAME).is_file()


def set_enabled(autostart_dir: Path, enabled: bool, command: list[str] | None = None) -> None:
    path = autostart_dir / DESKTOP_FILE_NAME
    if not enabled:
        path.unlink(missing_ok=True)
        return
    autostart_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(desktop_entry(command or launch_command()), encoding="utf-8")
