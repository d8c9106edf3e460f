"""Token storage: the OS keyring when there is one, a 0600 file when there is none."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import keyring.backends.fail
import keyring.errors
import pytest

from sync.credentials import SERVICE, Credentials, CredentialStore

URL = "http://127.0.0.1:9"


class MemoryKeyring:
    """An OS keyring stand-in that keeps secrets in a dict (the real one needs a desktop)."""

    def __init__(self) -> None:
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.secrets:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.secrets[(service, username)]


def test_token_goes_to_the_keyring_and_no_file_is_written(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    store = CredentialStore(backend, tmp_path / "config")
    store.save(Credentials(URL, "f@demo.test", "tok-1"))
    assert (SERVICE, URL) in backend.secrets
    assert not (tmp_path / "config").exists()
    assert store.load(URL) == Credentials(URL, "f@demo.test", "tok-1")
    store.forget(URL)
    assert store.load(URL) is None
    assert backend.secrets == {}


def test_headless_fallback_is_a_0600_file_and_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # keyring's own fail backend: what keyring.get_keyring() returns on a headless box
    store = CredentialStore(keyring.backends.fail.Keyring(), tmp_path / "config")
    with caplog.at_level(logging.WARNING, logger="sync.credentials"):
        store.save(Credentials(URL, "f@demo.test", "tok-2"))
    path = tmp_path / "config" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text())[URL]["token"] == "tok-2"
    assert any("no OS keyring" in r.message and str(path) in r.message for r in caplog.records)
    # a new process (new store object) reads it back
    again = CredentialStore(keyring.backends.fail.Keyring(), tmp_path / "config")
    assert again.load(URL) == Credentials(URL, "f@demo.test", "tok-2")
    again.forget(URL)
    assert again.load(URL) is None
    assert not path.exists()


def test_the_default_backend_here_is_the_fail_backend_and_still_works(tmp_path: Path) -> None:
    store = CredentialStore(config_dir=tmp_path / "cfg")  # keyring.get_keyring()
    store.save(Credentials(URL, "f@demo.test", "tok-3"))
    assert store.load(URL) is not None
    store.forget(URL)
    assert store.load(URL) is None


def test_a_fallback_file_opened_up_by_someone_is_restricted_again(tmp_path: Path) -> None:
    store = CredentialStore(keyring.backends.fail.Keyring(), tmp_path)
    store.save(Credentials(URL, "f@demo.test", "tok-4"))
    store.fallback_path.chmod(0o644)
    assert store.load(URL) is not None
    assert stat.S_IMODE(store.fallback_path.stat().st_mode) == 0o600


def test_a_corrupt_fallback_file_is_reported_not_fatal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = CredentialStore(keyring.backends.fail.Keyring(), tmp_path)
    store.fallback_path.write_text("{not json")
    store.fallback_path.chmod(0o600)
    with caplog.at_level(logging.ERROR, logger="sync.credentials"):
        assert store.load(URL) is None
    assert any("not valid JSON" in r.message for r in caplog.records)


def test_saving_into_the_keyring_removes_an_older_fallback_copy(tmp_path: Path) -> None:
    CredentialStore(keyring.backends.fail.Keyring(), tmp_path).save(
        Credentials(URL, "f@demo.test", "old")
    )
    store = CredentialStore(MemoryKeyring(), tmp_path)
    store.save(Credentials(URL, "f@demo.test", "new"))
    assert not store.fallback_path.exists()
    assert store.load(URL) == Credentials(URL, "f@demo.test", "new")
