"""The shot key: one random 256-bit key per install, in the OS keyring, else a 0600 file
in the config dir; never replaced while a copy of it exists."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import keyring.backends.fail
import keyring.errors
import pytest

from sync.credentials import SERVICE
from sync.shot_key_store import KEY_NAME, ShotKeyStore, ShotKeyUnavailable
from tests.sync.test_credentials import MemoryKeyring
from tracker.shot_seal import KEY_BYTES


class LockedKeyring(MemoryKeyring):
    """A keyring that refuses every call, as a locked one can (then opens again)."""

    def __init__(self) -> None:
        super().__init__()
        self.locked = True

    def get_password(self, service: str, username: str) -> str | None:
        if self.locked:
            raise keyring.errors.KeyringLocked("locked")
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.locked:
            raise keyring.errors.KeyringLocked("locked")
        super().set_password(service, username, password)


def test_the_key_is_made_once_and_kept_in_the_keyring(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    first = ShotKeyStore(tmp_path / "config", backend).load_or_create()
    assert len(first.sealing) == KEY_BYTES and first.also_opening == ()
    assert (SERVICE, KEY_NAME) in backend.secrets
    assert not (tmp_path / "config").exists()  # no file when the keyring works
    assert ShotKeyStore(tmp_path / "config", backend).load_or_create() == first
    assert ShotKeyStore(tmp_path / "other", MemoryKeyring()).load_or_create() != first


def test_headless_the_key_is_a_0600_file_and_the_log_says_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "config"
    with caplog.at_level(logging.INFO, logger="sync.shot_key_store"):
        first = ShotKeyStore(config, keyring.backends.fail.Keyring()).load_or_create()
        again = ShotKeyStore(config, keyring.backends.fail.Keyring()).load_or_create()
    assert again == first
    path = config / "shot-key.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(config.stat().st_mode) == 0o700
    assert "shot_key" in json.loads(path.read_text())
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and str(path) in warnings[0].getMessage()


def test_a_key_kept_while_the_keyring_was_locked_moves_into_it(tmp_path: Path) -> None:
    backend = LockedKeyring()
    while_locked = ShotKeyStore(tmp_path, backend).load_or_create()
    assert (tmp_path / "shot-key.json").exists()
    backend.locked = False
    unlocked = ShotKeyStore(tmp_path, backend).load_or_create()
    assert unlocked == while_locked  # the same key: shots sealed meanwhile still open
    assert (SERVICE, KEY_NAME) in backend.secrets
    assert not (tmp_path / "shot-key.json").exists()


def test_a_file_key_beside_another_keyring_key_still_opens_its_shots(tmp_path: Path) -> None:
    backend = LockedKeyring()
    backend.locked = False
    in_keyring = ShotKeyStore(tmp_path / "a", backend).load_or_create()
    backend.locked = True
    in_file = ShotKeyStore(tmp_path, backend).load_or_create()  # keyring locked at log-in
    backend.locked = False
    both = ShotKeyStore(tmp_path, backend).load_or_create()
    assert both.sealing == in_keyring.sealing
    assert both.also_opening == (in_file.sealing,)
    assert (tmp_path / "shot-key.json").exists()


def test_an_unreadable_key_is_never_replaced(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    backend.secrets[(SERVICE, KEY_NAME)] = "not base64!"
    with pytest.raises(ShotKeyUnavailable, match="unreadable"):
        ShotKeyStore(tmp_path, backend).load_or_create()
    assert backend.secrets[(SERVICE, KEY_NAME)] == "not base64!"
    (tmp_path / "shot-key.json").write_text('{"shot_key": "c2hvcnQ="}')
    (tmp_path / "shot-key.json").chmod(0o600)
    with pytest.raises(ShotKeyUnavailable, match="does not hold a readable shot key"):
        ShotKeyStore(tmp_path, keyring.backends.fail.Keyring()).load_or_create()


def test_a_key_that_can_be_kept_nowhere_is_unavailable(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    with pytest.raises(ShotKeyUnavailable, match="cannot keep the shot key"):
        ShotKeyStore(blocked / "config", keyring.backends.fail.Keyring()).load_or_create()
