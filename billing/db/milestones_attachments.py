"""Files handed in with a milestone's work: their rows (the bytes are in the BlobStore).

The rule for adding one (a funded milestone, the freelancer, size limits) is
:func:`billing.services.fixed_price.add_attachment`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.blobs import BlobStore
from billing.db.errors import NotFound
from billing.db.milestones_tables import FixedAttachment
from billing.db.models import Contract


def add_attachment(
    session: Session,
    contract: Contract,
    milestone_seq: int,
    *,
    filename: str,
    content_type: str,
    size_bytes: int,
    sha256: str,
    blob_key: str,
    uploaded_at: datetime,
) -> FixedAttachment:
    row = FixedAttachment(
        contract_id=contract.id,
        milestone_seq=milestone_seq,
        filename=filename,
        content_type=content_type,
        size_bytes=size_bytes,
        sha256=sha256,
        blob_key=blob_key,
        uploaded_at=uploaded_at,
    )
    session.add(row)
    session.flush()
    return row


def attachments_of(
    session: Session, contract: Contract, milestone_seq: int
) -> list[FixedAttachment]:
    return list(
        session.scalars(
            select(FixedAttachment)
            .where(
                FixedAttachment.contract_id == contract.id,
                FixedAttachment.milestone_seq == milestone_seq,
            )
            .order_by(FixedAttachment.id)
        )
    )


def attachment_of(session: Session, contract: Contract, attachment_id: int) -> FixedAttachment:
    row = session.get(FixedAttachment, attachment_id)
    if row is None or row.contract_id != contract.id:
        raise NotFound("no such attachment on this contract")
    return row


def attachment_bytes(
    session: Session, blobs: BlobStore, contract: Contract, attachment_id: int
) -> tuple[FixedAttachment, bytes]:
    row = session.get(FixedAttachment, attachment_id)
    data = None if row is None or row.contract_id != contract.id else blobs.get(row.blob_key)
    if row is None or data is None:
        raise NotFound("no such attachment on this contract")
    return row, data
