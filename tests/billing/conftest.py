"""Fixtures of the backend tests.

- ``database_url``: a fresh database, parametrised over SQLite and PostgreSQL;
- ``backend``: the app built by ``create_app`` on that database with a ManualClock,
  driven in-process through ``TestClient`` (see :class:`tests.billing.support.Backend`);
- ``module_backend``: one SQLite backend shared by a module's tests (each makes its own
  users and moves the clock only forward from where it is), to pay start-up once.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.billing.support import Backend, make_backend
from tests.support.db import database_url  # noqa: F401  (fixture)


@pytest.fixture
def backend(database_url: str, tmp_path: Path) -> Iterator[Backend]:  # noqa: F811
    with make_backend(database_url, tmp_path) as built:
        yield built


@pytest.fixture
def sqlite_backend(tmp_path: Path) -> Iterator[Backend]:
    with make_backend(f"sqlite:///{tmp_path / 'billing.sqlite3'}", tmp_path) as built:
        yield built


@pytest.fixture(scope="module")
def module_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    tmp_path = tmp_path_factory.mktemp("backend")
    with make_backend(f"sqlite:///{tmp_path / 'billing.sqlite3'}", tmp_path) as built:
        yield built
