"""Rows of the sign-in throttle: failed sign-ins per subject in a fixed window.

A subject is ``(scope, subject)``: ``("account", e-mail)`` or ``("address", client IP)``.
Every attempt is *reserved* first — one atomic upsert that counts it and returns the
count — and *refunded* if the password was right. So the count is exact across server
processes and concurrent requests: no read-then-write race lets extra guesses through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from billing.db.models import SignInThrottle
from billing.db.types import UTCDateTime


@dataclass(frozen=True)
class Reservation:
    """One attempt counted against one subject: the count so far and its window."""

    scope: str
    subject: str
    failures: int  # including this attempt
    window_start: datetime


def reserve(
    session: Session, scope: str, subject: str, *, now: datetime, window: timedelta
) -> Reservation:
    """Count one attempt for the subject; a window older than ``window`` starts afresh."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    at_now = literal(now, UTCDateTime())
    stale = SignInThrottle.window_start <= literal(now - window, UTCDateTime())
    statement = (
        module.insert(SignInThrottle)
        .values(scope=scope, subject=subject, failures=1, window_start=now)
        .on_conflict_do_update(
            index_elements=[SignInThrottle.scope, SignInThrottle.subject],
            # both expressions read the row as it was before this statement
            set_={
                "failures": case((stale, 1), else_=SignInThrottle.failures + 1),
                "window_start": case((stale, at_now), else_=SignInThrottle.window_start),
            },
        )
        .returning(SignInThrottle.failures, SignInThrottle.window_start)
    )
    failures, window_start = session.execute(statement).one()
    return Reservation(scope, subject, int(failures), window_start)


def refund(session: Session, reservation: Reservation) -> None:
    """Un-count a reserved attempt that succeeded (if its window is still the current)."""
    session.execute(
        update(SignInThrottle)
        .where(
            SignInThrottle.scope == reservation.scope,
            SignInThrottle.subject == reservation.subject,
            SignInThrottle.window_start == reservation.window_start,
            SignInThrottle.failures > 0,
        )
        .values(failures=SignInThrottle.failures - 1)
        .execution_options(synchronize_session=False)
    )


def prune(session: Session, *, now: datetime, window: timedelta) -> int:
    """Delete the rows whose window has ended (a later attempt starts afresh anyway), so
    the table holds only the last window's subjects; returns how many went."""
    result = session.execute(
        delete(SignInThrottle)
        .where(SignInThrottle.window_start <= literal(now - window, UTCDateTime()))
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DML result is a CursorResult
