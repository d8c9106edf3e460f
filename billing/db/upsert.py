"""``INSERT … ON CONFLICT DO NOTHING`` for whichever backend the session is on."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows``, silently skipping those that hit a unique constraint."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    session.execute(module.insert(model).on_conflict_do_nothing(), rows)
