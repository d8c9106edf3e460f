"""Start at login on Linux: an XDG Autostart .desktop file in ~/.config/autostart."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

DESKTOP_FILE_NAME = "workdiary.desktop"


def launch_command() -> list[str]:
    """How to start this very app again: the frozen binary, or the console script."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = shutil.which("workdiary")
    if script is not None:
        return [script]
    return [sys.executable, "-m", "ui.app"]


def desktop_entry(command: list[str]) -> str:
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Workdiary\n"
        "Comment=Time tracker with work diary\n"
        f"Exec={shlex.join(command)}\n"
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
