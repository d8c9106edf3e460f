"""Where the tray app finds its resources and keeps its files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "Workdiary"
# Environment overrides, so tests, ./dev run and a second profile can live side by side.
DATA_DIR_ENV = "WORKDIARY_DATA_DIR"
CONFIG_DIR_ENV = "WORKDIARY_CONFIG_DIR"


def resource_dir() -> Path:
    """resources/ of the source tree, or of the PyInstaller bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def data_dir() -> Path:
    """The tracker store's folder (SQLite + shot files)."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def config_dir() -> Path:
    """Settings and the single-instance lock."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def xdg_autostart_dir() -> Path:
    """~/.config/autostart (XDG Autostart spec), honouring XDG_CONFIG_HOME."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart"
