"""slot clock jump

``slots.clock_jump``: the tracker saw its wall clock jump while the slot was open. A
signal shown in the diaries, never a penalty. Existing slots read false. On PostgreSQL
``slots`` is partitioned (0004): a column added to the parent reaches every partition,
and a constant default fills them without rewriting rows.

Revision ID: 0005_slot_clock_jump
Revises: 0004_weekly_slot_partitions
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_slot_clock_jump"
down_revision: str | Sequence[str] | None = "0004_weekly_slot_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "slots",
        sa.Column("clock_jump", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("slots") as batch:
        batch.drop_column("clock_jump")
