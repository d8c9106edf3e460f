"""Alembic, driven from code: ``upgrade(url)`` brings a database to the latest revision.

The server calls it on start and ``workdiary-server migrate`` calls it explicitly. On
PostgreSQL an advisory lock makes servers starting together migrate one at a time.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ADVISORY_LOCK_ID = 0x57D1A7  # any constant shared by every Workdiary server


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Migrate the database behind ``engine`` to ``revision`` (all heads by default)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _ADVISORY_LOCK_ID})
            connection.commit()
            try:
                command.upgrade(alembic_config(engine), revision)
            finally:
                connection.execute(
                    text("SELECT pg_advisory_unlock(:id)"), {"id": _ADVISORY_LOCK_ID}
                )
                connection.commit()
        return
    command.upgrade(alembic_config(engine), revision)
