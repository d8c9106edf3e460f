"""signed diary (wire v2)

``devices``: each tracker install's Ed25519 public key, registered at sign-in.
``chain_entries``: every signed diary entry the server verified (slot, deletion, declared
gap), with its receipt (receive time beside the client's clock reading).
``slots.verified`` / ``slots.chain_hash``: the slot's body came with an entry that
verified; existing slots read false ("unverified", as a v1 tracker's). On PostgreSQL
``slots`` is partitioned (0004): columns added to the parent reach every partition.

Revision ID: 0010_signed_diary
Revises: 0009_capture_provenance
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from billing.db.types import UTCDateTime

revision: str = "0010_signed_diary"
down_revision: str | Sequence[str] | None = "0009_capture_provenance"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("registered_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_devices_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_devices"),
        sa.UniqueConstraint("public_key", name="uq_devices_public_key"),
    )
    op.create_index("ix_devices_user_id", "devices", ["user_id"])
    op.create_table(
        "chain_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("slot_start", UTCDateTime(timezone=True), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("signature", sa.String(128), nullable=False),
        sa.Column("client_clock", UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_chain_entries_device_id_devices"
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"], ["contracts.id"], name="fk_chain_entries_contract_id_contracts"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_chain_entries"),
        sa.UniqueConstraint("device_id", "hash", name="uq_chain_entries_device_id_hash"),
    )
    op.create_index(
        "ix_chain_entries_contract_slot", "chain_entries", ["contract_id", "slot_start"]
    )
    op.add_column(
        "slots", sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("slots", sa.Column("chain_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slots") as batch:
        batch.drop_column("chain_hash")
        batch.drop_column("verified")
    op.drop_index("ix_chain_entries_contract_slot", table_name="chain_entries")
    op.drop_table("chain_entries")
    op.drop_index("ix_devices_user_id", table_name="devices")
    op.drop_table("devices")
