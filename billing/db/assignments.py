"""Which disputes on a contract are assigned to an admin, and whether each is open.

Row access only; what an assignment lets the admin do is :mod:`billing.access`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.db.milestones_tables import FixedEscrowDispute
from billing.db.models import Dispute, DisputeStatus
from billing.domain.milestones_model import DisputeState


def slot_disputes_assigned(
    session: Session, contract_id: int, admin_id: int
) -> list[tuple[int, bool]]:
    """``(dispute id, is open)`` of the contract's slot disputes assigned to the admin."""
    rows = session.execute(
        select(Dispute.id, Dispute.status).where(
            Dispute.contract_id == contract_id, Dispute.assigned_admin_id == admin_id
        )
    ).all()
    return [(ident, status == DisputeStatus.OPEN.value) for ident, status in rows]


def escrow_disputes_assigned(
    session: Session, contract_id: int, admin_id: int
) -> list[tuple[int, bool]]:
    """``(dispute id, is open)`` of the contract's escrow disputes assigned to the admin."""
    rows = session.execute(
        select(FixedEscrowDispute.id, FixedEscrowDispute.state).where(
            FixedEscrowDispute.contract_id == contract_id,
            FixedEscrowDispute.assigned_admin_id == admin_id,
        )
    ).all()
    return [(ident, state == DisputeState.OPEN.value) for ident, state in rows]
