"""The record of an escrow dispute: either party and the assigned admin add messages
while it is open, as on an hourly dispute (DOMAIN.md "Escrow disputes", "Disputed slots")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from billing.access import ContractAccess
from billing.db import audit
from billing.db import escrow_messages as messages_db
from billing.db import milestones as rows
from billing.db.errors import Forbidden, NotFound
from billing.db.milestones_tables import FixedEscrowDisputeMessage
from billing.db.models import Contract, Role, User
from billing.domain import milestones as rules
from billing.services.fixed_price import service_errors


def add_message(
    session: Session, on: ContractAccess, seq: int, body: str, *, now: datetime
) -> FixedEscrowDisputeMessage:
    """Add ``body`` to escrow dispute ``seq``'s record; refused once it is resolved."""
    loaded = rows.load_book(session, on.contract)  # the book's row lock orders writers
    row = rows.escrow_dispute_row(session, on.contract, seq)
    if row is None:
        raise NotFound(f"escrow dispute {seq} does not exist on this contract")
    if on.role == Role.ADMIN and row.assigned_admin_id != on.user.id:
        raise Forbidden("only the admin assigned to this escrow dispute may write in it")
    with service_errors():
        text = rules.check_escrow_message(loaded.book, seq, body)
    message = messages_db.add(session, row.id, on.user.id, text, now)
    subject = f"escrow dispute {seq}"
    detail = {"message_id": message.id}
    action = "fixed_escrow_dispute_message"
    audit.record(session, now, on.user, action, on.contract.id, subject, detail)
    session.commit()
    return message


def threads(
    session: Session, contract: Contract
) -> dict[int, list[tuple[FixedEscrowDisputeMessage, User]]]:
    """Every escrow dispute's messages on ``contract``, by the dispute's ``seq``."""
    return messages_db.of_contract(session, contract)
