"""The OS keyring as the app reaches it: through a short-lived helper process by default.

``keyring`` and what it loads (jaraco, more_itertools, backports.tarfile, on a Linux
desktop secretstorage with ``cryptography``) cost the tray app 3.5–10 MiB it would hold
for its whole run to read three secrets at start and write one at sign-in (issue 13).
So the app asks a helper (:mod:`sync.keyring_child`): started at the first request,
it answers one JSON line per request and is told to exit once the app has asked nothing
for ``IDLE_S``. Requests are get, set and delete of one entry: repeating one after a
helper died mid-way does no harm, so a request whose helper is gone is sent once more to
a new one.

A backend given by the caller (the tests' in-memory and Secret Service backends) is used
in this process instead. Either way the stores see one kind of error: ``keyring``'s are
translated here, so nothing outside this module and the helper imports ``keyring``.
"""

from __future__ import annotations

import json
import logging
import select
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import IO, Protocol

from sync.helper_process import KEYRING_FLAG, helper_command, let_go, start_helper

log = logging.getLogger(__name__)

IDLE_S = 10.0
# an unlock prompt of the Secret Service waits for the user; past this we give up
ANSWER_TIMEOUT_S = 120.0


class SecretBackend(Protocol):
    """The part of a ``keyring`` backend we use (``keyring.get_keyring()`` fits). The
    stores are given one that raises :class:`SecretStoreError` (see :func:`secret_store`)."""

    def get_password(self, service: str, username: str) -> str | None: ...

    def set_password(self, service: str, username: str, password: str) -> None: ...

    def delete_password(self, service: str, username: str) -> None: ...


class SecretStoreError(Exception):
    """The keyring could not do it; ``kind`` names the keyring's error (``NoKeyringError``,
    ``KeyringLocked`` …) for the log."""

    def __init__(self, kind: str, message: str = "") -> None:
        super().__init__(f"{kind}: {message}" if message else kind)
        self.kind = kind


class SecretNotFound(SecretStoreError):
    """A delete found nothing stored under that name."""


def secret_store(backend: SecretBackend | None) -> SecretBackend:
    """What a store talks to: ``backend`` in this process, or by default the helper."""
    if backend is None:
        return _default_helper()
    if isinstance(backend, HelperKeyring | InProcessKeyring):
        return backend
    return InProcessKeyring(backend)


@cache
def _default_helper() -> HelperKeyring:
    return HelperKeyring()


class InProcessKeyring:
    """A ``keyring`` backend object, its errors turned into ours."""

    def __init__(self, backend: SecretBackend) -> None:
        self.backend = backend

    def get_password(self, service: str, username: str) -> str | None:
        with _translated():
            return self.backend.get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        with _translated():
            self.backend.set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        with _translated():
            self.backend.delete_password(service, username)


@contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        import keyring.errors  # loaded already: the caller's backend is a keyring one

        if isinstance(error, keyring.errors.PasswordDeleteError):
            raise SecretNotFound(type(error).__name__, str(error)) from error
        if isinstance(error, keyring.errors.KeyringError):
            raise SecretStoreError(type(error).__name__, str(error)) from error
        raise


class HelperKeyring:
    """The keyring in a helper process; safe to call from several threads."""

    def __init__(self, command: Sequence[str] | None = None, idle_s: float = IDLE_S,
                 answer_timeout_s: float = ANSWER_TIMEOUT_S) -> None:
        self._command = (list(command) if command is not None
                         else helper_command("sync.keyring_child", KEYRING_FLAG))
        self._idle_s = idle_s
        self._answer_timeout_s = answer_timeout_s
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._idle_timer: threading.Timer | None = None
        self.started = 0  # helpers started so far (the tests count them)

    def get_password(self, service: str, username: str) -> str | None:
        value = self._ask({"op": "get", "service": service, "username": username})
        return value if isinstance(value, str) else None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._ask({"op": "set", "service": service, "username": username,
                   "password": password})

    def delete_password(self, service: str, username: str) -> None:
        self._ask({"op": "delete", "service": service, "username": username})

    def close(self) -> None:
        """Let the helper go now (it would after ``idle_s``)."""
        with self._lock:
            self._stop_helper()

    def _ask(self, request: dict[str, str]) -> object:
        line = json.dumps(request).encode() + b"\n"
        with self._lock:
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            try:
                for _attempt in range(2):  # a helper that exited as we asked: once more
                    reply = self._exchange(line)
                    if reply is not None:
                        return _answer(reply)
                    self._stop_helper()
                raise SecretStoreError("KeyringHelperFailed",
                                       "the keyring helper exited without answering")
            finally:
                self._idle_timer = threading.Timer(self._idle_s, self.close)
                self._idle_timer.daemon = True
                self._idle_timer.start()

    def _exchange(self, line: bytes) -> dict[str, object] | None:
        process = self._running()
        stdin, stdout = _pipes(process)
        try:
            stdin.write(line)
            stdin.flush()
        except OSError:
            return None
        ready, _w, _x = select.select([stdout], [], [], self._answer_timeout_s)
        if not ready:
            self._stop_helper(kill=True)
            raise SecretStoreError("KeyringTimeout", f"the keyring did not answer in "
                                   f"{self._answer_timeout_s:.0f} s")
        answer = stdout.readline()
        if not answer:
            return None
        try:
            reply = json.loads(answer)
        except ValueError:
            return None
        return reply if isinstance(reply, dict) else None

    def _running(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._stop_helper()  # one that died: its pipes closed, it reaped
        try:
            self._process = start_helper(self._command)
        except OSError as error:
            raise SecretStoreError("KeyringHelperFailed",
                                   f"the keyring helper could not start: {error}") from error
        self.started += 1
        return self._process

    def _stop_helper(self, kill: bool = False) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        let_go(process, kill)
        if process.stdout is not None:
            process.stdout.close()


def _pipes(process: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    assert process.stdin is not None and process.stdout is not None  # both PIPE
    return process.stdin, process.stdout


def _answer(reply: dict[str, object]) -> object:
    if reply.get("ok") is True:
        return reply.get("value")
    kind, message = str(reply.get("kind", "KeyringError")), str(reply.get("message", ""))
    if reply.get("error") == "not-found":
        raise SecretNotFound(kind, message)
    raise SecretStoreError(kind, message)
