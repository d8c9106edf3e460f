"""The audit trail: who did what, when, to which thing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from billing.db.models import AuditRecord


def record(
    session: Session,
    *,
    at: datetime,
    actor_id: int | None,
    action: str,
    contract_id: int | None,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> None:
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
