"""What the companion view shows of fixed-price contracts (filled in with issue 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from billing.db.models import Contract, ContractKind, Role, User

if TYPE_CHECKING:
    from billing.web.earnings import Earning


def actions_needed(session: Session, contract: Contract, role: Role) -> list[str]:
    """Short phrases for milestones waiting on ``role`` (e.g. "Milestone 2 to review")."""
    if contract.kind != ContractKind.FIXED:
        return []
    return []


def released_earnings(session: Session, freelancer: User) -> list[Earning]:
    """Released milestones credited to ``freelancer`` (filled in with issue 7)."""
    return []
