"""money in each currency's own minor unit

Before this revision every amount was stored in hundredths whatever the currency, so
¥1,000 was 100000. From here an amount is in the ISO 4217 minor unit of its currency:
¥1,000 is 1000, 1.500 KWD is 1500. This converts the stored amounts of contracts in a
currency whose exponent is not 2: JPY-like currencies are divided by 100 (half-up, away
from zero: a stored fraction of a yen cannot exist any more), KWD-like ones multiplied
by 10. Two-decimal currencies, the common case, are not touched.

Each table is converted by its own currency: contracts, invoices and ledger transfers by
their ``currency`` column, invoice lines by their invoice's, the fixed-price tables by
their contract's, proposals' JSON change lines likewise. Audit records keep the text
they were written with (they are a history, not balances).

The exponents are written out here, not imported: a migration must do the same thing
whatever the application's table later becomes.

Revision ID: 0007_money
Revises: 0006_auth
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007_money"
down_revision: str | Sequence[str] | None = "0006_auth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# ISO 4217 exponents other than the 2 everything was stored with (billing.domain.money)
EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0}
EXPONENTS |= dict.fromkeys(("KWD", "BHD", "OMR", "JOD", "TND"), 3)
STORED_EXPONENT = 2

# (table, money columns, how a row finds its currency)
_BY_OWN_CURRENCY = "currency = :code"
_BY_INVOICE = "invoice_id IN (SELECT id FROM invoices WHERE currency = :code)"
_BY_CONTRACT = "contract_id IN (SELECT id FROM contracts WHERE currency = :code)"
TABLES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("contracts", ("rate_cents",), _BY_OWN_CURRENCY),
    ("invoices", ("total_cents",), _BY_OWN_CURRENCY),
    ("invoice_lines", ("rate_cents", "amount_cents"), _BY_INVOICE),
    ("ledger_transfers", ("amount_cents",), _BY_OWN_CURRENCY),
    (
        "fixed_books",
        ("carry_cents", "funded_cents", "released_cents", "refunded_cents", "bonus_cents"),
        _BY_CONTRACT,
    ),
    (
        "fixed_milestones",
        (
            "amount_cents",
            "escrow_cents",
            "funded_cents",
            "carried_in_cents",
            "released_cents",
            "refunded_cents",
            "carried_out_cents",
            "bonus_cents",
        ),
        _BY_CONTRACT,
    ),
    ("fixed_milestone_requests", ("amount_cents",), _BY_CONTRACT),
    ("fixed_escrow_disputes", ("to_freelancer_cents", "to_client_cents"), _BY_CONTRACT),
    ("fixed_earnings", ("amount_cents",), _BY_CONTRACT),
)


def _rescaled(column: str, shift: int) -> str:
    """SQL for ``column`` re-counted ``shift`` decimal digits further (negative: fewer,
    half-up away from zero). Integer division truncates toward zero on SQLite and
    PostgreSQL alike, hence the sign split."""
    if shift >= 0:
        return f"{column} * {10**shift}"
    divisor = 10**-shift
    half = divisor // 2
    return (
        f"CASE WHEN {column} >= 0 THEN ({column} + {half}) / {divisor} "
        f"ELSE -((-{column} + {half}) / {divisor}) END"
    )


def _rescale_value(amount: int, shift: int) -> int:
    if shift >= 0:
        return amount * int(10**shift)
    return int(Decimal(amount).scaleb(shift).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _convert(shift_of: dict[str, int]) -> None:
    bind = op.get_bind()
    tables = set(sa.inspect(bind).get_table_names())
    held = {row[0] for row in bind.execute(sa.text("SELECT DISTINCT currency FROM contracts"))}
    held |= {row[0] for row in bind.execute(sa.text("SELECT DISTINCT currency FROM invoices"))}
    for code in sorted(held & shift_of.keys()):
        shift = shift_of[code]
        for table, columns, owner in TABLES:
            if table not in tables:
                continue
            assignments = ", ".join(f"{column} = {_rescaled(column, shift)}" for column in columns)
            bind.execute(sa.text(f"UPDATE {table} SET {assignments} WHERE {owner}"), {"code": code})
        if "fixed_proposals" in tables:
            _convert_proposals(bind, code, shift)


def _convert_proposals(bind: sa.Connection, code: str, shift: int) -> None:
    proposals = sa.table(
        "fixed_proposals", sa.column("id", sa.Integer), sa.column("changes", sa.JSON)
    )
    rows = bind.execute(
        sa.text(f"SELECT id FROM fixed_proposals WHERE {_BY_CONTRACT}"), {"code": code}
    )
    for (proposal_id,) in rows.all():
        changes: list[dict[str, Any]] = bind.execute(
            sa.select(proposals.c.changes).where(proposals.c.id == proposal_id)
        ).scalar_one()
        converted = [
            {**change, "amount_cents": _rescale_value(change["amount_cents"], shift)}
            if change.get("amount_cents") is not None
            else change
            for change in changes
        ]
        bind.execute(
            proposals.update().where(proposals.c.id == proposal_id).values(changes=converted)
        )


def upgrade() -> None:
    _convert({code: exponent - STORED_EXPONENT for code, exponent in EXPONENTS.items()})


def downgrade() -> None:
    # back to hundredths; exact for JPY-like currencies, half-up for a KWD fils
    _convert({code: STORED_EXPONENT - exponent for code, exponent in EXPONENTS.items()})
