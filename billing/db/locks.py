"""Row locks the job steps and services take (PostgreSQL; SQLite serialises writers)."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from billing.db.session import is_postgres

_Query = TypeVar("_Query", bound=Select[Any])


def skip_locked(session: Session, query: _Query) -> _Query:
    """``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so servers running jobs side by side
    each take different rows; unchanged on SQLite (``BEGIN IMMEDIATE`` already queues)."""
    return query.with_for_update(skip_locked=True) if is_postgres(session) else query


def for_update(session: Session, query: _Query) -> _Query:
    """``FOR UPDATE`` on PostgreSQL (wait for the row); unchanged on SQLite."""
    return query.with_for_update() if is_postgres(session) else query
