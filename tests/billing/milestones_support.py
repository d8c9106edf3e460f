"""Shared helpers of the milestone tests: a book bound to an in-memory ledger."""

from __future__ import annotations

from dataclasses import dataclass, field

from billing.domain import ledger
from billing.domain.milestones_ledger import ContractParties, to_ledger
from billing.domain.milestones_model import (
    Account,
    ContractKind,
    EscrowBook,
)
from billing.domain.milestones_rules import Outcome

CLIENT_ID = 1
FREELANCER_ID = 2


@dataclass
class Books:
    """Escrow books of one client and one freelancer, posting into one ledger."""

    ledger: ledger.Ledger = field(default_factory=ledger.Ledger)
    parties: dict[int, ContractParties] = field(default_factory=dict)

    def open(self, contract_id: int, kind: ContractKind, currency: str = "USD") -> EscrowBook:
        self.parties[contract_id] = ContractParties(contract_id, CLIENT_ID, FREELANCER_ID, currency)
        return EscrowBook(contract_id=contract_id, kind=kind, currency=currency)

    def post(self, book: EscrowBook, outcome: Outcome) -> Outcome:
        parties = self.parties[book.contract_id]
        self.ledger.post_all(to_ledger(parties, t) for t in outcome.transfers)
        return outcome

    def balance(self, book: EscrowBook, role: Account) -> int:
        return self.ledger.balance(self.parties[book.contract_id].account(role))
