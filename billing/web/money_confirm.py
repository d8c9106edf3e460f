"""What the confirm step says before money moves on a fixed-price contract.

Each function reads the book as the page showed it and names the amounts; the action
itself is decided (and may still be refused) by :mod:`billing.services.fixed_price`.
"""

from __future__ import annotations

from billing.api.milestones_schemas import Approval
from billing.domain.milestones_model import EscrowBook, Milestone
from billing.web.confirm import Confirmation
from billing.web.formatting import money_text


def _milestone(book: EscrowBook, seq: int) -> Milestone | None:
    return next((m for m in book.milestones if m.seq == seq), None)


def activation(book: EscrowBook, seq: int, currency: str) -> Confirmation:
    """Funding a milestone: what leaves the client's funds, and what the carry covers."""
    milestone = _milestone(book, seq)
    amount = milestone.amount_cents if milestone else 0
    carried = min(book.carry_cents, amount)
    charged = money_text(amount - carried, currency)
    title = f"“{milestone.title}”" if milestone else f"milestone {seq}"
    lines = [f"{charged} moves from your funds into escrow for {title}."]
    if carried:
        lines.append(f"{money_text(carried, currency)} of it comes from the escrow carried over.")
    lines.append(
        "It is released to the freelancer when you approve & pay, or automatically "
        "14 days after they submit work you do not answer."
    )
    return Confirmation(
        title=f"Activate & fund milestone {seq}?", lines=tuple(lines), button=f"Yes, fund {charged}"
    )


def approval(book: EscrowBook, seq: int, body: Approval, currency: str) -> Confirmation:
    """Approving: what is released from escrow, the bonus, the total, and what stays."""
    milestone = _milestone(book, seq)
    held = milestone.escrow_cents if milestone else 0
    release = held if body.release_cents is None else body.release_cents
    total = money_text(release + body.bonus_cents, currency)
    lines = [f"{money_text(release, currency)} is released from escrow to the freelancer."]
    if body.bonus_cents:
        bonus = money_text(body.bonus_cents, currency)
        lines.append(f"A bonus of {bonus} is paid from your funds, beyond escrow.")
    lines.append(f"The freelancer receives {total} in total.")
    left = max(0, held - release)
    if left and body.end_contract:
        lines.append(f"The contract ends: {money_text(left, currency)} left in escrow is refunded.")
    elif left:
        lines.append(f"{money_text(left, currency)} stays in escrow and funds the next milestone.")
    elif body.end_contract:
        lines.append("The contract ends; nothing more can be funded on it.")
    return Confirmation(
        title=f"Approve & pay milestone {seq}?", lines=tuple(lines), button=f"Yes, pay {total}"
    )


def ending(book: EscrowBook, currency: str, role: str) -> Confirmation:
    """Ending the contract: the escrow that goes back to the client."""
    escrow = money_text(book.escrow_cents, currency)
    whom = "to you" if role == "client" else "to the client"
    lines = [
        f"{escrow} left in escrow is refunded {whom}."
        if book.escrow_cents
        else "Nothing is held in escrow, so nothing is refunded.",
        "The contract takes no more milestones and nothing more can be funded on it.",
        "A milestone under an escrow dispute keeps its escrow for the admin's split.",
    ]
    return Confirmation(
        title="End this contract?",
        lines=tuple(lines),
        button=f"Yes, end the contract and refund {escrow}",
        danger=True,
    )
