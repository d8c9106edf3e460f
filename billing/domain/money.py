"""Money as integer minor units plus an ISO 4217 currency, and the one rounding rule.

Floats never touch money. ``Decimal`` appears only in :func:`amount_for_minutes`, the
single place where a rate is multiplied out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_CURRENCY = re.compile(r"^[A-Z]{3}$")


def check_currency(currency: str) -> str:
    """Return ``currency`` if it looks like an ISO 4217 code (three capitals), else raise."""
    if not _CURRENCY.match(currency):
        raise ValueError(f"currency must be a three-letter ISO 4217 code, got {currency!r}")
    return currency


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents) of one currency."""

    cents: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.cents, bool) or not isinstance(self.cents, int):
            raise TypeError("Money.cents must be an int (minor units)")
        check_currency(self.currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.cents - other.cents, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def format(self) -> str:
        """``"1234.50 USD"`` — for CSV exports and messages (two minor digits assumed)."""
        sign = "-" if self.cents < 0 else ""
        whole, minor = divmod(abs(self.cents), 100)
        return f"{sign}{whole}.{minor:02d} {self.currency}"


def amount_for_minutes(minutes: int, rate_cents_per_hour: int) -> int:
    """``minutes × rate / 60`` in minor units, rounded half-up to the minor unit.

    The only rounding function of the backend: every invoice line goes through it.
    """
    if minutes < 0 or rate_cents_per_hour < 0:
        raise ValueError("minutes and rate must not be negative")
    exact = Decimal(minutes) * Decimal(rate_cents_per_hour) / Decimal(60)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fee_for(amount_cents: int, fee_basis_points: int) -> int:
    """The platform fee on an amount (basis points, default 0), half-up like every amount."""
    if fee_basis_points < 0 or fee_basis_points > 10_000:
        raise ValueError("fee must be between 0 and 10000 basis points")
    exact = Decimal(amount_cents) * Decimal(fee_basis_points) / Decimal(10_000)
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
