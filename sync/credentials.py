"""Where the bearer token lives between runs: the OS keyring, or a 0600 file.

On a desktop the token goes into the OS keyring (Secret Service, macOS Keychain,
Windows Credential Locker) through ``keyring``. A headless Linux box has no keyring
backend — ``keyring`` then hands out its *fail* backend, which raises on every call — so
the token goes into a file only the user can read in the user config dir, and the log
says so clearly, once per install: a marker file beside it remembers that the warning
was given, and later runs only note it at INFO.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from sync.secret_backend import SecretBackend as SecretBackend
from sync.secret_backend import SecretNotFound, SecretStoreError, secret_store

log = logging.getLogger(__name__)

SERVICE = "Workdiary"
TOKEN_FILE_NAME = "credentials.json"
# present once the "no OS keyring" warning was logged for this config dir
WARNED_MARKER_NAME = "credentials.fallback-warned"


@dataclass(frozen=True)
class Credentials:
    server_url: str
    email: str
    token: str


def default_config_dir() -> Path:
    return Path(platformdirs.user_config_dir("Workdiary"))


class CredentialStore:
    """Keeps one token per server URL; keyring first, a 0600 file when there is none."""

    def __init__(
        self, backend: SecretBackend | None = None, config_dir: Path | None = None
    ) -> None:
        self.backend = secret_store(backend)
        self._config_dir = config_dir if config_dir is not None else default_config_dir()
        self._warned = False

    @property
    def fallback_path(self) -> Path:
        return self._config_dir / TOKEN_FILE_NAME

    def save(self, credentials: Credentials) -> None:
        secret = json.dumps({"email": credentials.email, "token": credentials.token})
        try:
            self.backend.set_password(SERVICE, credentials.server_url, secret)
        except SecretStoreError as error:
            self.warn_fallback(error)
            entries = self._read_file()
            entries[credentials.server_url] = {
                "email": credentials.email,
                "token": credentials.token,
            }
            self._write_file(entries)
            return
        # a token that made it into the keyring must not linger in an old fallback file
        self._drop_from_file(credentials.server_url)

    def load(self, server_url: str) -> Credentials | None:
        try:
            secret = self.backend.get_password(SERVICE, server_url)
        except SecretStoreError as error:
            self.warn_fallback(error)
            entry = self._read_file().get(server_url)
            return _credentials(server_url, entry)
        if secret is None:
            # maybe saved while the keyring was unavailable (e.g. locked at log-in)
            return _credentials(server_url, self._read_file().get(server_url))
        try:
            return _credentials(server_url, json.loads(secret))
        except ValueError:
            log.error("the token for %s in the OS keyring is unreadable; sign in again", server_url)
            return None

    def forget(self, server_url: str) -> None:
        try:
            self.backend.delete_password(SERVICE, server_url)
        except SecretNotFound:
            pass  # nothing stored there
        except SecretStoreError as error:
            self.warn_fallback(error)
        self._drop_from_file(server_url)

    # --- the fallback file ---------------------------------------------------------

    def warn_fallback(self, error: SecretStoreError) -> None:
        """Say once per install that secrets go to 0600 files (the device key too)."""
        if self._warned:
            return
        self._warned = True
        warn_once_per_install(self._config_dir / WARNED_MARKER_NAME, error,
                              "the sign-in token", self.fallback_path)

    def _read_file(self) -> dict[str, dict[str, str]]:
        path = self.fallback_path
        text = read_private_file(path)
        if text is None:
            return {}
        try:
            data = json.loads(text)
        except ValueError:
            log.error("%s is not valid JSON; ignoring it (sign in again)", path)
            return {}
        if not isinstance(data, dict):
            log.error("%s does not hold a credentials object; ignoring it", path)
            return {}
        return {key: value for key, value in data.items() if isinstance(value, dict)}

    def _write_file(self, entries: dict[str, dict[str, str]]) -> None:
        write_private_file(self.fallback_path, json.dumps(entries, indent=1))

    def _drop_from_file(self, server_url: str) -> None:
        entries = self._read_file()
        if server_url in entries:
            del entries[server_url]
            if entries:
                self._write_file(entries)
            else:
                self.fallback_path.unlink(missing_ok=True)


def warn_once_per_install(marker: Path, error: SecretStoreError, what: str,
                          path: Path) -> None:
    """Log that ``what`` is kept in the 0600 file ``path`` for want of a keyring: a
    warning the first time on this install (``marker`` records it), then an info line."""
    level = logging.INFO if marker.exists() else logging.WARNING
    log.log(level, "no OS keyring is available (%s); %s is kept in %s, readable only by "
            "you (mode 0600)", error.kind, what, path)
    if level == logging.WARNING:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            marker.touch()
        except OSError as marker_error:  # warn again next time rather than fail
            log.info("cannot record the keyring warning: %s", marker_error)


def read_private_file(path: Path) -> str | None:
    """A secret's fallback file (None: there is none), made 0600 again if it was looser."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        return None
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o); restricting it to 0600", path, mode)
        path.chmod(0o600)
    return path.read_text(encoding="utf-8")


def write_private_file(path: Path, text: str) -> None:
    """Replace a secret's fallback file atomically; readable by the user only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    # created 0600 from the first byte: never a moment where others could read it
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


def _credentials(server_url: str, entry: object) -> Credentials | None:
    if not isinstance(entry, dict):
        return None
    email, token = entry.get("email"), entry.get("token")
    if isinstance(email, str) and isinstance(token, str) and token:
        return Credentials(server_url=server_url, email=email, token=token)
    return None
