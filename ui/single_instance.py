"""At most one tray app per user profile, through a QLockFile in the config dir.

A second launch does not just refuse: it asks the running app, over a Unix socket
named after the lock, to bring its window forward, and exits. The socket is Python's,
watched by a QSocketNotifier on the GUI thread: Qt's QLocalServer would load QtNetwork
for this alone, 3 MiB of the tray app (issue 13). Where the platform has no Unix
sockets, second launches are refused without the raise; the lock works the same.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLockFile, QSocketNotifier

from diarychain.digest import sha256_hex

log = logging.getLogger(__name__)
_RAISE = b"raise\n"
_DONE = b"ok\n"
_ANSWER_TIMEOUT_S = 0.5  # a launch that connects and says nothing holds the GUI no longer


class AlreadyRunning(RuntimeError):
    """Another Workdiary holds the lock; the message names its process id."""


def server_name(lock_path: Path) -> str:
    """The socket's name: one per lock file (so per profile) and per user."""
    digest = sha256_hex(str(lock_path.resolve()).encode())[:20]
    return f"workdiary-{os.getuid() if hasattr(os, 'getuid') else 0}-{digest}"


def socket_path(lock_path: Path) -> Path:
    """Where the socket lives: the user's runtime dir (0700, cleared at log-out), else
    the temporary dir; not beside the lock, whose path may be longer than a socket's
    address can be (108 bytes)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    base = Path(runtime) if runtime and Path(runtime).is_dir() else Path(tempfile.gettempdir())
    return base / server_name(lock_path)


def _answer(listener: socket.socket, on_raise: Callable[[], None]) -> None:
    """Answer every launch waiting on ``listener`` (non-blocking: none may be left)."""
    while True:
        try:
            connection, _address = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as error:
            log.warning("a second launch could not be answered: %s", error)
            return
        with connection:
            try:
                connection.settimeout(_ANSWER_TIMEOUT_S)
                asked = connection.recv(len(_RAISE)).startswith(_RAISE.strip())
                if asked:
                    connection.sendall(_DONE)
            except OSError:
                continue
        if asked:
            on_raise()


class SingleInstance:
    """Holds the lock for the app's lifetime. A lock left by a crashed process is stale
    after its pid is gone, and QLockFile takes it over."""

    def __init__(self, lock_path: Path) -> None:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(lock_path))
        self._lock.setStaleLockTime(0)  # rely on the pid check, not on age
        self._path = lock_path
        self._socket_path = socket_path(lock_path)
        self._listener: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None

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

    def listen(self, on_raise: Callable[[], None]) -> bool:
        """While holding the lock: call ``on_raise`` (GUI thread) when a second launch
        asks. Returns False if the socket cannot be made (the lock still works)."""
        if not hasattr(socket, "AF_UNIX"):
            log.warning("second launches cannot reach this one: no Unix sockets here")
            return False
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with contextlib.suppress(FileNotFoundError):
                self._socket_path.unlink()  # left by a crashed run; we hold the lock
            listener.bind(str(self._socket_path))
            os.chmod(self._socket_path, 0o600)  # this user's launches only
            listener.listen(4)
            listener.setblocking(False)
        except OSError as error:
            listener.close()
            log.warning("second launches cannot reach this one: %s", error)
            return False
        notifier = QSocketNotifier(listener.fileno(), QSocketNotifier.Type.Read)
        notifier.activated.connect(lambda: _answer(listener, on_raise))
        self._listener, self._notifier = listener, notifier
        return True

    def ask_running_to_show(self, timeout_ms: int = 3000) -> bool:
        """From a second launch: ask the running app to bring its window forward.
        True once it answered. Blocking, before any event loop runs."""
        if not hasattr(socket, "AF_UNIX"):
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as asking:
            asking.settimeout(timeout_ms / 1000)
            reply = b""
            try:
                asking.connect(str(self._socket_path))
                asking.sendall(_RAISE)
                while len(reply) < len(_DONE) and (part := asking.recv(len(_DONE))):
                    reply += part
            except OSError:  # nobody listening, or no answer in time
                return False
        return reply == _DONE

    def release(self) -> None:
        if self._listener is not None:
            if self._notifier is not None:
                self._notifier.setEnabled(False)
            self._listener.close()
            with contextlib.suppress(FileNotFoundError):
                self._socket_path.unlink()
            self._listener, self._notifier = None, None
        self._lock.unlock()
