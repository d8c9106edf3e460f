"""Random sequences of every fixed-price operation, by every role, with time moving.

A refused operation must raise a :class:`MilestoneError` with a message and leave the
book exactly as it was; an accepted one must post cleanly to the ledger. After every
step the ledger sums to zero per currency, no balance but client funding is negative,
and escrow equals funded − released − refunded.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from billing.domain import ledger
from billing.domain import milestones as ms
from billing.domain.milestones_model import (
    FUNDED_STATES,
    Account,
    Actor,
    ChangeKind,
    ContractKind,
    DisputeState,
    EscrowBook,
    MilestoneError,
    MilestoneOrigin,
    MilestoneState,
    ProposalChange,
    ProposalState,
)
from billing.domain.milestones_rules import Outcome
from tests.billing.milestones_support import Books
from tracker.clock import ManualClock, utc


def mostly(*choices: object, rarely: list[object]) -> st.SearchStrategy[object]:
    """Valid values most of the time, so random runs get deep; invalid ones now and then."""
    return st.sampled_from([*choices, *choices, *choices, *choices, *rarely])


def by(role: Actor) -> st.SearchStrategy[Actor]:
    return st.sampled_from([role] * 6 + list(Actor))


actors = st.sampled_from(list(Actor))
seqs = st.integers(min_value=1, max_value=5)
amounts = st.one_of(
    st.integers(min_value=1, max_value=5000), st.integers(1, 5000), st.integers(-5, 0)
)
texts = mostly("work", rarely=["", "  ", "x" * 201])
maybe_amounts = st.none() | amounts
picks = st.integers(min_value=0, max_value=50)
any_change = st.builds(
    ProposalChange,
    kind=st.sampled_from(list(ChangeKind)),
    milestone_seq=st.none() | seqs,
    title=st.none() | texts,
    description=st.none() | texts,
    due_date=st.none() | st.just(date(2026, 6, 1)),
    amount_cents=maybe_amounts,
)
adds = st.builds(ProposalChange, kind=st.just(ChangeKind.ADD), title=texts, amount_cents=amounts)
changes = st.one_of(
    adds,
    adds,
    st.builds(
        ProposalChange,
        kind=st.just(ChangeKind.EDIT),
        milestone_seq=seqs,
        title=st.none() | texts,
        amount_cents=st.none() | st.integers(1, 9000),
    ),
    st.builds(ProposalChange, kind=st.just(ChangeKind.DELETE), milestone_seq=seqs),
    any_change,
)


class EscrowMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.books = Books()
        self.fixed = self.books.open(1, ContractKind.FIXED)
        self.hourly = self.books.open(2, ContractKind.HOURLY)
        self.clock = ManualClock(utc(2026, 3, 2))
        self.refusals = 0
        # Start from a plan and a pending request, so random runs reach the deep states.
        for amount in (1500, 2000, 700):
            ms.add_milestone(
                self.fixed,
                Actor.CLIENT,
                title="seeded",
                description="",
                due_date=None,
                amount_cents=amount,
                now=self.clock.now(),
            )
        ms.request_milestone(
            self.hourly,
            Actor.FREELANCER,
            amount_cents=900,
            description="seeded",
            now=self.clock.now(),
        )

    def _book(self, hourly: bool) -> EscrowBook:
        return self.hourly if hourly else self.fixed

    def _seq(self, book: EscrowBook, pick: int, *, funded: bool = False) -> int:
        """A milestone worth acting on most of the time (the next to activate, or a funded
        one), any other now and then, and sometimes one that does not exist."""
        if funded:
            preferred = [m.seq for m in book.milestones if m.state in FUNDED_STATES]
        else:
            preferred = [
                m.seq
                for m in book.milestones
                if m.origin is MilestoneOrigin.PLAN and m.state is MilestoneState.PLANNED
            ][:1]
        every = [m.seq for m in book.milestones]
        candidates = preferred * 8 + every + [len(every) + 1]
        return candidates[pick % len(candidates)]

    @staticmethod
    def _latest(seqs: list[int], pick: int) -> int:
        """Mostly the newest of ``seqs`` (proposal, request, dispute), sometimes another."""
        if not seqs:
            return 1
        return seqs[-1] if pick % 4 else seqs[pick % len(seqs)]

    def _attempt(self, book: EscrowBook, operation: Callable[[], Outcome]) -> None:
        before = copy.deepcopy(book)
        try:
            outcome = operation()
        except MilestoneError as refused:
            assert refused.message, "a refusal says why"
            assert book == before, "a refused operation changed the book"
            self.refusals += 1
            return
        self.books.post(book, outcome)
        # Replaying the same transfers changes nothing (idempotency keys).
        assert self.books.post(book, outcome) is outcome
        assert all(t.amount_cents > 0 for t in outcome.transfers)

    @rule(actor=by(Actor.CLIENT), title=texts, amount=amounts)
    def add(self, actor: Actor, title: str, amount: int) -> None:
        self._attempt(
            self.fixed,
            lambda: ms.add_milestone(
                self.fixed,
                actor,
                title=title,
                description="d",
                due_date=None,
                amount_cents=amount,
                now=self.clock.now(),
            ),
        )

    @rule(actor=by(Actor.CLIENT), pick=picks, title=st.none() | texts, amount=maybe_amounts)
    def edit(self, actor: Actor, pick: int, title: str | None, amount: int | None) -> None:
        seq = self._seq(self.fixed, pick)
        self._attempt(
            self.fixed,
            lambda: ms.edit_milestone(
                self.fixed, actor, seq, title=title, amount_cents=amount, now=self.clock.now()
            ),
        )

    @rule(actor=by(Actor.CLIENT), pick=picks)
    def delete(self, actor: Actor, pick: int) -> None:
        seq = self._seq(self.fixed, pick)
        self._attempt(
            self.fixed, lambda: ms.delete_milestone(self.fixed, actor, seq, now=self.clock.now())
        )

    @rule(actor=by(Actor.CLIENT), pick=picks)
    def activate(self, actor: Actor, pick: int) -> None:
        seq = self._seq(self.fixed, pick)
        self._attempt(self.fixed, lambda: ms.activate(self.fixed, actor, seq, now=self.clock.now()))

    @rule(actor=by(Actor.FREELANCER), pick=picks, hourly=st.booleans(), message=texts)
    def submit(self, actor: Actor, pick: int, hourly: bool, message: str) -> None:
        book = self._book(hourly)
        seq = self._seq(book, pick, funded=True)
        self._attempt(
            book, lambda: ms.submit(book, actor, seq, message=message, now=self.clock.now())
        )

    @rule(actor=by(Actor.CLIENT), pick=picks, hourly=st.booleans(), message=texts)
    def request_changes(self, actor: Actor, pick: int, hourly: bool, message: str) -> None:
        book = self._book(hourly)
        seq = self._seq(book, pick, funded=True)
        self._attempt(
            book,
            lambda: ms.request_changes(book, actor, seq, message=message, now=self.clock.now()),
        )

    @rule(
        actor=by(Actor.CLIENT),
        pick=picks,
        hourly=st.booleans(),
        release=maybe_amounts,
        bonus=st.sampled_from([0, 0, 0, 1, 250, -1]),
        end=st.booleans(),
    )
    def approve(
        self, actor: Actor, pick: int, hourly: bool, release: int | None, bonus: int, end: bool
    ) -> None:
        book = self._book(hourly)
        seq = self._seq(book, pick, funded=True)
        self._attempt(
            book,
            lambda: ms.approve(
                book,
                actor,
                seq,
                release_cents=release,
                bonus_cents=bonus,
                end_contract=end,
                now=self.clock.now(),
            ),
        )

    @rule(actor=actors, hourly=st.booleans(), roll=st.integers(0, 30))
    def end(self, actor: Actor, hourly: bool, roll: int) -> None:
        if roll != 17:  # ending is final: keep it rare so runs get deep first
            return
        book = self._book(hourly)
        self._attempt(book, lambda: ms.end_contract(book, actor, now=self.clock.now()))

    @rule(hourly=st.booleans(), roll=st.integers(0, 30))
    def ended_elsewhere(self, hourly: bool, roll: int) -> None:
        """The contract's own "end" action: escrow is refunded, disputed escrow waits."""
        if roll != 13:
            return
        book = self._book(hourly)
        self._attempt(book, lambda: ms.settle_external_end(book, ended_at=self.clock.now()))

    @rule(actor=by(Actor.FREELANCER), proposed=st.lists(changes, min_size=0, max_size=3))
    def propose(self, actor: Actor, proposed: list[ProposalChange]) -> None:
        self._attempt(
            self.fixed,
            lambda: ms.propose(
                self.fixed, actor, message="please", changes=tuple(proposed), now=self.clock.now()
            ),
        )

    @rule(
        actor=actors,
        pick=picks,
        decision=st.sampled_from(
            [ms.accept_proposal, ms.accept_proposal, ms.reject_proposal, ms.withdraw_proposal]
        ),
    )
    def decide_proposal(self, actor: Actor, pick: int, decision: Callable[..., Outcome]) -> None:
        seq = self._latest([p.seq for p in self.fixed.proposals], pick)
        self._attempt(self.fixed, lambda: decision(self.fixed, actor, seq, now=self.clock.now()))

    @rule(actor=by(Actor.FREELANCER), amount=amounts, hourly=st.booleans(), description=texts)
    def request_payment(self, actor: Actor, amount: int, hourly: bool, description: str) -> None:
        book = self._book(hourly)
        self._attempt(
            book,
            lambda: ms.request_milestone(
                book, actor, amount_cents=amount, description=description, now=self.clock.now()
            ),
        )

    @rule(
        actor=by(Actor.CLIENT),
        pick=picks,
        decision=st.sampled_from([ms.accept_request, ms.accept_request, ms.decline_request]),
    )
    def decide_request(self, actor: Actor, pick: int, decision: Callable[..., Outcome]) -> None:
        seq = self._latest([r.seq for r in self.hourly.requests], pick)
        self._attempt(self.hourly, lambda: decision(self.hourly, actor, seq, now=self.clock.now()))

    @rule(actor=actors, pick=picks, hourly=st.booleans(), reason=texts)
    def dispute(self, actor: Actor, pick: int, hourly: bool, reason: str) -> None:
        book = self._book(hourly)
        seq = self._seq(book, pick, funded=True)
        self._attempt(
            book,
            lambda: ms.open_escrow_dispute(book, actor, seq, reason=reason, now=self.clock.now()),
        )

    @rule(
        actor=by(Actor.ADMIN),
        pick=picks,
        hourly=st.booleans(),
        share=st.floats(0, 1),
        off_by=st.sampled_from([0, 0, 0, 1, -1]),
    )
    def resolve(self, actor: Actor, pick: int, hourly: bool, share: float, off_by: int) -> None:
        book = self._book(hourly)
        seq = self._latest([d.seq for d in book.disputes], pick)
        held = next(
            (
                m.escrow_cents
                for d in book.disputes
                if d.seq == seq
                for m in book.milestones
                if m.seq == d.milestone_seq
            ),
            0,
        )
        to_freelancer = round(held * share)  # test data only; the rules never see a float
        self._attempt(
            book,
            lambda: ms.resolve_escrow_dispute(
                book,
                actor,
                seq,
                to_freelancer_cents=to_freelancer,
                to_client_cents=held - to_freelancer + off_by,
                now=self.clock.now(),
            ),
        )

    @rule(hours=st.integers(0, 48) | st.integers(0, 48) | st.integers(0, 24 * 20))
    def time_passes(self, hours: int) -> None:
        self.clock.advance(timedelta(hours=hours))
        for book in (self.fixed, self.hourly):
            self._attempt(book, lambda book=book: ms.run_due(book, now=self.clock.now()))

    # Well-aimed moves: the random rules above refuse most of what they try, so these
    # push runs through whole milestone lives (still by the rules, still checked).
    def _in(self, book: EscrowBook, state: MilestoneState) -> list[int]:
        return [m.seq for m in book.milestones if m.state is state]

    @precondition(lambda self: self._in(self.fixed, MilestoneState.PLANNED))
    @rule()
    def activate_next(self) -> None:
        seq = self._in(self.fixed, MilestoneState.PLANNED)[0]
        self._attempt(
            self.fixed, lambda: ms.activate(self.fixed, Actor.CLIENT, seq, now=self.clock.now())
        )

    @precondition(lambda self: self._in(self.fixed, MilestoneState.ACTIVE))
    @rule()
    def submit_active(self) -> None:
        seq = self._in(self.fixed, MilestoneState.ACTIVE)[0]
        self._attempt(
            self.fixed,
            lambda: ms.submit(
                self.fixed, Actor.FREELANCER, seq, message="done", now=self.clock.now()
            ),
        )

    @precondition(
        lambda self: (
            self._in(self.fixed, MilestoneState.SUBMITTED)
            + self._in(self.hourly, MilestoneState.ACTIVE)
        )
    )
    @rule(
        hourly=st.booleans(),
        release_share=st.sampled_from([None, None, 1, 2, 3]),
        bonus=st.sampled_from([0, 0, 100]),
        end=st.sampled_from([False] * 5 + [True]),
    )
    def approve_submitted(
        self, hourly: bool, release_share: int | None, bonus: int, end: bool
    ) -> None:
        book = self._book(hourly)
        ready = self._in(book, MilestoneState.SUBMITTED) + self._in(book, MilestoneState.ACTIVE)
        if not ready:
            return
        milestone = next(m for m in book.milestones if m.seq == ready[0])
        release = None if release_share is None else max(1, milestone.escrow_cents // release_share)
        self._attempt(
            book,
            lambda: ms.approve(
                book,
                Actor.CLIENT,
                milestone.seq,
                release_cents=release,
                bonus_cents=bonus,
                end_contract=end,
                now=self.clock.now(),
            ),
        )

    @precondition(
        lambda self: any(
            d.state is DisputeState.OPEN for b in (self.fixed, self.hourly) for d in b.disputes
        )
    )
    @rule(share=st.sampled_from([0, 1, 2]))
    def settle_open_dispute(self, share: int) -> None:
        for book in (self.fixed, self.hourly):
            for dispute in book.disputes:
                if dispute.state is not DisputeState.OPEN:
                    continue
                held = next(
                    m.escrow_cents for m in book.milestones if m.seq == dispute.milestone_seq
                )
                to_freelancer = held if share == 0 else held // (share + 1)
                self._attempt(
                    book,
                    partial(
                        ms.resolve_escrow_dispute,
                        book,
                        Actor.ADMIN,
                        dispute.seq,
                        to_freelancer_cents=to_freelancer,
                        to_client_cents=held - to_freelancer,
                        now=self.clock.now(),
                    ),
                )
                return

    @rule(raise_by=st.sampled_from([0, 1, 500]), delete=st.booleans())
    def propose_sensible(self, raise_by: int, delete: bool) -> None:
        proposed = [ProposalChange(ChangeKind.ADD, title="more", amount_cents=800)]
        open_ones = [
            m for m in self.fixed.milestones if m.state in (MilestoneState.PLANNED, *FUNDED_STATES)
        ]
        if open_ones and raise_by:
            target = open_ones[0]
            proposed.append(
                ProposalChange(
                    ChangeKind.EDIT,
                    milestone_seq=target.seq,
                    amount_cents=target.amount_cents + raise_by,
                )
            )
        planned = self._in(self.fixed, MilestoneState.PLANNED)
        if delete and planned and planned[-1] not in {c.milestone_seq for c in proposed}:
            proposed.append(ProposalChange(ChangeKind.DELETE, milestone_seq=planned[-1]))
        self._attempt(
            self.fixed,
            lambda: ms.propose(
                self.fixed,
                Actor.FREELANCER,
                message="",
                changes=tuple(proposed),
                now=self.clock.now(),
            ),
        )

    @precondition(lambda self: any(p.state is ProposalState.PENDING for p in self.fixed.proposals))
    @rule()
    def accept_pending_proposal(self) -> None:
        seq = self.fixed.proposals[-1].seq
        self._attempt(
            self.fixed,
            lambda: ms.accept_proposal(self.fixed, Actor.CLIENT, seq, now=self.clock.now()),
        )

    @invariant()
    def ledger_is_sound(self) -> None:
        assert (
            ledger.invariant_violations(self.books.ledger.balances, self.books.ledger.transfers)
            == []
        )

    @invariant()
    def escrow_matches_the_book(self) -> None:
        for book in (self.fixed, self.hourly):
            held = self.books.balance(book, Account.ESCROW)
            assert held == book.funded_cents - book.released_cents - book.refunded_cents
            assert held == book.escrow_cents
            assert book.carry_cents >= 0
            for milestone in book.milestones:
                assert milestone.escrow_cents >= 0
                if milestone.state not in FUNDED_STATES:
                    assert milestone.escrow_cents == 0
                else:
                    assert milestone.escrow_cents == milestone.amount_cents
        # One client on both contracts: their funding account pays for both.
        paid_in = sum(
            b.funded_cents + b.bonus_cents - b.refunded_cents for b in (self.fixed, self.hourly)
        )
        assert self.books.balance(self.fixed, Account.CLIENT_FUNDING) == -paid_in

    @invariant()
    def freelancer_balances_follow_the_earnings(self) -> None:
        earnings = self.fixed.earnings + self.hourly.earnings
        pending = sum(e.amount_cents for e in earnings if not e.made_available)
        available = sum(e.amount_cents for e in earnings if e.made_available)
        assert self.books.balance(self.fixed, Account.FREELANCER_PENDING) == pending
        assert self.books.balance(self.fixed, Account.FREELANCER_AVAILABLE) == available
        for earning in earnings:
            if not earning.made_available:
                assert earning.available_at > self.clock.now()

    @invariant()
    def at_most_one_active_and_in_order(self) -> None:
        plan = [m for m in self.fixed.milestones if m.origin is MilestoneOrigin.PLAN]
        funded = [m for m in plan if m.state in FUNDED_STATES]
        assert len(funded) <= 1
        for milestone in funded:
            assert all(
                m.state in (MilestoneState.RELEASED, MilestoneState.DELETED)
                for m in plan
                if m.seq < milestone.seq
            )


EscrowMachine.TestCase.settings = settings(
    max_examples=120,
    stateful_step_count=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestEscrowMachine = EscrowMachine.TestCase
