"""One line of the freelancer's earnings page, whatever it came from."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class EarningLine:
    """One credit to the freelancer: a finalized invoice or a released milestone."""

    source: str
    contract_title: str
    link: str | None
    earned_at: datetime
    available_at: datetime | None
    available: bool
    gross_cents: int
    net_cents: int
    currency: str


@dataclass(frozen=True)
class AvailableOn:
    """What becomes available on one local day, in one currency (after the fee)."""

    day: date
    currency: str
    net_cents: int
    count: int


def availability_schedule(pending: Iterable[EarningLine], zone: ZoneInfo) -> list[AvailableOn]:
    """Pending earnings summed by the local day they become available, soonest first."""
    sums: dict[tuple[date, str], tuple[int, int]] = {}
    for line in pending:
        if line.available_at is None:
            continue
        key = (line.available_at.astimezone(zone).date(), line.currency)
        cents, count = sums.get(key, (0, 0))
        sums[key] = (cents + line.net_cents, count + 1)
    return [
        AvailableOn(day, currency, cents, count)
        for (day, currency), (cents, count) in sorted(sums.items())
    ]
