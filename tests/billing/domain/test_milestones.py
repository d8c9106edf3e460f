"""The fixed-price rules, one at a time, on the pure domain and an in-memory ledger."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest

from billing.domain import milestones as ms
from billing.domain.milestones_model import (
    Account,
    Actor,
    ChangeKind,
    ContractKind,
    EscrowBook,
    MilestoneConflict,
    MilestoneForbidden,
    MilestoneInvalid,
    MilestoneState,
    ProposalChange,
    ProposalState,
    RequestState,
)
from tests.billing.milestones_support import Books
from tracker.clock import ManualClock, utc

START = utc(2026, 3, 2, 9)
CLIENT, FREELANCER, ADMIN = Actor.CLIENT, Actor.FREELANCER, Actor.ADMIN


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def books() -> Books:
    return Books()


def _fixed(books: Books, *amounts: int) -> EscrowBook:
    book = books.open(10, ContractKind.FIXED)
    for number, amount in enumerate(amounts, start=1):
        ms.add_milestone(
            book,
            CLIENT,
            title=f"Part {number}",
            description="",
            due_date=None,
            amount_cents=amount,
            now=START,
        )
    return book


def _deliver(books: Books, book: EscrowBook, seq: int, clock: ManualClock) -> None:
    books.post(book, ms.activate(book, CLIENT, seq, now=clock.now()))
    ms.submit(book, FREELANCER, seq, message="done", now=clock.now())


def test_worked_example_release_less_carries_the_remainder(
    books: Books, clock: ManualClock
) -> None:
    book = _fixed(books, 1500, 2000)
    _deliver(books, book, 1, clock)
    assert books.balance(book, Account.ESCROW) == 1500

    books.post(book, ms.approve(book, CLIENT, 1, release_cents=900, now=clock.now()))
    assert books.balance(book, Account.FREELANCER_PENDING) == 900
    assert books.balance(book, Account.ESCROW) == 600
    assert book.carry_cents == 600

    # The 6.00 left funds the next milestone: the client adds only 14.00.
    outcome = books.post(book, ms.activate(book, CLIENT, 2, now=clock.now()))
    assert [t.amount_cents for t in outcome.transfers] == [1400]
    assert books.balance(book, Account.CLIENT_FUNDING) == -2900
    assert books.balance(book, Account.ESCROW) == 2000
    assert book.milestones[1].carried_in_cents == 600


def test_worked_example_with_the_contract_ending_refunds_the_remainder(
    books: Books, clock: ManualClock
) -> None:
    book = _fixed(books, 1500, 2000)
    _deliver(books, book, 1, clock)
    outcome = books.post(
        book, ms.approve(book, CLIENT, 1, release_cents=900, end_contract=True, now=clock.now())
    )
    assert [(t.destination, t.amount_cents) for t in outcome.transfers] == [
        (Account.FREELANCER_PENDING, 900),
        (Account.CLIENT_FUNDING, 600),
    ]
    assert books.balance(book, Account.ESCROW) == 0
    assert books.balance(book, Account.CLIENT_FUNDING) == -900
    assert book.ended_at == START
    assert book.milestones[1].state is MilestoneState.CANCELLED
    with pytest.raises(MilestoneConflict, match="ended"):
        ms.activate(book, CLIENT, 2, now=clock.now())


def test_activation_is_in_creation_order_and_one_at_a_time(
    books: Books, clock: ManualClock
) -> None:
    book = _fixed(books, 100, 200, 300)
    with pytest.raises(MilestoneConflict, match="milestone 1 comes first"):
        ms.activate(book, CLIENT, 2, now=clock.now())
    ms.delete_milestone(book, CLIENT, 1, now=clock.now())
    books.post(book, ms.activate(book, CLIENT, 2, now=clock.now()))
    with pytest.raises(MilestoneConflict, match="milestone 2 comes first"):
        ms.activate(book, CLIENT, 3, now=clock.now())
    with pytest.raises(MilestoneForbidden):
        ms.activate(book, FREELANCER, 3, now=clock.now())


def test_bonus_is_paid_beyond_escrow(books: Books, clock: ManualClock) -> None:
    book = _fixed(books, 1000)
    _deliver(books, book, 1, clock)
    books.post(book, ms.approve(book, CLIENT, 1, bonus_cents=250, now=clock.now()))
    assert books.balance(book, Account.FREELANCER_PENDING) == 1250
    assert books.balance(book, Account.CLIENT_FUNDING) == -1250
    assert books.balance(book, Account.ESCROW) == 0


def test_changes_requested_send_work_back_and_approval_needs_submission(
    books: Books, clock: ManualClock
) -> None:
    book = _fixed(books, 1000)
    _deliver(books, book, 1, clock)
    ms.request_changes(book, CLIENT, 1, message="please fix the header", now=clock.now())
    assert book.milestones[0].state is MilestoneState.ACTIVE
    with pytest.raises(MilestoneConflict, match="only submitted work"):
        ms.approve(book, CLIENT, 1, now=clock.now())
    with pytest.raises(MilestoneInvalid):
        ms.submit(book, FREELANCER, 1, message="   ", now=clock.now())


def test_auto_approval_after_fourteen_quiet_days_then_available_after_five(
    books: Books, clock: ManualClock
) -> None:
    book = _fixed(books, 1000)
    _deliver(books, book, 1, clock)
    clock.advance(timedelta(days=14) - timedelta(seconds=1))
    assert books.post(book, ms.run_due(book, now=clock.now())).transfers == ()
    clock.advance(timedelta(seconds=1))
    books.post(book, ms.run_due(book, now=clock.now()))
    assert book.milestones[0].state is MilestoneState.RELEASED
    assert book.milestones[0].auto_approved
    assert books.balance(book, Account.FREELANCER_PENDING) == 1000
    clock.advance(timedelta(days=5))
    books.post(book, ms.run_due(book, now=clock.now()))
    assert books.balance(book, Account.FREELANCER_AVAILABLE) == 1000
    # Running the jobs again at the same instant changes nothing.
    assert ms.run_due(book, now=clock.now()).transfers == ()


def test_a_late_job_run_gives_the_same_instants(books: Books, clock: ManualClock) -> None:
    book = _fixed(books, 1000)
    _deliver(books, book, 1, clock)
    clock.advance(timedelta(days=30))
    outcome = books.post(book, ms.run_due(book, now=clock.now()))
    assert len(outcome.transfers) == 2  # released, and already past the security period
    assert book.milestones[0].released_at == START + timedelta(days=14)


def test_proposal_raise_on_the_active_milestone_is_funded_on_acceptance(
    books: Books, clock: ManualClock
) -> None:
    book = _fixed(books, 1000, 500)
    books.post(book, ms.activate(book, CLIENT, 1, now=clock.now()))
    changes = (
        ProposalChange(ChangeKind.EDIT, milestone_seq=1, amount_cents=1300, title="Bigger"),
        ProposalChange(ChangeKind.DELETE, milestone_seq=2),
        ProposalChange(ChangeKind.ADD, title="Extra", amount_cents=700, due_date=date(2026, 4, 1)),
    )
    outcome = ms.propose(book, FREELANCER, message="scope grew", changes=changes, now=clock.now())
    assert outcome.created_seq == 1
    with pytest.raises(MilestoneConflict, match="pending proposal"):
        ms.edit_milestone(book, CLIENT, 2, amount_cents=10, now=clock.now())
    with pytest.raises(MilestoneConflict, match="already pending"):
        ms.propose(book, FREELANCER, message="", changes=changes, now=clock.now())
    clock.advance(timedelta(days=400))  # a proposal never expires
    books.post(book, ms.accept_proposal(book, CLIENT, 1, now=clock.now()))
    assert books.balance(book, Account.ESCROW) == 1300
    first, second, third = book.milestones
    assert (first.title, first.amount_cents, first.escrow_cents) == ("Bigger", 1300, 1300)
    assert second.state is MilestoneState.DELETED
    assert (third.seq, third.title, third.state) == (3, "Extra", MilestoneState.PLANNED)
    assert book.proposals[0].state is ProposalState.ACCEPTED


def test_proposals_cannot_lower_amounts_or_delete_funded_milestones(
    books: Books, clock: ManualClock
) -> None:
    book = _fixed(books, 1000, 500)
    books.post(book, ms.activate(book, CLIENT, 1, now=clock.now()))
    with pytest.raises(MilestoneInvalid, match="only raise"):
        ms.propose(
            book,
            FREELANCER,
            message="",
            now=clock.now(),
            changes=(ProposalChange(ChangeKind.EDIT, milestone_seq=2, amount_cents=400),),
        )
    with pytest.raises(MilestoneConflict, match="never active"):
        ms.propose(
            book,
            FREELANCER,
            message="",
            now=clock.now(),
            changes=(ProposalChange(ChangeKind.DELETE, milestone_seq=1),),
        )
    ms.propose(
        book,
        FREELANCER,
        message="",
        now=clock.now(),
        changes=(ProposalChange(ChangeKind.EDIT, milestone_seq=2, title="Renamed"),),
    )
    ms.withdraw_proposal(book, FREELANCER, 1, now=clock.now())
    with pytest.raises(MilestoneConflict, match="withdrawn"):
        ms.accept_proposal(book, CLIENT, 1, now=clock.now())


def test_milestone_request_on_an_hourly_contract(books: Books, clock: ManualClock) -> None:
    book = books.open(11, ContractKind.HOURLY, currency="EUR")
    outcome = ms.request_milestone(
        book, FREELANCER, amount_cents=5000, description="Server migration", now=clock.now()
    )
    assert outcome.transfers == ()  # asking moves no money
    accepted = books.post(book, ms.accept_request(book, CLIENT, 1, now=clock.now()))
    assert accepted.transfers[0].currency == "EUR"
    assert books.balance(book, Account.ESCROW) == 5000
    books.post(book, ms.approve(book, CLIENT, 1, release_cents=4000, now=clock.now()))
    # No next milestone on an hourly contract: the remainder goes back at once.
    assert books.balance(book, Account.ESCROW) == 0
    assert books.balance(book, Account.CLIENT_FUNDING) == -4000
    ms.request_milestone(book, FREELANCER, amount_cents=10, description="x", now=clock.now())
    ms.decline_request(book, CLIENT, 2, now=clock.now())
    assert book.requests[1].state is RequestState.DECLINED
    with pytest.raises(MilestoneConflict, match="hourly"):
        ms.request_milestone(
            _fixed(books, 100), FREELANCER, amount_cents=1, description="x", now=clock.now()
        )


def test_ending_refunds_escrow_but_not_while_work_is_submitted(
    books: Books, clock: ManualClock
) -> None:
    book = _fixed(books, 1000, 500)
    _deliver(books, book, 1, clock)
    with pytest.raises(MilestoneConflict, match="submitted work"):
        ms.end_contract(book, FREELANCER, now=clock.now())
    ms.request_changes(book, CLIENT, 1, message="no", now=clock.now())
    books.post(book, ms.end_contract(book, FREELANCER, now=clock.now()))
    assert books.balance(book, Account.ESCROW) == 0
    assert books.balance(book, Account.CLIENT_FUNDING) == 0
    assert [m.state for m in book.milestones] == [MilestoneState.CANCELLED] * 2


def test_escrow_dispute_freezes_the_milestone_and_the_split_must_match(
    books: Books, clock: ManualClock
) -> None:
    book = _fixed(books, 1000)
    _deliver(books, book, 1, clock)
    ms.open_escrow_dispute(book, FREELANCER, 1, reason="client went silent", now=clock.now())
    with pytest.raises(MilestoneConflict, match="dispute"):
        ms.approve(book, CLIENT, 1, now=clock.now())
    clock.advance(timedelta(days=20))
    assert ms.run_due(book, now=clock.now()).transfers == ()  # no auto-approval meanwhile
    with pytest.raises(MilestoneForbidden):
        ms.resolve_escrow_dispute(
            book, CLIENT, 1, to_freelancer_cents=1000, to_client_cents=0, now=clock.now()
        )
    before = copy.deepcopy(book)
    with pytest.raises(MilestoneInvalid, match="add up to the escrow held: 1000"):
        ms.resolve_escrow_dispute(
            book, ADMIN, 1, to_freelancer_cents=700, to_client_cents=200, now=clock.now()
        )
    assert book == before
    books.post(
        book,
        ms.resolve_escrow_dispute(
            book, ADMIN, 1, to_freelancer_cents=700, to_client_cents=300, now=clock.now()
        ),
    )
    assert books.balance(book, Account.FREELANCER_PENDING) == 700
    assert books.balance(book, Account.CLIENT_FUNDING) == -700
    assert book.milestones[0].state is MilestoneState.RELEASED


def test_what_waits_on_whom(books: Books, clock: ManualClock) -> None:
    book = _fixed(books, 1000, 500)
    assert ms.pending_actions(book, CLIENT) == ["Milestone 1 to fund"]
    books.post(book, ms.activate(book, CLIENT, 1, now=clock.now()))
    assert ms.pending_actions(book, CLIENT) == []
    assert ms.pending_actions(book, FREELANCER) == ["Milestone 1 to deliver"]
    ms.submit(book, FREELANCER, 1, message="done", now=clock.now())
    ms.propose(
        book,
        FREELANCER,
        message="",
        now=clock.now(),
        changes=(ProposalChange(ChangeKind.ADD, title="More", amount_cents=10),),
    )
    assert ms.pending_actions(book, CLIENT) == ["Milestone 1 to review", "Proposal 1 to answer"]
    ms.request_changes(book, CLIENT, 1, message="again", now=clock.now())
    assert ms.pending_actions(book, FREELANCER) == ["Changes requested on milestone 1"]
