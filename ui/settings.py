"""The tray app's own preferences, kept as a small JSON file in the config dir.

Ranges come from DOMAIN.md (idle threshold 5–30 min, hold window 0–24 h); the spin
boxes use them so the dialog cannot produce a value the tracker would refuse.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

IDLE_THRESHOLD_RANGE = (5, 30)
HOLD_WINDOW_RANGE = (0, 24 * 60)
DEFAULT_SERVER_URL = "http://127.0.0.1:8000"


class SettingsError(ValueError):
    """The settings file exists but cannot be read; the message names it."""


@dataclass(frozen=True)
class AppSettings:
    server_url: str = DEFAULT_SERVER_URL
    idle_threshold_minutes: int = 10
    hold_window_minutes: int = 10
    start_at_login: bool = False
    last_email: str = ""
    last_contract_id: int | None = None
    # a desktop notice each time a screenshot is taken (with Delete), as Hubstaff has
    shot_notices: bool = True

    def validated(self) -> AppSettings:
        low, high = IDLE_THRESHOLD_RANGE
        if not low <= self.idle_threshold_minutes <= high:
            raise SettingsError(f"idle threshold must be {low}–{high} minutes")
        low, high = HOLD_WINDOW_RANGE
        if not low <= self.hold_window_minutes <= high:
            raise SettingsError(f"hold window must be {low}–{high} minutes")
        if not self.server_url.startswith(("http://", "https://")):
            raise SettingsError("server URL must start with http:// or https://")
        return self


class SettingsFile:
    """Reads and atomically writes :class:`AppSettings` at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> AppSettings:
        if not self.path.exists():
            return AppSettings()
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            known = {field.name for field in fields(AppSettings)}
            chosen = {name: value for name, value in raw.items() if name in known}
            return replace(AppSettings(), **chosen).validated()
        except (OSError, ValueError, TypeError) as error:
            raise SettingsError(f"cannot read settings {self.path}: {error}") from error

    def save(self, settings: AppSettings) -> None:
        settings.validated()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # temp file + fsync + replace: a crash leaves the old or the new file, never half
        fd, temp_name = tempfile.mkstemp(dir=self.path.parent, prefix=".settings-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(asdict(settings), handle, indent=2)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
