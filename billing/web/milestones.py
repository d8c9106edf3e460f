"""Fixed-price pages: the milestone plan with its escrow, and every action on it.

Each form is read into the JSON API's validated body (:mod:`billing.web.milestone_forms`),
handed to the same action of :mod:`billing.services.fixed_price` as the API calls, and
answered with a redirect back to the plan saying what happened. Whether an action is
allowed is decided there; the page only offers the buttons that make sense for the
viewer's role and the milestone's state, and shows the refusal if one comes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Form, HTTPException, Path, Response
from pydantic import BaseModel

from billing.access import author_role
from billing.api.deps import ClockDep, SessionDep
from billing.api.milestones_schemas import (
    Approval,
    ChangeRequest,
    EscrowDisputeCreate,
    EscrowSplit,
    MilestoneCreate,
    MilestoneRequestCreate,
    MilestoneUpdate,
    ProposalChangeIn,
    ProposalCreate,
    Submission,
)
from billing.domain.milestones import next_to_activate
from billing.domain.milestones_model import (
    DEFAULT_POLICY,
    DisputeState,
    EscrowBook,
    MilestoneState,
    ProposalState,
)
from billing.services import escrow_messages, fixed_price
from billing.services.fixed_price import SeqAction, TextAction
from billing.web import money_confirm
from billing.web.confirm import Confirmation, Confirmed, confirm_page, is_confirmed
from billing.web.deps import CsrfChecked, PageDep, SecretDep, ViewedContract, ViewerDep
from billing.web.formatting import money_text
from billing.web.milestone_forms import blank_as_none, minor_units, validated
from billing.web.render import redirect
from billing.web.route import WebRoute

router = APIRouter(route_class=WebRoute)
Handler = TypeVar("Handler", bound=Callable[..., Any])

Seq = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Form(max_length=5000)]
Short = Annotated[str, Form(max_length=20)]
STATE_TONES = {
    "planned": "",
    "active": "info",
    "submitted": "warn",
    "released": "good",
    "deleted": "",
    "cancelled": "",
}


def _back(access: ViewedContract, message: str, secret: bytes) -> Response:
    return _to_plan(access.contract.id, message, secret)


def _plan_url(contract_id: int) -> str:
    return f"/web/contracts/{contract_id}/milestones"


def _to_plan(contract_id: int, message: str, secret: bytes) -> Response:
    """Back to the contract's plan, saying what happened."""
    response: Response = redirect(_plan_url(contract_id), flash=message, secret=secret)
    return response


def _ask(
    page: PageDep,
    session: SessionDep,
    access: ViewedContract,
    confirmation_of: Callable[[EscrowBook], Confirmation],
    fields: dict[str, str] | None = None,
) -> Response:
    """The confirm step of a form that moves money, worded from the book as it is now;
    ``fields`` are posted again on confirming."""
    asked = confirmation_of(fixed_price.read_book(session, access.contract))
    return confirm_page(page, asked, back=_plan_url(access.contract.id), fields=fields)


def _post(path: str) -> Callable[[Handler], Handler]:
    """A form's route: CSRF-checked, not in the API's schema."""
    return router.post(path, include_in_schema=False, dependencies=[CsrfChecked])


# Buttons on one milestone, proposal or request: the action and what the page then says.
_BY_SEQ: dict[str, tuple[SeqAction, str]] = {
    "milestones/{seq}/delete": (fixed_price.delete_milestone, "Milestone {seq} deleted."),
    "proposals/{seq}/accept": (
        fixed_price.accept_proposal,
        "Proposal accepted; the plan is updated.",
    ),
    "proposals/{seq}/reject": (
        fixed_price.reject_proposal,
        "Proposal rejected; the plan is unchanged.",
    ),
    "proposals/{seq}/withdraw": (fixed_price.withdraw_proposal, "Proposal withdrawn."),
    "milestone-requests/{seq}/accept": (
        fixed_price.accept_request,
        "Request accepted: the payment is funded in escrow.",
    ),
    "milestone-requests/{seq}/decline": (fixed_price.decline_request, "Request declined."),
    "milestone-requests/{seq}/withdraw": (
        fixed_price.withdraw_request,
        "Request {seq} withdrawn; the client no longer sees it as waiting.",
    ),
}


def _by_seq(action: SeqAction, done: str) -> Callable[..., Response]:
    def page_action(
        seq: Seq, access: ViewedContract, session: SessionDep, clock: ClockDep, secret: SecretDep
    ) -> Response:
        action(session, access, seq, now=clock.now())
        return _back(access, done.format(seq=seq), secret)

    return page_action


for tail, (action, done) in _BY_SEQ.items():
    _post("/contracts/{contract_id}/" + tail)(_by_seq(action, done))

# Forms on one milestone that carry a text: the action, the form's field and its schema.
_WITH_TEXT: dict[str, tuple[TextAction, str, type[BaseModel], str]] = {
    "submit": (
        fixed_price.submit,
        "message",
        Submission,
        "Work on milestone {seq} submitted to the client.",
    ),
    "request-changes": (
        fixed_price.request_changes,
        "message",
        ChangeRequest,
        "Changes requested on milestone {seq}; it is active again.",
    ),
    "dispute": (
        fixed_price.open_escrow_dispute,
        "reason",
        EscrowDisputeCreate,
        "Escrow of milestone {seq} is disputed; an admin will split it.",
    ),
}


def _with_text(
    action: TextAction, field: str, schema: type[BaseModel], done: str
) -> Callable[..., Response]:
    def page_action(
        seq: Seq,
        access: ViewedContract,
        session: SessionDep,
        clock: ClockDep,
        secret: SecretDep,
        text: str = Form(alias=field, max_length=5000),
    ) -> Response:
        body = validated(schema, **{field: text})
        action(session, access, seq, getattr(body, field), now=clock.now())
        return _back(access, done.format(seq=seq), secret)

    return page_action


for tail, (texted, field, schema, done) in _WITH_TEXT.items():
    path = "/contracts/{contract_id}/milestones/{seq}/" + tail
    _post(path)(_with_text(texted, field, schema, done))


@router.get("/contracts/{contract_id}/milestones", include_in_schema=False)
def milestones_page(
    access: ViewedContract,
    session: SessionDep,
    clock: ClockDep,
    page: PageDep,
) -> Response:
    contract = access.contract
    view = fixed_price.view_book(session, contract)
    book = view.book
    proposals = book.proposals
    return page.render(
        "milestones.html",
        nav="contracts",
        contract=contract,
        role=access.role.value,
        book=book,
        milestones=[m for m in book.milestones if m.state is not MilestoneState.DELETED],
        titles={m.seq: m.title for m in book.milestones},
        next_planned=next_to_activate(book),
        pending=next((p for p in proposals if p.state is ProposalState.PENDING), None),
        past_proposals=[p for p in proposals if p.state is not ProposalState.PENDING],
        requests=book.requests,
        open_disputes={d.milestone_seq: d for d in book.disputes if d.state is DisputeState.OPEN},
        escrow_disputes=list(reversed(book.disputes)),
        assigned={seq: row.assigned_admin_id for seq, row in view.dispute_rows.items()},
        threads={
            seq: [(message, author, author_role(contract, author)) for message, author in thread]
            for seq, thread in escrow_messages.threads(session, contract).items()
        },
        parties={"client": view.client, "freelancer": view.freelancer},
        now=clock.now(),
        auto_approval_at=lambda submitted_at: submitted_at + DEFAULT_POLICY.auto_approve_after,
        ended=contract.ended_at is not None or book.ended_at is not None,
    )


# --- the client's plan ---------------------------------------------------------------------


@_post("/contracts/{contract_id}/milestones")
def add_milestone(
    access: ViewedContract,
    session: SessionDep,
    clock: ClockDep,
    secret: SecretDep,
    title: Annotated[str, Form(max_length=200)],
    amount: Short,
    description: Text = "",
    due_date: Short = "",
) -> Response:
    body = validated(
        MilestoneCreate,
        title=title,
        description=description,
        due_date=blank_as_none(due_date),
        amount_cents=minor_units(amount, "Amount", access.contract.currency),
    )
    fixed_price.add_milestone(session, access, **body.model_dump(), now=clock.now())
    added = money_text(body.amount_cents, access.contract.currency)
    return _back(access, f"Milestone “{body.title}” added ({added}).", secret)


@_post("/contracts/{contract_id}/milestones/{seq}/activate")
def activate(
    seq: Seq,
    access: ViewedContract,
    session: SessionDep,
    clock: ClockDep,
    page: PageDep,
    confirmed: Confirmed = "",
) -> Response:
    if not is_confirmed(confirmed):
        currency = access.contract.currency
        return _ask(page, session, access, lambda b: money_confirm.activation(b, seq, currency))
    fixed_price.activate(session, access, seq, now=clock.now())
    return _back(access, f"Milestone {seq} is active and funded in escrow.", page.secret)


@_post("/contracts/{contract_id}/milestones/{seq}/edit")
def edit_milestone(
    seq: Seq,
    access: ViewedContract,
    session: SessionDep,
    clock: ClockDep,
    secret: SecretDep,
    title: Annotated[str, Form(max_length=200)] = "",
    due_date: Short = "",
    clear_due_date: Annotated[str, Form(max_length=3)] = "",
    amount: Short = "",
) -> Response:
    """Client: change a future milestone; a blank field stays as it is."""
    body = validated(
        MilestoneUpdate,
        title=blank_as_none(title),
        due_date=blank_as_none(due_date),
        clear_due_date=clear_due_date == "yes",
        amount_cents=minor_units(amount, "Amount", access.contract.currency),
    )
    fixed_price.edit_milestone(session, access, seq, **body.model_dump(), now=clock.now())
    return _back(access, f"Milestone {seq} updated.", secret)


# --- the work ------------------------------------------------------------------------------


@_post("/contracts/{contract_id}/milestones/{seq}/approve")
def approve(
    seq: Seq,
    access: ViewedContract,
    session: SessionDep,
    clock: ClockDep,
    page: PageDep,
    release: Short = "",
    bonus: Short = "",
    end_contract: Annotated[str, Form(max_length=5)] = "",
    confirmed: Confirmed = "",
) -> Response:
    body = validated(
        Approval,
        release_cents=minor_units(release, "Release", access.contract.currency),
        bonus_cents=minor_units(bonus, "Bonus", access.contract.currency) or 0,
        end_contract=end_contract == "yes",
    )
    if not is_confirmed(confirmed):
        fields = {"release": release, "bonus": bonus, "end_contract": end_contract}
        currency = access.contract.currency
        return _ask(
            page, session, access, lambda b: money_confirm.approval(b, seq, body, currency), fields
        )
    secret = page.secret
    fixed_price.approve(session, access, seq, **body.model_dump(), now=clock.now())
    bonus_text = money_text(body.bonus_cents, access.contract.currency)
    extra = f" plus a bonus of {bonus_text}" if body.bonus_cents else ""
    if body.end_contract:
        extra += "; the contract has ended and the escrow left was refunded to you"
    return _back(access, f"Milestone {seq} approved and paid{extra}.", secret)


@_post("/contracts/{contract_id}/end")
def end_contract(
    access: ViewedContract,
    session: SessionDep,
    clock: ClockDep,
    page: PageDep,
    confirmed: Confirmed = "",
) -> Response:
    if not is_confirmed(confirmed):
        currency, role = access.contract.currency, access.role.value
        return _ask(page, session, access, lambda b: money_confirm.ending(b, currency, role))
    fixed_price.end_contract(session, access, now=clock.now())
    done = "The contract has ended; escrow left was refunded to the client."
    return _back(access, done, page.secret)


# --- proposals -----------------------------------------------------------------------------


@_post("/contracts/{contract_id}/proposals")
def propose(
    access: ViewedContract,
    session: SessionDep,
    clock: ClockDep,
    secret: SecretDep,
    change: Annotated[str, Form(pattern="^(add|edit|delete)$")],
    message: Text = "",
    milestone_seq: Short = "",
    title: Annotated[str, Form(max_length=200)] = "",
    description: Text = "",
    due_date: Short = "",
    amount: Short = "",
    clear_due_date: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    if change != "add" and not milestone_seq.strip().isdigit():
        raise HTTPException(422, detail="Choose the milestone to change.")
    proposed = validated(
        ProposalChangeIn,
        kind=change,
        milestone_seq=None if change == "add" else int(milestone_seq),
        title=blank_as_none(title),
        description=blank_as_none(description),
        due_date=blank_as_none(due_date),
        amount_cents=minor_units(amount, "Amount", access.contract.currency),
        clear_due_date=clear_due_date == "yes",
    )
    body = validated(ProposalCreate, message=message.strip(), changes=[proposed])
    changes = tuple(c.to_domain() for c in body.changes)
    fixed_price.propose(session, access, message=body.message, changes=changes, now=clock.now())
    return _back(access, "Proposal sent; the client accepts or rejects it as a whole.", secret)


# --- milestone requests (hourly contracts) -----------------------------------------------


@_post("/contracts/{contract_id}/milestone-requests")
def request_payment(
    access: ViewedContract,
    session: SessionDep,
    clock: ClockDep,
    secret: SecretDep,
    amount: Short,
    description: Text,
) -> Response:
    body = validated(
        MilestoneRequestCreate,
        amount_cents=minor_units(amount, "Amount", access.contract.currency),
        description=description,
    )
    fixed_price.request_milestone(session, access, **body.model_dump(), now=clock.now())
    return _back(access, "Milestone payment requested from the client.", secret)


# --- escrow disputes ------------------------------------------------------------------------


@_post("/escrow-disputes/{dispute_id}/assign")
def take_escrow_dispute(
    dispute_id: Seq, session: SessionDep, clock: ClockDep, viewer: ViewerDep, secret: SecretDep
) -> Response:
    row = fixed_price.take_escrow_dispute(session, viewer.user, dispute_id, now=clock.now())
    flash = f"Escrow dispute {row.seq} is yours: record the split below."
    return _to_plan(row.contract_id, flash, secret)


@_post("/contracts/{contract_id}/escrow-disputes/{seq}/messages")
def add_escrow_message(
    seq: Seq,
    access: ViewedContract,
    session: SessionDep,
    clock: ClockDep,
    secret: SecretDep,
    body: Text = "",
) -> Response:
    if not body.strip():
        raise HTTPException(422, detail="Write a message first.")
    escrow_messages.add_message(session, access, seq, body, now=clock.now())
    return _back(access, f"Message added to escrow dispute {seq}.", secret)


@_post("/contracts/{contract_id}/escrow-disputes/{seq}/resolve")
def resolve_escrow_dispute(
    seq: Seq,
    access: ViewedContract,
    session: SessionDep,
    clock: ClockDep,
    secret: SecretDep,
    to_freelancer: Short,
    to_client: Short,
) -> Response:
    currency = access.contract.currency
    body = validated(
        EscrowSplit,
        to_freelancer_cents=minor_units(to_freelancer, "To the freelancer", currency),
        to_client_cents=minor_units(to_client, "Back to the client", currency),
    )
    fixed_price.resolve_escrow_dispute(session, access, seq, **body.model_dump(), now=clock.now())
    return _back(access, f"Escrow dispute {seq} settled.", secret)
