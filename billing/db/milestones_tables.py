"""Tables of the fixed-price side, on the shared :class:`~billing.db.models.Base`.

Each row mirrors one dataclass of :mod:`billing.domain.milestones_model` column for
column (plus ``id`` and ``contract_id``), so loading and saving a book is a plain copy.
``fixed_books`` holds one row per contract: it is the row every change locks first.
Things are numbered per contract (``seq``) in creation order; the API names them so.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from billing.db.models import Base


class FixedBook(Base):
    """The escrow book of one contract: carry-over, running totals, whether it ended."""

    __tablename__ = "fixed_books"
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    carry_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    funded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    released_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    bonus_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    ended_at: Mapped[datetime | None]


class FixedMilestone(Base):
    __tablename__ = "fixed_milestones"
    __table_args__ = (UniqueConstraint("contract_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    due_date: Mapped[date | None] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime]
    origin: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(12), index=True)
    escrow_cents: Mapped[int] = mapped_column(BigInteger)
    funded_cents: Mapped[int] = mapped_column(BigInteger)
    carried_in_cents: Mapped[int] = mapped_column(BigInteger)
    released_cents: Mapped[int] = mapped_column(BigInteger)
    refunded_cents: Mapped[int] = mapped_column(BigInteger)
    carried_out_cents: Mapped[int] = mapped_column(BigInteger)
    bonus_cents: Mapped[int] = mapped_column(BigInteger)
    activated_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    submission_message: Mapped[str | None] = mapped_column(Text)
    changes_requested_message: Mapped[str | None] = mapped_column(Text)
    released_at: Mapped[datetime | None]
    auto_approved: Mapped[bool] = mapped_column(Boolean)


class FixedProposal(Base):
    """A freelancer's proposal; ``changes`` is the list of its change lines as JSON."""

    __tablename__ = "fixed_proposals"
    __table_args__ = (UniqueConstraint("contract_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12))
    decided_at: Mapped[datetime | None]


class FixedMilestoneRequest(Base):
    __tablename__ = "fixed_milestone_requests"
    __table_args__ = (UniqueConstraint("contract_id", "seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12))
    decided_at: Mapped[datetime | None]
    milestone_seq: Mapped[int | None] = mapped_column(Integer)


class FixedEscrowDispute(Base):
    """An escrow dispute; ``assigned_admin_id`` is the admin who took it from the queue."""

    __tablename__ = "fixed_escrow_disputes"
    __table_args__ = (
        UniqueConstraint("contract_id", "seq"),
        Index("ix_fixed_escrow_disputes_state_admin", "state", "assigned_admin_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    milestone_seq: Mapped[int] = mapped_column(Integer)
    opened_by: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12))
    to_freelancer_cents: Mapped[int | None] = mapped_column(BigInteger)
    to_client_cents: Mapped[int | None] = mapped_column(BigInteger)
    resolved_at: Mapped[datetime | None]
    assigned_admin_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class FixedEscrowDisputeMessage(Base):
    """One message on an escrow dispute's record, from a party or the assigned admin."""

    __tablename__ = "fixed_escrow_dispute_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("fixed_escrow_disputes.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class FixedEarning(Base):
    """Released money in the freelancer's pending balance until ``available_at``."""

    __tablename__ = "fixed_earnings"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_fixed_earnings_due", "made_available", "available_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    available_at: Mapped[datetime]
    made_available: Mapped[bool] = mapped_column(Boolean)


class FixedAttachment(Base):
    """A file the freelancer handed in with a milestone's work; bytes in the BlobStore."""

    __tablename__ = "fixed_attachments"
    __table_args__ = (Index("ix_fixed_attachments_milestone", "contract_id", "milestone_seq"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    milestone_seq: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    blob_key: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime]
