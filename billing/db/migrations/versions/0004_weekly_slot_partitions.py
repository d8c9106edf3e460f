"""weekly slot partitions

On PostgreSQL ``slots`` becomes a table partitioned by range on ``slot_start``, one
partition per UTC week plus a default one, with every existing row carried over (ids
kept; the id sequence goes 64-bit). A unique key of a partitioned table must hold the
partition column, so the row key is ``(id, slot_start)`` and ``dispute_slots``, the one
table that refers to a slot by id, gains ``slot_start`` and a foreign key on both.
SQLite keeps one plain table and gets the same key and foreign key.

Revision ID: 0004_weekly_slot_partitions
Revises: 0003_fixed_attachments
Create Date: 2026-12-01 20:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import billing.db.types
from billing.db.slot_partitions import ENSURE_FUNCTION

revision: str = "0004_weekly_slot_partitions"
down_revision: str | Sequence[str] | None = "0003_fixed_attachments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "id, contract_id, slot_start, week_start, minutes, active_minutes, activity, memo, "
    "manual, shot_taken_at, shot_sha256, shot_note, shot_blob_key, over_limit_minutes, "
    "body_sha256, received_at, deleted_at, deleted_by_id"
)
PARTITIONED_SLOTS = """
CREATE TABLE slots (
    id bigint NOT NULL DEFAULT nextval('slots_id_seq'),
    contract_id integer NOT NULL,
    slot_start timestamptz NOT NULL,
    week_start timestamptz NOT NULL,
    minutes integer NOT NULL,
    active_minutes integer NOT NULL,
    activity json NOT NULL,
    memo text NOT NULL,
    manual boolean NOT NULL,
    shot_taken_at timestamptz,
    shot_sha256 varchar(64),
    shot_note varchar(40),
    shot_blob_key varchar(200),
    over_limit_minutes integer NOT NULL,
    body_sha256 varchar(64) NOT NULL,
    received_at timestamptz NOT NULL,
    deleted_at timestamptz,
    deleted_by_id integer,
    CONSTRAINT uq_slots_contract_id_slot_start UNIQUE (contract_id, slot_start),
    CONSTRAINT fk_slots_contract_id_contracts FOREIGN KEY (contract_id) REFERENCES contracts (id),
    CONSTRAINT fk_slots_deleted_by_id_users FOREIGN KEY (deleted_by_id) REFERENCES users (id)
) PARTITION BY RANGE (slot_start)
"""
# weeks created around the migration: the last few (late syncs) and the next few
WEEKS_BEFORE_NOW = 4
WEEKS_AFTER_NOW = 8


def _postgres_upgrade() -> None:
    op.execute("ALTER TABLE dispute_slots DROP CONSTRAINT fk_dispute_slots_slot_id_slots")
    op.execute("ALTER TABLE slots RENAME TO slots_unpartitioned")
    # index-backed names are schema-wide: free them for the new table
    op.execute("ALTER INDEX pk_slots RENAME TO pk_slots_unpartitioned")
    op.execute("ALTER INDEX uq_slots_contract_id_slot_start RENAME TO uq_slots_unpartitioned")
    op.execute("ALTER INDEX ix_slots_contract_week RENAME TO ix_slots_unpartitioned_week")
    op.execute("ALTER SEQUENCE slots_id_seq OWNED BY NONE")
    op.execute("ALTER SEQUENCE slots_id_seq AS bigint")
    op.execute(PARTITIONED_SLOTS)
    op.execute("ALTER SEQUENCE slots_id_seq OWNED BY slots.id")
    op.execute("CREATE UNIQUE INDEX uq_slots_id_slot_start ON slots (id, slot_start)")
    op.execute("CREATE INDEX ix_slots_contract_week ON slots (contract_id, week_start)")
    op.execute("CREATE TABLE slots_default PARTITION OF slots DEFAULT")
    op.execute(ENSURE_FUNCTION)
    op.execute(
        "SELECT wd_ensure_slot_partitions(week, 1) FROM "
        "(SELECT DISTINCT week_start AS week FROM slots_unpartitioned) AS weeks"
    )
    op.execute(
        f"SELECT wd_ensure_slot_partitions(now() - interval '{WEEKS_BEFORE_NOW} weeks', "
        f"{WEEKS_BEFORE_NOW + WEEKS_AFTER_NOW + 1})"
    )
    op.execute(f"INSERT INTO slots ({COLUMNS}) SELECT {COLUMNS} FROM slots_unpartitioned")
    op.execute("ALTER TABLE dispute_slots ALTER COLUMN slot_id TYPE bigint")
    op.execute("ALTER TABLE dispute_slots ADD COLUMN slot_start timestamptz")
    op.execute(
        "UPDATE dispute_slots SET slot_start = slots.slot_start "
        "FROM slots WHERE slots.id = dispute_slots.slot_id"
    )
    op.execute("ALTER TABLE dispute_slots ALTER COLUMN slot_start SET NOT NULL")
    op.execute(
        "ALTER TABLE dispute_slots ADD CONSTRAINT fk_dispute_slots_slot_id_slots "
        "FOREIGN KEY (slot_id, slot_start) REFERENCES slots (id, slot_start)"
    )
    op.execute("DROP TABLE slots_unpartitioned")


def _sqlite_upgrade() -> None:
    op.create_index("uq_slots_id_slot_start", "slots", ["id", "slot_start"], unique=True)
    with op.batch_alter_table("dispute_slots") as batch_op:
        batch_op.add_column(
            sa.Column("slot_start", billing.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE dispute_slots SET slot_start = "
        "(SELECT slots.slot_start FROM slots WHERE slots.id = dispute_slots.slot_id)"
    )
    with op.batch_alter_table("dispute_slots") as batch_op:
        batch_op.alter_column("slot_start", nullable=False)
        batch_op.drop_constraint("fk_dispute_slots_slot_id_slots", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_dispute_slots_slot_id_slots",
            "slots",
            ["slot_id", "slot_start"],
            ["id", "slot_start"],
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def _postgres_downgrade() -> None:
    op.execute("ALTER TABLE dispute_slots DROP CONSTRAINT fk_dispute_slots_slot_id_slots")
    op.execute("ALTER TABLE slots RENAME TO slots_partitioned")
    op.execute("ALTER INDEX uq_slots_contract_id_slot_start RENAME TO uq_slots_partitioned")
    op.execute("ALTER INDEX ix_slots_contract_week RENAME TO ix_slots_partitioned_week")
    op.execute("ALTER SEQUENCE slots_id_seq OWNED BY NONE")
    plain = PARTITIONED_SLOTS.replace(") PARTITION BY RANGE (slot_start)", ")").replace(
        "id bigint NOT NULL DEFAULT nextval('slots_id_seq'),",
        "id integer NOT NULL DEFAULT nextval('slots_id_seq') CONSTRAINT pk_slots PRIMARY KEY,",
    )
    op.execute(plain)
    op.execute("ALTER SEQUENCE slots_id_seq OWNED BY slots.id")
    op.execute("CREATE INDEX ix_slots_contract_week ON slots (contract_id, week_start)")
    op.execute(f"INSERT INTO slots ({COLUMNS}) SELECT {COLUMNS} FROM slots_partitioned")
    op.execute("DROP TABLE slots_partitioned")
    op.execute("DROP FUNCTION wd_ensure_slot_partitions(timestamptz, integer)")
    op.execute("ALTER TABLE dispute_slots DROP COLUMN slot_start")
    op.execute("ALTER TABLE dispute_slots ALTER COLUMN slot_id TYPE integer")
    op.execute(
        "ALTER TABLE dispute_slots ADD CONSTRAINT fk_dispute_slots_slot_id_slots "
        "FOREIGN KEY (slot_id) REFERENCES slots (id)"
    )


def _sqlite_downgrade() -> None:
    with op.batch_alter_table("dispute_slots") as batch_op:
        batch_op.drop_constraint("fk_dispute_slots_slot_id_slots", type_="foreignkey")
        batch_op.drop_column("slot_start")
        batch_op.create_foreign_key("fk_dispute_slots_slot_id_slots", "slots", ["slot_id"], ["id"])
    op.drop_index("uq_slots_id_slot_start", table_name="slots")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_downgrade()
    else:
        _sqlite_downgrade()
