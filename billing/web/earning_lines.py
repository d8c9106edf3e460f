"""One line of the freelancer's earnings page, whatever it came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
