"""Fresh databases for backend tests: a SQLite file or a real PostgreSQL database.

- ``fresh_database_url(kind, tmp_dir)`` – a context manager yielding a new, empty
  database URL; for ``"postgresql"`` it creates ``wd_test_<random>`` on 127.0.0.1:5432
  and drops it afterwards (safe under pytest-xdist: names are unique).
- ``database_url`` – a pytest fixture parametrised over ``sqlite`` and ``postgresql``
  (the latter marked ``postgres``). Register it in a conftest with
  ``from tests.support.db import database_url  # noqa: F401``.
- ``migrated_engine(url)`` – an engine on ``url`` migrated to the latest revision.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from billing.db.migrate import upgrade
from billing.db.pg_reflection import ignore_partition_fk_clones
from billing.db.session import make_engine

ignore_partition_fk_clones()  # schema comparisons: see billing.db.pg_reflection

POSTGRES_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
KINDS = ("sqlite", "postgresql")


@contextmanager
def fresh_database_url(kind: str, tmp_dir: Path) -> Iterator[str]:
    """A new empty database of ``kind`` ("sqlite" or "postgresql"), removed afterwards."""
    if kind == "sqlite":
        path = tmp_dir / f"billing-{uuid.uuid4().hex[:8]}.sqlite3"
        yield f"sqlite:///{path}"
        return
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}")
    name = f"wd_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.format(name=name)
    finally:
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrated_engine(url: str) -> Engine:
    """An engine on ``url`` at the latest migration (cheap SQLite sync for tests)."""
    engine = make_engine(url, sqlite_synchronous="NORMAL")
    upgrade(engine)
    return engine


@pytest.fixture(
    params=[
        pytest.param(kind, marks=[pytest.mark.postgres] if kind == "postgresql" else [])
        for kind in KINDS
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database URL: once on SQLite, once on PostgreSQL."""
    with fresh_database_url(request.param, tmp_path) as url:
        yield url
