"""Fixtures for sync tests: a real server process, a tracker store, a manual clock.

One server per test session (per xdist worker): starting one costs seconds. Tests do
not share users or contracts (each seeds its own) and each sets the server's clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync.backend import Backend, running_backend
from tracker.clock import utc

# The test week: Monday 16 November 2026. The server's clock is set per test.
WEEK = utc(2026, 11, 16)


@pytest.fixture(scope="session")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    with running_backend(tmp_path_factory.mktemp("server") / "data", WEEK) as server:
        yield server


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "tracker"
