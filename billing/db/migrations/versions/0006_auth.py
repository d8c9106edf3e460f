"""auth: token kinds and expiry, the shared sign-in throttle

``api_tokens.kind`` ("api" for the desktop app's bearer token, "web" for the companion
view's session) and ``api_tokens.expires_at``. Tokens issued before this revision were
all bearer tokens (the web cookie held one too), so they become "api" tokens; each
unrevoked one gets one default sliding window (30 days) from the upgrade, renewed on use
like any other. A web cookie carrying such a token is no longer a session: the browser
signs in again.

``sign_in_throttle``: failed sign-ins per account and per client address, one row per
subject and window, shared by every server process on the database.

Revision ID: 0006_auth
Revises: 0005_slot_clock_jump
Create Date: 2026-12-01 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import billing.db.types

revision: str = "0006_auth"
down_revision: str | Sequence[str] | None = "0005_slot_clock_jump"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UPGRADE_WINDOW = timedelta(days=30)  # Settings.api_token_idle_lifetime's default


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=10), nullable=False, server_default="api")
        )
        batch.add_column(
            sa.Column("expires_at", billing.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    tokens = sa.table(
        "api_tokens",
        sa.column("expires_at", billing.db.types.UTCDateTime(timezone=True)),
        sa.column("revoked_at", billing.db.types.UTCDateTime(timezone=True)),
    )
    upgraded_at = datetime.now(UTC)
    op.execute(
        tokens.update()
        .where(tokens.c.revoked_at.is_(None))
        .values(expires_at=upgraded_at + _UPGRADE_WINDOW)
    )
    # revoked tokens never come back: their expiry is the upgrade instant
    op.execute(tokens.update().where(tokens.c.expires_at.is_(None)).values(expires_at=upgraded_at))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("kind", server_default=None)
        batch.alter_column(
            "expires_at",
            existing_type=billing.db.types.UTCDateTime(timezone=True),
            nullable=False,
        )
    op.create_table(
        "sign_in_throttle",
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", billing.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject", name=op.f("pk_sign_in_throttle")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttle")
    # without kinds a web session would pass as a bearer token: end them all first
    op.execute(
        sa.text("UPDATE api_tokens SET revoked_at = expires_at "
                "WHERE kind = 'web' AND revoked_at IS NULL")
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
        batch.drop_column("kind")
