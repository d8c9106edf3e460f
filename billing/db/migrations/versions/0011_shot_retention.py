"""shot retention

``contract_weeks.shots_expired``: the retention job step has deleted every shot of the
contract's week (its period after the week's finalization is over and no open dispute
keeps them). The step selects weeks past the period that are still false, through the
index on ``(shots_expired, week_start)``, so it never scans old slots again. Existing
weeks read false: the first run after the upgrade deletes the shots already due.

Revision ID: 0011_shot_retention
Revises: 0009_capture_provenance
Create Date: 2026-12-02 04:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_shot_retention"
down_revision: str | Sequence[str] | None = "0010_signed_diary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "contract_weeks",
        sa.Column("shots_expired", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index(
        "ix_contract_weeks_shots_expired_week", "contract_weeks", ["shots_expired", "week_start"]
    )


def downgrade() -> None:
    op.drop_index("ix_contract_weeks_shots_expired_week", table_name="contract_weeks")
    with op.batch_alter_table("contract_weeks") as batch:
        batch.drop_column("shots_expired")
