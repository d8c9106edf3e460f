"""One uploader per store: an advisory ``flock`` on a lock file next to the store.

The kernel drops the lock when the process dies (even by SIGKILL), so a crash never
leaves a stale lock behind. The holder's pid is written into the file only to make the
second instance's message useful.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from sync.errors import AnotherUploaderRunning


def lock_path_for(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".sync.lock")


class UploaderLock:
    """Held while this process uploads the store at ``store_path``."""

    def __init__(self, store_path: Path) -> None:
        self.path = lock_path_for(store_path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        if self._fd is not None:
            return
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise AnotherUploaderRunning(
                f"Workdiary is already uploading this diary ({who} holds {self.path}); "
                "this instance will not upload — close the other one to upload from here"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> UploaderLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None
