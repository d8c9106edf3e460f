"""What the tracker knows about an hourly contract (cached locally so it starts offline)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Contract:
    """An hourly contract as the server last described it.

    ``weekly_cap_minutes`` None means no cap. ``server_week_minutes`` is what the server
    counted for the week starting ``server_week_start`` when it was fetched at
    ``fetched_at``; the cap check adds local minutes not yet synced since then.
    """

    id: int
    title: str
    rate_cents: int
    currency: str
    weekly_cap_minutes: int | None = None
    screenshots_enabled: bool = True
    blur_shots: bool = False
    manual_time_allowed: bool = False
    active: bool = True
    server_week_minutes: int = 0
    server_week_start: datetime | None = None
    fetched_at: datetime | None = None
