"""The tray state icons, loaded once from resources/icons."""

from __future__ import annotations

from enum import Enum

from PySide6.QtGui import QIcon

from ui.paths import resource_dir

_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


class TrayState(Enum):
    """What the tray picture says; the value is the icon's file stem."""

    STOPPED = "stopped"
    TRACKING = "tracking"
    IDLE_PENDING = "idle_pending"
    OVER_CAP = "over_cap"
    OFFLINE = "offline"
    STORE_ALERT = "store_alert"  # tracked time is only in memory (disk full, locked …)


_cache: dict[TrayState, QIcon] = {}


def state_icon(state: TrayState) -> QIcon:
    icon = _cache.get(state)
    if icon is None:
        icon = QIcon()
        folder = resource_dir() / "icons"
        for size in _SIZES:
            path = folder / f"{state.value}-{size}.png"
            if not path.is_file():
                raise FileNotFoundError(f"tray icon missing: {path}")
            icon.addFile(str(path))
        _cache[state] = icon
    return icon


def app_icon() -> QIcon:
    return state_icon(TrayState.TRACKING)
