"""Server settings: where data lives, which database, and the tunable rules.

``Settings.from_env(data_dir)`` is what the CLI uses: ``DATABASE_URL`` selects
PostgreSQL (``postgresql+psycopg://…``), otherwise SQLite in the data directory.
Tests build :class:`Settings` directly (e.g. a cheap argon2 cost).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import platformdirs

from billing.db.session import sqlite_url


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("Workdiary-server"))


@dataclass(frozen=True)
class Settings:
    """Everything the composition root needs to wire the server."""

    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str | None = None  # None → SQLite file in data_dir
    # argon2id cost; production defaults from argon2-cffi, tests lower them
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # a slot may end at most this far after the server's clock (clients' clocks drift)
    future_skew: timedelta = timedelta(minutes=5)
    max_shot_bytes: int = 20 * 1024 * 1024
    platform_fee_basis_points: int = 0
    sqlite_synchronous: str = "FULL"
    # seconds between scheduler runs inside `serve`; 0 disables the scheduler
    jobs_interval_seconds: float = 60.0

    @property
    def url(self) -> str:
        return self.database_url or sqlite_url(self.data_dir)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @classmethod
    def from_env(cls, data_dir: Path | None = None, **overrides: object) -> Settings:
        """Settings from the environment: ``DATABASE_URL``, ``WORKDIARY_SQLITE_SYNCHRONOUS``."""
        values: dict[str, object] = {
            "data_dir": data_dir or default_data_dir(),
            "database_url": os.environ.get("DATABASE_URL") or None,
        }
        if "WORKDIARY_SQLITE_SYNCHRONOUS" in os.environ:
            values["sqlite_synchronous"] = os.environ["WORKDIARY_SQLITE_SYNCHRONOUS"].upper()
        if "WORKDIARY_ARGON2_TIME_COST" in os.environ:
            values["argon2_time_cost"] = int(os.environ["WORKDIARY_ARGON2_TIME_COST"])
        if "WORKDIARY_ARGON2_MEMORY_KIB" in os.environ:
            values["argon2_memory_kib"] = int(os.environ["WORKDIARY_ARGON2_MEMORY_KIB"])
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
