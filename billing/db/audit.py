"""The audit trail: who did what, when, to which thing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from billing.db.models import AuditRecord, User


def record(
    session: Session,
    at: datetime,
    actor: User,
    action: str,
    contract_id: int | None,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """``actor`` did ``action`` at ``at`` to ``subject`` (e.g. ``"slot 2026-11-03T09:00"``)."""
    record_by_id(session, at, actor.id, action, contract_id, subject, detail)


def record_by_id(
    session: Session,
    at: datetime,
    actor_id: int | None,
    action: str,
    contract_id: int | None,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """:func:`record` for an actor known by id (e.g. the contract's freelancer); None: the
    scheduled jobs acted, not a person."""
    session.add(
        AuditRecord(
            at=at,
            actor_id=actor_id,
            action=action,
            contract_id=contract_id,
            subject=subject,
            detail=detail or {},
        )
    )
