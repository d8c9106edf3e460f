"""slot provenance (Wayland)

``slots.capture_source`` (x11 | portal | none:<reason>) and ``slots.activity_source``
(input-counts | idle-watch): how the tracker took the slot's shot and counted its
activity. Signals for the diaries, never billing inputs; NULL for slots from before,
or from trackers that do not report them. On PostgreSQL ``slots`` is partitioned
(0004): columns added to the parent reach every partition; nullable ones without a
default rewrite no rows.

Revision ID: 0009_capture_provenance
Revises: 0008_escrow_messages
Create Date: 2026-12-01 23:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_capture_provenance"
down_revision: str | Sequence[str] | None = "0008_escrow_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("slots", sa.Column("capture_source", sa.String(48), nullable=True))
    op.add_column("slots", sa.Column("activity_source", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slots") as batch:
        batch.drop_column("activity_source")
        batch.drop_column("capture_source")
