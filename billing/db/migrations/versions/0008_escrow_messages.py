"""escrow dispute messages

``fixed_escrow_dispute_messages``: the record of an escrow dispute — messages from
either party and the assigned admin, as hourly disputes have in ``dispute_messages``.

Revision ID: 0008_escrow_messages
Revises: 0007_money
Create Date: 2026-12-01 23:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import billing.db.types

revision: str = "0008_escrow_messages"
down_revision: str | Sequence[str] | None = "0007_money"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fixed_escrow_dispute_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", billing.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_fixed_escrow_dispute_messages_author_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["fixed_escrow_disputes.id"],
            name=op.f("fk_fixed_escrow_dispute_messages_dispute_id_fixed_escrow_disputes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fixed_escrow_dispute_messages")),
    )
    with op.batch_alter_table("fixed_escrow_dispute_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fixed_escrow_dispute_messages_dispute_id"), ["dispute_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fixed_escrow_dispute_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fixed_escrow_dispute_messages_dispute_id"))
    op.drop_table("fixed_escrow_dispute_messages")
