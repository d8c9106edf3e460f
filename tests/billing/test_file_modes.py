"""Files at rest are the server user's alone: the SQLite database and its WAL/SHM 0600,
the data and blob directories 0700 — when new (under the usual umask 022), and
tightened at start-up when an older install left them looser."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from billing.api.app import create_app
from billing.clock import ManualClock
from billing.db.session import sqlite_url
from tests.billing.support import START, backend_settings


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _start(data_dir: Path) -> None:
    """Start the server's app on ``data_dir``, write once (so the WAL exists), stop it."""
    app = create_app(
        backend_settings(data_dir, sqlite_url(data_dir)), ManualClock(START), migrate=True
    )
    with app.state.engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
        connection.execute(text("INSERT INTO probe VALUES (1)"))
        modes = {name: _mode(data_dir / name) for name in _database_files()}
        assert modes == dict.fromkeys(_database_files(), 0o600)  # WAL and SHM while open
    app.state.blobs.put("milestones/7/1/abc", b"handed in")
    app.state.engine.dispose()


def _database_files() -> list[str]:
    return ["billing.sqlite3", "billing.sqlite3-wal", "billing.sqlite3-shm"]


def test_a_new_install_is_private(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _start(data)
    assert _mode(data) == 0o700 and _mode(data / "billing.sqlite3") == 0o600
    blobs = data / "blobs"
    for directory in ("", "milestones", "milestones/7", "milestones/7/1"):
        assert _mode(blobs / directory) == 0o700, directory
    assert _mode(blobs / "milestones/7/1/abc") == 0o600


def test_looser_modes_are_tightened_at_start_up(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _start(data)
    loose = [data / "billing.sqlite3", data / "blobs/milestones/7", data / "blobs", data]
    for path in loose:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    _start(data)
    assert [_mode(path) for path in loose] == [0o600, 0o700, 0o700, 0o700]
