"""At most one tray app per user profile, through a QLockFile in the config dir."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLockFile


class AlreadyRunning(RuntimeError):
    """Another Workdiary holds the lock; the message names its process id."""


class SingleInstance:
    """Holds the lock for the app's lifetime. A lock left by a crashed process is stale
    after its pid is gone, and QLockFile takes it over."""

    def __init__(self, lock_path: Path) -> None:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(lock_path))
        self._lock.setStaleLockTime(0)  # rely on the pid check, not on age
        self._path = lock_path

    def acquire(self) -> None:
        if self._lock.tryLock(100):
            return
        # PySide6 returns (pid, hostname, appname) here, or a falsy value when unknown
        info = self._lock.getLockInfo()
        pid = info[0] if isinstance(info, tuple) and info and isinstance(info[0], int) else 0
        owner = f" (process {pid})" if pid else ""
        raise AlreadyRunning(
            f"Workdiary is already running{owner}. Use its tray icon or window; "
            f"lock file: {self._path}"
        )

    def release(self) -> None:
        self._lock.unlock()
