"""Storage on SQLite and PostgreSQL: the migrations match the models, and racing uploads
of one slot stay consistent."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import billing.db.models as models
from billing.db.models import Base
from tests.billing.support import Backend
from tests.support.db import migrated_engine
from tracker.clock import utc

MONDAY = utc(2026, 11, 2)
MY_TABLES = {
    value.__tablename__
    for value in vars(models).values()
    if isinstance(value, type) and issubclass(value, Base) and value is not Base
}


def test_the_migrations_build_exactly_the_models(database_url: str) -> None:
    engine = migrated_engine(database_url)
    try:
        with engine.connect() as connection:
            diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()

    def table_of(diff: object) -> str | None:
        first = diff[0] if isinstance(diff, list) else diff
        for part in first:  # type: ignore[union-attr]
            name = getattr(part, "name", None) if not isinstance(part, str) else None
            table = getattr(part, "table", None)
            if table is not None:
                return str(table.name)
            if hasattr(part, "columns") and name:
                return str(name)
        return None

    mine = [diff for diff in diffs if table_of(diff) in MY_TABLES or table_of(diff) is None]
    assert mine == []


def test_racing_uploads_of_one_slot_store_it_once(backend: Backend) -> None:
    client, freelancer = backend.user("client"), backend.user("freelancer")
    contract = backend.hourly(client, freelancer)
    backend.clock.set(utc(2026, 11, 4, 12))
    start = threading.Barrier(4)

    def upload(_: int) -> int:
        start.wait()
        return int(backend.put_slot(freelancer, contract, utc(2026, 11, 3, 9), 10).status_code)

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(upload, range(4)))
    assert statuses == [200, 200, 200, 201]
    info = backend.request("GET", f"/contracts/{contract}", freelancer).json()
    assert info["week_logged_minutes"] == 10
