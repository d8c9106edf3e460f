"""The ledger's invariants: a hypothesis property test on the pure model, and the stored
ledger checked against that model on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.db import ledger as stored
from billing.db.errors import Conflict
from billing.db.session import make_session_factory, unit_of_work
from billing.domain import ledger
from billing.domain.ledger import (
    IdempotencyConflict,
    InsufficientFunds,
    Ledger,
    Transfer,
    invariant_violations,
)
from tests.support.db import migrated_engine
from tracker.clock import utc

CURRENCIES = ("USD", "EUR")
CLIENTS = (1, 2)
FREELANCERS = (3, 4)
CONTRACTS = (10, 11)


@dataclass
class World:
    """The model plus what the test remembers: invoices and their totals."""

    book: Ledger = field(default_factory=Ledger)
    invoices: dict[int, int] = field(default_factory=dict)
    invoice_owner: dict[int, tuple[int, str]] = field(default_factory=dict)
    next_id: int = 1

    def key(self, kind: str) -> str:
        self.next_id += 1
        return f"{kind}:{self.next_id}"


Op = tuple[str, int, int, int, str, int]  # kind, client, freelancer, contract, currency, amount

operations = st.lists(
    st.tuples(
        st.sampled_from(["charge", "release", "fund", "pay", "refund", "replay", "fee"]),
        st.sampled_from(CLIENTS),
        st.sampled_from(FREELANCERS),
        st.sampled_from(CONTRACTS),
        st.sampled_from(CURRENCIES),
        st.integers(min_value=0, max_value=50_000),
    ),
    max_size=40,
)


def transfers_for(world: World, op: Op) -> list[Transfer]:
    kind, client, freelancer, contract, currency, amount = op
    if kind in ("charge", "fee"):
        invoice_id = world.next_id = world.next_id + 1
        made = ledger.invoice_charge(
            invoice_id=invoice_id,
            client_id=client,
            freelancer_id=freelancer,
            currency=currency,
            amount_cents=amount,
            fee_basis_points=1000 if kind == "fee" else 0,
        )
        if made:
            world.invoices[invoice_id] = amount
            world.invoice_owner[invoice_id] = (freelancer, currency)
        return made
    if kind == "release":
        return ledger.release_pending(
            key=world.key("release"),
            freelancer_id=freelancer,
            currency=currency,
            amount_cents=amount,
        )
    if kind == "fund":
        return ledger.fund_escrow(
            key=world.key("fund"),
            client_id=client,
            contract_id=contract,
            currency=currency,
            amount_cents=amount,
        )
    if kind == "pay":
        return ledger.release_escrow(
            key=world.key("pay"),
            contract_id=contract,
            freelancer_id=freelancer,
            currency=currency,
            amount_cents=amount,
        )
    if kind == "refund":
        return ledger.refund_escrow(
            key=world.key("refund"),
            contract_id=contract,
            client_id=client,
            currency=currency,
            amount_cents=amount,
        )
    previous = world.book.transfers
    return [previous[amount % len(previous)]] if previous else []


def apply(world: World, op: Op) -> None:
    transfers = transfers_for(world, op)
    before = world.book.balances
    try:
        world.book.post_all(transfers)
    except InsufficientFunds:
        assert world.book.balances == before  # all or nothing
        for transfer in transfers:
            world.invoices.pop(transfer.invoice_id or -1, None)


@settings(max_examples=150, deadline=None)
@given(operations)
def test_any_sequence_keeps_the_ledger_balanced(ops: list[Op]) -> None:
    world = World()
    for op in ops:
        apply(world, op)
        assert invariant_violations(world.book.balances, world.book.transfers, world.invoices) == []


def test_a_replayed_key_changes_nothing_and_a_reused_key_is_refused() -> None:
    book = Ledger()
    [charge] = ledger.invoice_charge(
        invoice_id=1, client_id=1, freelancer_id=3, currency="USD", amount_cents=500
    )
    assert book.post(charge) is True
    assert book.post(charge) is False
    assert book.balance(ledger.pending(3, "USD")) == 500
    with pytest.raises(IdempotencyConflict):
        book.post(Transfer(charge.idempotency_key, charge.source, charge.destination, 501))
    with pytest.raises(InsufficientFunds):
        book.post(Transfer("too-much", ledger.pending(3, "USD"), ledger.available(3, "USD"), 501))


def test_the_checker_reports_broken_invariants() -> None:
    pending = ledger.pending(3, "USD")
    problems = invariant_violations({pending: -5}, [], {7: 100})
    assert "freelancer_pending:3:USD is negative (-5)" in problems
    assert "USD balances sum to -5, not 0" in problems
    assert "invoice 7 totals 100 but its transfers charge 0" in problems


@pytest.mark.parametrize("seed", [7])
def test_the_stored_ledger_matches_the_model(database_url: str, seed: int) -> None:
    """The same random operations on the stored ledger and the model give the same books."""
    rng = random.Random(seed)
    engine = migrated_engine(database_url)
    factory = make_session_factory(engine)
    world = World()
    now = utc(2026, 11, 2)
    kinds = ["charge", "release", "fund", "pay", "refund", "replay", "fee"]
    try:
        for _ in range(60):
            op: Op = (
                rng.choice(kinds),
                rng.choice(CLIENTS),
                rng.choice(FREELANCERS),
                rng.choice(CONTRACTS),
                rng.choice(CURRENCIES),
                rng.randint(1, 20_000),
            )
            # the stored rows reference real invoices only; these are made up
            transfers = [replace(t, invoice_id=None) for t in transfers_for(world, op)]
            try:
                world.book.post_all(transfers)
                model_ok = True
            except InsufficientFunds:
                model_ok = False
            try:
                with unit_of_work(factory) as session:
                    stored.post(session, transfers, now)
                stored_ok = True
            except Conflict:
                stored_ok = False
            assert stored_ok == model_ok, op
        with unit_of_work(factory) as session:
            balances = {k: v for k, v in stored.balances(session).items() if v != 0}
            transfers = stored.all_transfers(session)
        assert balances == {k: v for k, v in world.book.balances.items() if v != 0}
        assert invariant_violations(balances, transfers) == []
        with unit_of_work(factory) as session, pytest.raises(Conflict):
            first = transfers[0]
            stored.post(
                session,
                [
                    Transfer(
                        first.idempotency_key,
                        first.source,
                        first.destination,
                        first.amount_cents + 1,
                    )
                ],
                now,
            )
    finally:
        engine.dispose()
