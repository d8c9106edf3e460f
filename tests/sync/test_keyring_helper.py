"""The app reaches the OS keyring through a helper process, so neither ``keyring`` nor
what it loads stays in the tray app: against the real Secret Service (gnome-keyring on a
private bus), the fail backend of a headless box, and helpers that die or hang."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync.credentials import Credentials, CredentialStore
from sync.secret_backend import HelperKeyring, SecretStoreError
from sync.shot_key_store import ShotKeyStore
from tests.sync.test_secret_service import _lookup, secret_service  # noqa: F401 - fixture

URL = "https://billing.example.test"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_through_the_helper_secrets_land_in_the_secret_service(
        secret_service: dict[str, str], tmp_path: Path,  # noqa: F811 - the fixture
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.SecretService.Keyring")
    helper = HelperKeyring()
    try:
        store = CredentialStore(helper, tmp_path / "config")
        store.save(Credentials(URL, "f@demo.test", "tok-helper"))
        assert json.loads(_lookup(secret_service, URL))["token"] == "tok-helper"
        assert not store.fallback_path.exists()
        keys = ShotKeyStore(tmp_path / "config", helper).load_or_create()
        assert ShotKeyStore(tmp_path / "config", helper).load_or_create() == keys
        assert CredentialStore(helper, tmp_path / "config").load(URL) == Credentials(
            URL, "f@demo.test", "tok-helper")
        store.forget(URL)
        store.forget(URL)  # nothing there any more: not an error
        assert _lookup(secret_service, URL) == ""
        assert helper.started == 1  # one helper served them all
    finally:
        helper.close()


def test_with_no_keyring_the_helper_says_so_and_the_file_keeps_the_token(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    helper = HelperKeyring()
    try:
        with caplog.at_level(logging.WARNING, logger="sync.credentials"):
            store = CredentialStore(helper, tmp_path / "config")
            store.save(Credentials(URL, "f@demo.test", "tok-file"))
        assert store.fallback_path.exists()
        assert any("no OS keyring is available (NoKeyringError)" in r.getMessage()
                   for r in caplog.records)
        assert CredentialStore(helper, tmp_path / "config").load(URL) is not None
    finally:
        helper.close()


def test_a_helper_that_died_is_replaced_and_the_request_answered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    helper = HelperKeyring()
    store = CredentialStore(helper, tmp_path / "config")
    try:
        store.save(Credentials(URL, "f@demo.test", "tok-1"))
        assert helper._process is not None
        helper._process.kill()
        helper._process.wait()
        assert store.load(URL) == Credentials(URL, "f@demo.test", "tok-1")
        assert helper.started == 2
    finally:
        helper.close()


def test_the_helper_leaves_once_nothing_was_asked_for_a_while(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    helper = HelperKeyring(idle_s=0.3)
    with pytest.raises(SecretStoreError):
        helper.get_password("Workdiary", "x")
    process = helper._process
    assert process is not None
    deadline = time.monotonic() + 20
    while helper._process is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert helper._process is None
    assert process.wait(timeout=10) == 0  # it left at the end of its input


def test_a_helper_that_cannot_answer_is_an_error_the_store_falls_back_from(
        tmp_path: Path) -> None:
    exits_at_once = HelperKeyring([sys.executable, "-c", "pass"])
    with pytest.raises(SecretStoreError, match="exited without answering"):
        exits_at_once.get_password("Workdiary", "x")
    store = CredentialStore(exits_at_once, tmp_path / "config")
    store.save(Credentials(URL, "f@demo.test", "tok-2"))
    assert store.fallback_path.exists()  # kept, not lost

    hangs = HelperKeyring([sys.executable, "-c", "import time; time.sleep(60)"],
                          answer_timeout_s=0.5)
    with pytest.raises(SecretStoreError, match="did not answer"):
        hangs.get_password("Workdiary", "x")
    hangs.close()


def test_the_frozen_entry_point_runs_the_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    request = json.dumps({"op": "get", "service": "Workdiary", "username": "x"})
    done = subprocess.run([sys.executable, "-m", "ui", "--keyring-helper"], cwd=ROOT,
                          input=request + "\n{nonsense\n", capture_output=True, text=True,
                          timeout=60, check=True,
                          env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
                               "PATH": "/usr/bin:/bin"})
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["ok"] is False and first["kind"] == "NoKeyringError"
    assert second == {"ok": False, "error": "keyring", "kind": "BadRequest",
                      "message": "not a JSON object"}
