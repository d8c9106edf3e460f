"""At most one tray app per user profile, through a QLockFile in the config dir.

A second launch does not just refuse: it asks the running app, over a local socket
named after the lock, to bring its window forward, and exits.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QLockFile

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)
_RAISE = b"raise\n"
_DONE = b"ok\n"


class AlreadyRunning(RuntimeError):
    """Another Workdiary holds the lock; the message names its process id."""


def server_name(lock_path: Path) -> str:
    """The local socket's name: one per lock file (so per profile) and per user."""
    digest = hashlib.sha256(str(lock_path.resolve()).encode()).hexdigest()[:20]
    return f"workdiary-{os.getuid() if hasattr(os, 'getuid') else 0}-{digest}"


def _answer(connection: QLocalSocket, on_raise: Callable[[], None]) -> None:
    if bytes(connection.readAll().data()).startswith(_RAISE.strip()):
        connection.write(_DONE)
        connection.flush()
        on_raise()
    connection.disconnectFromServer()


class SingleInstance:
    """Holds the lock for the app's lifetime. A lock left by a crashed process is stale
    after its pid is gone, and QLockFile takes it over."""

    def __init__(self, lock_path: Path) -> None:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(lock_path))
        self._lock.setStaleLockTime(0)  # rely on the pid check, not on age
        self._path = lock_path
        self._name = server_name(lock_path)
        self._server: QLocalServer | None = None

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
        from PySide6.QtNetwork import QLocalServer

        server = QLocalServer()
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(self._name)  # left by a crashed run; we hold the lock
        if not server.listen(self._name):
            log.warning("second launches cannot reach this one: %s", server.errorString())
            return False

        def on_new_connection() -> None:
            while (connection := server.nextPendingConnection()) is not None:
                connection.readyRead.connect(partial(_answer, connection, on_raise))
                connection.disconnected.connect(connection.deleteLater)

        server.newConnection.connect(on_new_connection)
        self._server = server
        return True

    def ask_running_to_show(self, timeout_ms: int = 3000) -> bool:
        """From a second launch: ask the running app to bring its window forward.
        True once it answered. Blocking, before any event loop runs."""
        from PySide6.QtNetwork import QLocalSocket

        socket = QLocalSocket()
        socket.connectToServer(self._name)
        if not socket.waitForConnected(timeout_ms):
            return False
        socket.write(_RAISE)
        socket.waitForBytesWritten(timeout_ms)  # False when already written: not an error
        reply = b""
        while len(reply) < len(_DONE):
            if not socket.bytesAvailable() and not socket.waitForReadyRead(timeout_ms):
                break
            reply += bytes(socket.readAll().data())
        reply += bytes(socket.readAll().data())  # what came with the disconnect
        socket.abort()
        return reply == _DONE

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._lock.unlock()
