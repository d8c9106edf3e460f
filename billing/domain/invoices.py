"""How a week's hours become an invoice (DOMAIN.md, "Weekly billing").

Pure arithmetic over plain numbers: the database layer gathers the minutes, these
functions decide what is billed.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain.money import amount_for_minutes


@dataclass(frozen=True, slots=True)
class HoursLine:
    """The main line of a weekly invoice."""

    logged_minutes: int  # undeleted, non-disputed
    billable_minutes: int
    rate_cents: int
    amount_cents: int


def weekly_hours_line(
    undisputed_minutes: int, cap_minutes: int | None, rate_cents: int
) -> HoursLine:
    """Billable minutes = min(logged, cap); amount = minutes × rate / 60, half-up."""
    if undisputed_minutes < 0:
        raise ValueError("logged minutes must not be negative")
    billable = undisputed_minutes if cap_minutes is None else min(undisputed_minutes, cap_minutes)
    return HoursLine(
        logged_minutes=undisputed_minutes,
        billable_minutes=billable,
        rate_cents=rate_cents,
        amount_cents=amount_for_minutes(billable, rate_cents),
    )


def supplement_minutes(
    disputed_minutes: int, already_billed_minutes: int, cap_minutes: int | None
) -> int:
    """Minutes a dispute resolved *paid* adds, never pushing the week beyond its cap."""
    if cap_minutes is None:
        return disputed_minutes
    return max(0, min(disputed_minutes, cap_minutes - already_billed_minutes))
