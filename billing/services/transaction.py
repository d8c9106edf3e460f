"""The one place a service's work is committed (or rolled back)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session


@contextmanager
def committed(session: Session) -> Iterator[Session]:
    """Run the block as one transaction on ``session``: commit if it ends normally,
    roll back if it raises (so the caller's session is clean for the next request)."""
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()
