"""Where the key that seals shot files lives: the OS keyring, or a 0600 file.

One random 256-bit key per install (:mod:`tracker.shot_seal` uses it). Like the sign-in
token (:mod:`sync.credentials`), it goes into the OS keyring, and where there is none
(``keyring``'s *fail* backend on a headless box) into ``shot-key.json`` (0600, in a
0700 dir) in the app's config dir — never beside the shot files it opens. The log says
so once per install.

A key kept in the file while the keyring was away (locked at log-in, say) moves into
the keyring when it is back. If the keyring already holds another key by then, both are
kept: new files are sealed with the keyring's, files sealed with the other still open.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from pathlib import Path

from sync.credentials import SERVICE, SecretBackend, warn_once_per_install
from sync.secret_backend import SecretStoreError, secret_store
from tracker.shot_seal import KEY_BYTES, ShotKeys

log = logging.getLogger(__name__)

KEY_NAME = "shot-key"  # the keyring entry's user name under SERVICE
KEY_FILE_NAME = "shot-key.json"
WARNED_MARKER_NAME = "shot-key.fallback-warned"


class ShotKeyUnavailable(Exception):
    """No key could be read or kept anywhere; shots cannot be saved."""


class ShotKeyStore:
    """Loads the install's shot key, making one at the first start."""

    def __init__(self, config_dir: Path, backend: SecretBackend | None = None) -> None:
        self._backend = secret_store(backend)
        self._config_dir = config_dir

    @property
    def fallback_path(self) -> Path:
        return self._config_dir / KEY_FILE_NAME

    def load_or_create(self) -> ShotKeys:
        """The keys to seal and open shot files with. Raises :class:`ShotKeyUnavailable`
        when a new key could be kept neither in the keyring nor in the file."""
        in_file = self._read_file()
        try:
            in_keyring = self._read_keyring()
        except SecretStoreError as error:
            self._warn_fallback(error)
            return ShotKeys(in_file if in_file is not None else self._new_file_key())
        if in_keyring is None:
            key = in_file if in_file is not None else os.urandom(KEY_BYTES)
            try:
                self._backend.set_password(SERVICE, KEY_NAME, _text(key))
            except SecretStoreError as error:
                self._warn_fallback(error)
                if in_file is None:
                    self._write_file(key)
                return ShotKeys(key)
            self._drop_file()  # it is in the keyring now
            return ShotKeys(key)
        if in_file is not None and in_file != in_keyring:
            log.info("%s holds an older shot key; it is kept to open the shots it sealed",
                     self.fallback_path)
            return ShotKeys(in_keyring, (in_file,))
        self._drop_file()
        return ShotKeys(in_keyring)

    def _read_keyring(self) -> bytes | None:
        secret = self._backend.get_password(SERVICE, KEY_NAME)
        if secret is None:
            return None
        key = _key(secret)
        if key is None:
            # never replaced by a new one: shots sealed with it would be lost for good
            raise ShotKeyUnavailable(f"the shot key in the OS keyring ({SERVICE}/{KEY_NAME}) "
                                     "is unreadable")
        return key

    def _new_file_key(self) -> bytes:
        key = os.urandom(KEY_BYTES)
        self._write_file(key)
        return key

    # --- the fallback file ---------------------------------------------------------

    def _warn_fallback(self, error: SecretStoreError) -> None:
        warn_once_per_install(self._config_dir / WARNED_MARKER_NAME, error,
                              "the key that encrypts your screenshots", self.fallback_path)

    def _read_file(self) -> bytes | None:
        path = self.fallback_path
        try:
            mode = path.stat().st_mode & 0o777
        except (FileNotFoundError, NotADirectoryError):
            return None
        if mode & 0o077:
            log.warning("%s was readable by others (mode %o); restricting it to 0600", path, mode)
            path.chmod(0o600)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            data = None
        except OSError as error:
            raise ShotKeyUnavailable(f"cannot read {path}: {error}") from error
        key = _key(data.get("shot_key")) if isinstance(data, dict) else None
        if key is None:
            raise ShotKeyUnavailable(f"{path} does not hold a readable shot key")
        return key

    def _drop_file(self) -> None:
        try:
            self.fallback_path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            pass
        except OSError as error:  # the key is safe in the keyring; say the copy lingers
            log.warning("cannot remove %s (the key is in the OS keyring now): %s",
                        self.fallback_path, error)

    def _write_file(self, key: bytes) -> None:
        try:
            self._config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.fallback_path
            temporary = path.with_name(path.name + ".tmp")
            # created 0600 from the first byte: never a moment where others could read it
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.fchmod(fd, 0o600)
                os.write(fd, json.dumps({"shot_key": _text(key)}).encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, path)
        except OSError as error:
            raise ShotKeyUnavailable(f"cannot keep the shot key in {self.fallback_path}: "
                                     f"{error}") from error


def _text(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def _key(text: object) -> bytes | None:
    if not isinstance(text, str):
        return None
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    return key if len(key) == KEY_BYTES else None
