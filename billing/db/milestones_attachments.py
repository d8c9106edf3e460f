"""Files handed in with a milestone's work, kept in the BlobStore.

An attachment is not a billing rule: it only needs the milestone to be funded (active
or submitted) when it arrives, checked under the book's lock like any change.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.blobs import BlobStore
from billing.db.errors import Conflict, Forbidden, Invalid, NotFound
from billing.db.milestones import actor_of, lock_and_load
from billing.db.milestones_tables import FixedAttachment
from billing.db.models import AuditRecord, Contract, User
from billing.domain.milestones_model import FUNDED_STATES, Actor

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENTS_PER_MILESTONE = 20


def _clean_filename(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        raise Invalid("an attachment needs a file name")
    return name[:200]


def attach(
    session: Session,
    blobs: BlobStore,
    contract: Contract,
    user: User,
    milestone_seq: int,
    *,
    filename: str,
    content_type: str,
    data: bytes,
    now: datetime,
) -> FixedAttachment:
    """Store a file for a funded milestone (freelancer only)."""
    if actor_of(contract, user) is not Actor.FREELANCER:
        raise Forbidden("only the freelancer hands in files")
    if not data:
        raise Invalid("the attachment is empty")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise Invalid(f"an attachment is at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB")
    name = _clean_filename(filename)
    book = lock_and_load(session, contract)
    milestone = next((m for m in book.milestones if m.seq == milestone_seq), None)
    if milestone is None:
        raise NotFound(f"milestone {milestone_seq} does not exist on this contract")
    if milestone.state not in FUNDED_STATES:
        raise Conflict(
            f"milestone {milestone_seq} is {milestone.state.value}; files go with the work of "
            "a funded milestone"
        )
    if len(attachments_of(session, contract, milestone_seq)) >= MAX_ATTACHMENTS_PER_MILESTONE:
        raise Conflict(f"a milestone holds at most {MAX_ATTACHMENTS_PER_MILESTONE} files")
    sha256 = hashlib.sha256(data).hexdigest()
    key = f"milestones/{contract.id}/{milestone_seq}/{sha256}"
    blobs.put(key, data)  # content-addressed: a retried upload rewrites the same bytes
    row = FixedAttachment(
        contract_id=contract.id,
        milestone_seq=milestone_seq,
        filename=name,
        content_type=(content_type or "application/octet-stream")[:100],
        size_bytes=len(data),
        sha256=sha256,
        blob_key=key,
        uploaded_at=now,
    )
    session.add(row)
    session.add(
        AuditRecord(
            at=now,
            actor_id=user.id,
            action="fixed_attachment_added",
            contract_id=contract.id,
            subject=f"milestone {milestone_seq}",
            detail={"filename": name, "sha256": sha256},
        )
    )
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


def attachment_bytes(
    session: Session, blobs: BlobStore, contract: Contract, attachment_id: int
) -> tuple[FixedAttachment, bytes]:
    row = session.get(FixedAttachment, attachment_id)
    data = None if row is None or row.contract_id != contract.id else blobs.get(row.blob_key)
    if row is None or data is None:
        raise NotFound("no such attachment on this contract")
    return row, data
