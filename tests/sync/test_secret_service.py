"""The token goes into a real Secret Service: Debian's gnome-keyring-daemon, started
unlocked on a private D-Bus session bus. And the fallback file warns once per install."""

from __future__ import annotations

import base64
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import keyring.backends.fail
import keyring.backends.SecretService
import pytest
import secretstorage

from sync.credentials import Credentials, CredentialStore, SecretBackend
from sync.shot_key_store import KEY_NAME, ShotKeyStore
from tests.support.session_bus import private_session_bus

URL = "https://billing.example.test"


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """gnome-keyring-daemon (secrets only) on a private bus, its login keyring made and
    unlocked with a password on stdin (an empty one makes none); yields the environment
    that reaches it (also set for this process)."""
    binary = shutil.which("gnome-keyring-daemon")
    if binary is None:
        pytest.fail("gnome-keyring-daemon is not installed: ./dev test installs it")
    with private_session_bus() as address:
        home = tmp_path / "home"
        runtime = tmp_path / "run"
        runtime.mkdir(mode=0o700)
        env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=address, HOME=str(home),
                   XDG_RUNTIME_DIR=str(runtime), XDG_DATA_HOME=str(home / ".local" / "share"))
        # the password must already be in the pipe: the daemon does not wait for it
        password_read, password_write = os.pipe()
        os.write(password_write, b"workdiary-test")
        os.close(password_write)
        daemon = subprocess.Popen(
            [binary, "--foreground", "--unlock", "--components=secrets"], env=env,
            stdin=password_read, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(password_read)
        try:
            for name, value in env.items():
                if name != "HOME":
                    monkeypatch.setenv(name, value)
            _wait_until_viable(Path(env["XDG_DATA_HOME"]) / "keyrings" / "login.keyring")
            yield env
        finally:
            daemon.terminate()
            daemon.wait(timeout=10)


def _wait_until_viable(login_keyring: Path, timeout: float = 15) -> None:
    """Until the daemon has written the login keyring, then made it the unlocked default
    collection. No D-Bus call before the file exists: a call that comes before the
    daemon has read the password left it, in some runs here, with no default alias."""
    deadline = time.monotonic() + timeout
    while not login_keyring.exists() or not _default_collection_unlocked():
        if time.monotonic() > deadline:
            raise AssertionError("the Secret Service did not come up on the private bus")
        time.sleep(0.2)


def _default_collection_unlocked() -> bool:
    if keyring.backends.SecretService.Keyring.priority <= 0:
        return False
    try:
        with closing(secretstorage.dbus_init()) as connection:
            # the "default" alias only; unlike get_default_collection this creates nothing
            return not secretstorage.Collection(connection).is_locked()
    except secretstorage.exceptions.SecretStorageException:
        return False


def _secret_service_backend() -> SecretBackend:
    return keyring.backends.SecretService.Keyring()  # type: ignore[no-untyped-call]


def _fail_backend() -> SecretBackend:
    return keyring.backends.fail.Keyring()  # type: ignore[no-untyped-call]


def _lookup(env: dict[str, str], username: str) -> str:
    """Ask the Secret Service directly, with libsecret's own tool (not our code)."""
    done = subprocess.run(["secret-tool", "lookup", "service", "Workdiary",
                           "username", username], env=env, capture_output=True,
                          text=True, timeout=15)
    return done.stdout


@pytest.mark.slow
def test_the_token_is_stored_in_the_secret_service_not_in_the_file(
    tmp_path: Path, secret_service: dict[str, str]
) -> None:
    store = CredentialStore(_secret_service_backend(), tmp_path / "config")
    store.save(Credentials(URL, "f@demo.test", "tok-in-the-keyring"))
    assert not store.fallback_path.exists()
    assert '"token": "tok-in-the-keyring"' in _lookup(secret_service, URL)
    again = CredentialStore(_secret_service_backend(), tmp_path / "config")
    assert again.load(URL) == Credentials(URL, "f@demo.test", "tok-in-the-keyring")
    again.forget(URL)
    assert _lookup(secret_service, URL) == ""


@pytest.mark.slow
def test_the_shot_key_is_stored_in_the_secret_service_not_in_a_file(
    tmp_path: Path, secret_service: dict[str, str]
) -> None:
    keys = ShotKeyStore(tmp_path / "config", _secret_service_backend()).load_or_create()
    assert not (tmp_path / "config").exists()
    stored = _lookup(secret_service, KEY_NAME)
    assert base64.b64decode(stored) == keys.sealing
    again = ShotKeyStore(tmp_path / "config", _secret_service_backend()).load_or_create()
    assert again == keys  # the next start opens the same shots


def test_the_fallback_warns_once_per_install_not_at_every_sign_in(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "config"
    warnings: list[int] = []
    for run in range(3):  # three runs of the app, each signing in
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="sync.credentials"):
            store = CredentialStore(_fail_backend(), config)
            store.save(Credentials(URL, "f@demo.test", f"tok-{run}"))
            assert store.load(URL) == Credentials(URL, "f@demo.test", f"tok-{run}")
        notes = [r for r in caplog.records if "no OS keyring" in r.message]
        assert len(notes) == 1  # said, at some level, once per run
        warnings += [r.levelno for r in notes if r.levelno >= logging.WARNING]
    assert warnings == [logging.WARNING]
