"""Fixed-price pages: the milestone plan with its escrow, and every action on it.

Each form calls one fixed-price operation of :mod:`billing.domain.milestones` through
:func:`billing.db.milestones.change`, which locks the contract's book, applies the rule,
saves the state and posts the ledger transfers in this request's transaction. Whether an
action is allowed is decided there; the page only offers the buttons that make sense
for the viewer's role and the milestone's state, and shows the refusal if one comes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request, Response
from sqlalchemy.orm import Session

from billing.api.deps import ClockDep, SessionDep
from billing.db import milestones as milestones_db
from billing.db.models import Contract, Role, User
from billing.domain import milestones as rules
from billing.domain.milestones_model import (
    Actor,
    ChangeKind,
    EscrowBook,
    MilestoneState,
    ProposalChange,
    ProposalState,
)
from billing.domain.milestones_rules import Outcome
from billing.web.deps import (
    CsrfChecked,
    SecretDep,
    Viewer,
    ViewerDep,
    WebContract,
    ZoneDep,
    load_contract,
    render_page,
)
from billing.web.formatting import money_text
from billing.web.render import redirect
from billing.web.route import WebRoute

router = APIRouter(route_class=WebRoute)

_AMOUNT = re.compile(r"^\s*(\d{1,12})(?:[.,](\d{1,2}))?\s*$")
Operation = Callable[[EscrowBook, Actor], Outcome]

STATE_TONES = {
    "planned": "",
    "active": "info",
    "submitted": "warn",
    "released": "good",
    "deleted": "",
    "cancelled": "",
}


def parse_amount(text: str, what: str, *, allow_zero: bool = False) -> int:
    """``"12.50"`` → 1250 minor units; a clear 422 for anything else."""
    match = _AMOUNT.match(text or "")
    if match is None:
        raise HTTPException(422, detail=f"{what}: enter an amount like 250 or 250.00.")
    cents = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents == 0 and not allow_zero:
        raise HTTPException(422, detail=f"{what} must be more than zero.")
    return cents


def _parse_date(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise HTTPException(422, detail="Due date: use YYYY-MM-DD.") from error


def _access(session: Session, viewer: Viewer, contract_id: int) -> WebContract:
    """Parties as everywhere; an admin also through an escrow dispute assigned to them."""
    try:
        return load_contract(session, viewer, contract_id)
    except HTTPException as refused:
        contract = session.get(Contract, contract_id) if 0 < contract_id < 2**31 else None
        if (
            refused.status_code == 404
            and contract is not None
            and viewer.role == Role.ADMIN
            and milestones_db.admin_may_see(session, contract, viewer.user)
        ):
            return WebContract(contract, viewer, Role.ADMIN)
        raise


def _apply(
    session: Session,
    viewer: Viewer,
    contract_id: int,
    now: datetime,
    action: str,
    operation: Operation,
) -> Contract:
    access = _access(session, viewer, contract_id)
    milestones_db.change(session, access.contract, viewer.user, now, action, operation)
    session.commit()
    return access.contract


def _back(contract_id: int, message: str, secret: bytes) -> Response:
    return redirect(f"/web/contracts/{contract_id}/milestones", flash=message, secret=secret)


@router.get("/contracts/{contract_id}/milestones", include_in_schema=False)
def milestones_page(
    request: Request,
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    zone: ZoneDep,
) -> Response:
    access = _access(session, viewer, contract_id)
    contract = access.contract
    book = milestones_db.read_book(session, contract)
    visible = [m for m in book.milestones if m.state is not MilestoneState.DELETED]
    plan = [m for m in visible if m.origin.value == "plan"]
    # the button goes on the first planned milestone; the rule itself is checked on submit
    next_planned = next((m.seq for m in plan if m.state is MilestoneState.PLANNED), None)
    any_funded = any(m.state in (MilestoneState.ACTIVE, MilestoneState.SUBMITTED) for m in plan)
    pending = next((p for p in book.proposals if p.state is ProposalState.PENDING), None)
    open_disputes = {d.milestone_seq: d for d in book.disputes if d.state.value == "open"}
    assigned = {
        seq: row.assigned_admin_id
        for seq, row in milestones_db.escrow_dispute_rows(session, contract).items()
    }
    parties = {
        "client": session.get(User, contract.client_id),
        "freelancer": session.get(User, contract.freelancer_id),
    }
    return render_page(
        request,
        "milestones.html",
        viewer=viewer,
        zone=zone,
        secret=secret,
        nav="contracts",
        contract=contract,
        role=access.role.value,
        book=book,
        milestones=visible,
        titles={m.seq: m.title for m in book.milestones},
        next_planned=None if any_funded else next_planned,
        pending=pending,
        past_proposals=[p for p in book.proposals if p.state is not ProposalState.PENDING],
        requests=book.requests,
        open_disputes=open_disputes,
        escrow_disputes=list(reversed(book.disputes)),
        assigned=assigned,
        parties=parties,
        now=clock.now(),
        ended=contract.ended_at is not None or book.ended_at is not None,
    )


# --- the client's plan ---------------------------------------------------------------------


@router.post(
    "/contracts/{contract_id}/milestones", include_in_schema=False, dependencies=[CsrfChecked]
)
def add_milestone(
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    title: Annotated[str, Form(min_length=1, max_length=200)],
    amount: Annotated[str, Form(max_length=20)],
    description: Annotated[str, Form(max_length=4000)] = "",
    due_date: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    cents = parse_amount(amount, "Amount")
    due = _parse_date(due_date)
    now = clock.now()
    contract = _apply(
        session,
        viewer,
        contract_id,
        now,
        "milestone_added",
        lambda book, actor: rules.add_milestone(
            book,
            actor,
            title=title,
            description=description,
            due_date=due,
            amount_cents=cents,
            now=now,
        ),
    )
    return _back(
        contract_id, f"Milestone “{title}” added ({money_text(cents, contract.currency)}).", secret
    )


@router.post(
    "/contracts/{contract_id}/milestones/{seq}/activate",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def activate(
    contract_id: int,
    seq: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
) -> Response:
    now = clock.now()
    _apply(
        session,
        viewer,
        contract_id,
        now,
        "milestone_activated",
        lambda book, actor: rules.activate(book, actor, seq, now=now),
    )
    return _back(contract_id, f"Milestone {seq} is active and funded in escrow.", secret)


@router.post(
    "/contracts/{contract_id}/milestones/{seq}/delete",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def delete_milestone(
    contract_id: int,
    seq: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
) -> Response:
    now = clock.now()
    _apply(
        session,
        viewer,
        contract_id,
        now,
        "milestone_deleted",
        lambda book, actor: rules.delete_milestone(book, actor, seq, now=now),
    )
    return _back(contract_id, f"Milestone {seq} deleted.", secret)


@router.post(
    "/contracts/{contract_id}/milestones/{seq}/submit",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def submit(
    contract_id: int,
    seq: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    message: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    now = clock.now()
    _apply(
        session,
        viewer,
        contract_id,
        now,
        "milestone_submitted",
        lambda book, actor: rules.submit(book, actor, seq, message=message, now=now),
    )
    return _back(contract_id, f"Work on milestone {seq} submitted to the client.", secret)


@router.post(
    "/contracts/{contract_id}/milestones/{seq}/request-changes",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def request_changes(
    contract_id: int,
    seq: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    message: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    now = clock.now()
    _apply(
        session,
        viewer,
        contract_id,
        now,
        "milestone_changes_requested",
        lambda book, actor: rules.request_changes(book, actor, seq, message=message, now=now),
    )
    return _back(contract_id, f"Changes requested on milestone {seq}; it is active again.", secret)


@router.post(
    "/contracts/{contract_id}/milestones/{seq}/approve",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def approve(
    contract_id: int,
    seq: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    release: Annotated[str, Form(max_length=20)] = "",
    bonus: Annotated[str, Form(max_length=20)] = "",
    end_contract: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    release_cents = parse_amount(release, "Release") if release.strip() else None
    bonus_cents = parse_amount(bonus, "Bonus", allow_zero=True) if bonus.strip() else 0
    now = clock.now()
    contract = _apply(
        session,
        viewer,
        contract_id,
        now,
        "milestone_approved",
        lambda book, actor: rules.approve(
            book,
            actor,
            seq,
            now=now,
            release_cents=release_cents,
            bonus_cents=bonus_cents,
            end_contract=end_contract == "yes",
        ),
    )
    extra = f" plus a bonus of {money_text(bonus_cents, contract.currency)}" if bonus_cents else ""
    if end_contract == "yes":
        extra += "; the contract has ended and the escrow left was refunded to you"
    return _back(contract_id, f"Milestone {seq} approved and paid{extra}.", secret)


@router.post("/contracts/{contract_id}/end", include_in_schema=False, dependencies=[CsrfChecked])
def end_contract(
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
) -> Response:
    now = clock.now()
    _apply(
        session,
        viewer,
        contract_id,
        now,
        "contract_ended",
        lambda book, actor: rules.end_contract(book, actor, now=now),
    )
    return _back(
        contract_id, "The contract has ended; escrow left was refunded to the client.", secret
    )


# --- proposals -----------------------------------------------------------------------------


@router.post(
    "/contracts/{contract_id}/proposals", include_in_schema=False, dependencies=[CsrfChecked]
)
def propose(
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    change: Annotated[str, Form(pattern="^(add|edit|delete)$")],
    message: Annotated[str, Form(max_length=4000)] = "",
    milestone_seq: Annotated[str, Form(max_length=10)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    due_date: Annotated[str, Form(max_length=10)] = "",
    amount: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    kind = ChangeKind(change)
    seq: int | None = None
    if kind is not ChangeKind.ADD:
        if not milestone_seq.strip().isdigit():
            raise HTTPException(422, detail="Choose the milestone to change.")
        seq = int(milestone_seq)
    proposed = ProposalChange(
        kind=kind,
        milestone_seq=seq,
        title=title.strip() or None,
        description=description.strip() or None,
        due_date=_parse_date(due_date),
        amount_cents=parse_amount(amount, "Amount") if amount.strip() else None,
    )
    now = clock.now()
    _apply(
        session,
        viewer,
        contract_id,
        now,
        "proposal_made",
        lambda book, actor: rules.propose(
            book, actor, message=message.strip(), changes=(proposed,), now=now
        ),
    )
    return _back(contract_id, "Proposal sent; the client accepts or rejects it as a whole.", secret)


_PROPOSAL_DECISIONS: dict[str, tuple[Callable[..., Outcome], str]] = {
    "accept": (rules.accept_proposal, "Proposal accepted; the plan is updated."),
    "reject": (rules.reject_proposal, "Proposal rejected; the plan is unchanged."),
    "withdraw": (rules.withdraw_proposal, "Proposal withdrawn."),
}


@router.post(
    "/contracts/{contract_id}/proposals/{seq}/{decision}",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def decide_proposal(
    contract_id: int,
    seq: int,
    decision: str,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
) -> Response:
    if decision not in _PROPOSAL_DECISIONS:
        raise HTTPException(404, detail="No such action on a proposal.")
    operation, message = _PROPOSAL_DECISIONS[decision]
    now = clock.now()
    _apply(
        session,
        viewer,
        contract_id,
        now,
        f"proposal_{decision}",
        lambda book, actor: operation(book, actor, seq, now=now),
    )
    return _back(contract_id, message, secret)


# --- milestone requests (hourly contracts) -----------------------------------------------


@router.post(
    "/contracts/{contract_id}/milestone-requests",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def request_payment(
    contract_id: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    amount: Annotated[str, Form(max_length=20)],
    description: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    cents = parse_amount(amount, "Amount")
    now = clock.now()
    _apply(
        session,
        viewer,
        contract_id,
        now,
        "milestone_requested",
        lambda book, actor: rules.request_milestone(
            book, actor, amount_cents=cents, description=description, now=now
        ),
    )
    return _back(contract_id, "Milestone payment requested from the client.", secret)


_REQUEST_DECISIONS: dict[str, tuple[Callable[..., Outcome], str]] = {
    "accept": (rules.accept_request, "Request accepted: the payment is funded in escrow."),
    "decline": (rules.decline_request, "Request declined."),
}


@router.post(
    "/contracts/{contract_id}/milestone-requests/{seq}/{decision}",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def decide_request(
    contract_id: int,
    seq: int,
    decision: str,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
) -> Response:
    if decision not in _REQUEST_DECISIONS:
        raise HTTPException(404, detail="No such action on a request.")
    operation, message = _REQUEST_DECISIONS[decision]
    now = clock.now()
    _apply(
        session,
        viewer,
        contract_id,
        now,
        f"milestone_request_{decision}",
        lambda book, actor: operation(book, actor, seq, now=now),
    )
    return _back(contract_id, message, secret)


# --- escrow disputes ------------------------------------------------------------------------


@router.post(
    "/contracts/{contract_id}/milestones/{seq}/dispute",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def dispute_escrow(
    contract_id: int,
    seq: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    reason: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    now = clock.now()
    _apply(
        session,
        viewer,
        contract_id,
        now,
        "escrow_dispute_opened",
        lambda book, actor: rules.open_escrow_dispute(book, actor, seq, reason=reason, now=now),
    )
    return _back(
        contract_id, f"Escrow of milestone {seq} is disputed; an admin will split it.", secret
    )


# --- escrow disputes: the admin's side ---------------------------------------------------


@router.post(
    "/escrow-disputes/{dispute_id}/assign", include_in_schema=False, dependencies=[CsrfChecked]
)
def take_escrow_dispute(
    dispute_id: int, session: SessionDep, clock: ClockDep, viewer: ViewerDep, secret: SecretDep
) -> Response:
    if viewer.role != Role.ADMIN:
        raise HTTPException(403, detail="Only an admin takes disputes.")
    row = milestones_db.take_escrow_dispute(session, dispute_id, viewer.user, now=clock.now())
    session.commit()
    return _back(
        row.contract_id, f"Escrow dispute {row.seq} is yours: record the split below.", secret
    )


@router.post(
    "/contracts/{contract_id}/escrow-disputes/{seq}/resolve",
    include_in_schema=False,
    dependencies=[CsrfChecked],
)
def resolve_escrow_dispute(
    contract_id: int,
    seq: int,
    session: SessionDep,
    clock: ClockDep,
    viewer: ViewerDep,
    secret: SecretDep,
    to_freelancer: Annotated[str, Form(max_length=20)],
    to_client: Annotated[str, Form(max_length=20)],
) -> Response:
    access = _access(session, viewer, contract_id)
    if access.role != Role.ADMIN:
        raise HTTPException(403, detail="Only the admin assigned to the dispute settles it.")
    freelancer_cents = parse_amount(to_freelancer, "To the freelancer", allow_zero=True)
    client_cents = parse_amount(to_client, "Back to the client", allow_zero=True)
    milestones_db.require_assigned(session, access.contract, seq, viewer.user)
    now = clock.now()
    _apply(
        session,
        viewer,
        contract_id,
        now,
        "escrow_dispute_resolved",
        lambda book, actor: rules.resolve_escrow_dispute(
            book,
            actor,
            seq,
            to_freelancer_cents=freelancer_cents,
            to_client_cents=client_cents,
            now=now,
        ),
    )
    return _back(contract_id, f"Escrow dispute {seq} settled.", secret)
