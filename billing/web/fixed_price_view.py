"""What the companion view shows of fixed-price contracts (filled in with issue 7)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from billing.db.models import Contract, ContractKind, Role


def actions_needed(session: Session, contract: Contract, role: Role) -> list[str]:
    """Short phrases for milestones waiting on ``role`` (e.g. "Milestone 2 to review")."""
    if contract.kind != ContractKind.FIXED:
        return []
    return []
