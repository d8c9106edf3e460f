"""Benchmark: the week close (and the rest of the week's jobs) for many hourly contracts.

For 1k / 10k / 100k contracts with 40 h logged each, on PostgreSQL and SQLite, time
``run_jobs`` at Monday 00:00 (close: one draft invoice per contract), at Monday 12:00
(lock), Saturday 00:00 (finalize: number, charge, credit) and Wednesday (available), and
print the time per step and per contract.

Set-up writes what the jobs read — users, contracts, caps and the per-week totals that
ingest keeps (``contract_weeks``) — in bulk. The close reads those totals, not the slots,
so its cost does not depend on how many slots a week holds.

    .venv/bin/python bench/close_week.py [--sizes 1000,10000,100000] [--backends postgresql,sqlite]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from billing.config import Settings
from billing.db.models import Contract, ContractCap, ContractWeek, Invoice, User
from billing.db.session import make_session_factory, unit_of_work
from billing.jobs import run_jobs
from tests.support.db import fresh_database_url, migrated_engine
from timekeeping.clock import utc

WEEK = utc(2026, 11, 2)
STEPS = (
    ("close", utc(2026, 11, 9), "closed"),
    ("lock", utc(2026, 11, 9, 12), "locked"),
    ("finalize", utc(2026, 11, 14), "finalized"),
    ("available", utc(2026, 11, 18), "released"),
)
CHUNK = 5000


def populate(factory: sessionmaker[Session], contracts: int) -> None:
    """``contracts`` hourly contracts, each with a client, a freelancer, a 40 h cap and a
    week just over it, inserted in chunks."""
    for first in range(0, contracts, CHUNK):
        ids = range(first, min(first + CHUNK, contracts))
        with unit_of_work(factory) as session:
            session.execute(insert(User), _users(ids))
            session.execute(insert(Contract), _contracts(ids))
            session.execute(insert(ContractCap), _caps(ids))
            session.execute(insert(ContractWeek), _weeks(ids))


CREATED = WEEK - timedelta(days=30)


def _users(ids: range) -> list[dict[str, object]]:
    def user(user_id: int, role: str, name: str) -> dict[str, object]:
        return {
            "id": user_id,
            "email": f"{name}@bench.test",
            "password_hash": "-",
            "role": role,
            "display_name": name,
            "created_at": CREATED,
        }

    return [user(2 * i + 1, "client", f"c{i}") for i in ids] + [
        user(2 * i + 2, "freelancer", f"f{i}") for i in ids
    ]


def _contracts(ids: range) -> list[dict[str, object]]:
    return [
        {
            "id": i + 1,
            "kind": "hourly",
            "title": f"contract {i}",
            "client_id": 2 * i + 1,
            "freelancer_id": 2 * i + 2,
            "currency": "USD",
            "rate_cents": 2000 + i % 5000,
            "screenshots_enabled": True,
            "blur_screenshots": False,
            "manual_time_allowed": False,
            "created_at": CREATED,
        }
        for i in ids
    ]


def _caps(ids: range) -> list[dict[str, object]]:
    return [
        {
            "contract_id": i + 1,
            "effective_week_start": WEEK - timedelta(weeks=4),
            "cap_minutes": 40 * 60,
            "created_at": CREATED,
        }
        for i in ids
    ]


def _weeks(ids: range) -> list[dict[str, object]]:
    return [
        {
            "contract_id": i + 1,
            "week_start": WEEK,
            "logged_minutes": 40 * 60 + 30,
            "billable_minutes": 40 * 60,
            "closed": False,
        }
        for i in ids
    ]


def populated(engine: Engine, contracts: int) -> tuple[sessionmaker[Session], float]:
    """Sessions over a database holding ``contracts`` contracts, and the seconds it took."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:  # ids are written explicitly
            for table in ("users", "contracts"):
                connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :last)"),
                    {"last": 2 * contracts + 1},
                )
    factory = make_session_factory(engine)
    started = time.perf_counter()
    populate(factory, contracts)
    return factory, time.perf_counter() - started


def bench(kind: str, contracts: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, fresh_database_url(kind, Path(tmp)) as url:
        engine = migrated_engine(url)
        factory, setup = populated(engine, contracts)
        settings = Settings(database_url=url)
        line = [f"{kind:10s} {contracts:>7,d} contracts (set-up {setup:5.1f} s)"]
        for name, instant, key in STEPS:
            started = time.perf_counter()
            report = run_jobs(factory, instant, settings)
            elapsed = time.perf_counter() - started
            assert report[key] == contracts, (name, report)
            line.append(f"{name} {elapsed:6.2f} s = {1e6 * elapsed / contracts:5.0f} µs/contract")
        with unit_of_work(factory) as session:
            total = session.scalar(select(func.sum(Invoice.total_cents)))
            numbers = session.scalar(select(func.max(Invoice.number)))
        assert numbers == contracts and total
        print(" | ".join(line), flush=True)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--backends", default="postgresql,sqlite")
    args = parser.parse_args()
    for kind in args.backends.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            bench(kind, size)


if __name__ == "__main__":
    main()
