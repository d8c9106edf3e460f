"""What a weekly-cap change will do, said before it is saved (DOMAIN.md "Weekly cap").

A raise — removing the cap included — applies to this week at once; a cut — putting a
cap on an uncapped contract included — waits for next week, so hours already worked are
never taken back. That is why removing the cap and entering it again leaves this week
uncapped: the preview says so before the removal, and again before the re-entry.
"""

from __future__ import annotations

from datetime import datetime

from billing.domain.weeks import WEEK, cap_change_effective_week, week_start
from billing.services.hourly_reads import ContractView
from billing.web.confirm import Confirmation
from billing.web.formatting import calendar_date_text, cap_text, duration_text, money_text


def _money_per_hour(view: ContractView) -> str:
    return money_text(view.contract.rate_cents or 0, view.contract.currency) + " per hour"


def preview(view: ContractView, new_cap: int | None, now: datetime) -> Confirmation:
    """The confirm step of a cap change from what is in force now to ``new_cap``."""
    current = view.cap_minutes
    effective = cap_change_effective_week(current, new_cap, now)
    next_monday = calendar_date_text((week_start(now) + WEEK).date())
    if new_cap is None:
        return _removal(view, next_monday)
    if effective == week_start(now):
        return _raise(view, new_cap)
    lines = [
        f"This is a cut: this week keeps {cap_text(current)} "
        f"({duration_text(view.logged_minutes)} logged so far).",
        f"{cap_text(new_cap)} applies from the week starting {next_monday}, "
        "so hours already worked are never taken back.",
    ]
    if current is None:
        lines.append("Putting a cap on an uncapped contract counts as a cut.")
    return Confirmation(
        title=f"Cap at {cap_text(new_cap)} from next week?",
        lines=tuple(lines),
        button=f"Yes, {cap_text(new_cap)} from {next_monday}",
    )


def _removal(view: ContractView, next_monday: str) -> Confirmation:
    lines = [
        "Removing the cap is a raise: it applies to this week at once.",
        f"Every hour tracked is billable at {_money_per_hour(view)}, with no weekly limit; "
        "minutes already marked over limit this week become billable.",
        "Setting a cap again later counts as a cut: it would apply only from the week "
        f"starting {next_monday}, not to this week.",
    ]
    return Confirmation(
        title="Remove the weekly cap?",
        lines=tuple(lines),
        button="Yes, remove the cap",
        danger=True,
    )


def _raise(view: ContractView, new_cap: int) -> Confirmation:
    current = view.cap_minutes
    lines = [f"This is a raise: {cap_text(new_cap)} applies to this week at once."]
    if current is not None and new_cap > current:
        extra = new_cap - current
        most = money_text((view.contract.rate_cents or 0) * extra // 60, view.contract.currency)
        lines.append(
            f"Up to {duration_text(extra)} more can be billed each week: up to {most} "
            f"at {_money_per_hour(view)}."
        )
    if view.next_week_cap_minutes != current:
        lines.append(f"It replaces the {cap_text(view.next_week_cap_minutes)} set for next week.")
    return Confirmation(
        title=f"Raise the weekly cap to {cap_text(new_cap)}?",
        lines=tuple(lines),
        button=f"Yes, {cap_text(new_cap)} from now",
    )
