"""Turns the role-named transfers of the fixed-price rules into ledger transfers.

The rules speak of "the client", "escrow" and "the freelancer"; the ledger needs the
accounts of one client, one contract and one freelancer in the contract's currency.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing.domain import ledger
from billing.domain.milestones_model import Account, EscrowTransfer


@dataclass(frozen=True)
class ContractParties:
    """Who an escrow book's accounts belong to."""

    contract_id: int
    client_id: int
    freelancer_id: int
    currency: str

    def account(self, role: Account) -> ledger.AccountKey:
        match role:
            case Account.CLIENT_FUNDING:
                return ledger.client_funding(self.client_id, self.currency)
            case Account.ESCROW:
                return ledger.escrow(self.contract_id, self.currency)
            case Account.FREELANCER_PENDING:
                return ledger.pending(self.freelancer_id, self.currency)
            case Account.FREELANCER_AVAILABLE:
                return ledger.available(self.freelancer_id, self.currency)
            case Account.PLATFORM_FEE:
                return ledger.platform_fee(self.currency)


def to_ledger(parties: ContractParties, transfer: EscrowTransfer) -> ledger.Transfer:
    if transfer.currency != parties.currency:
        raise ValueError("a fixed-price transfer is in the contract's currency")
    return ledger.Transfer(
        idempotency_key=transfer.key,
        source=parties.account(transfer.source),
        destination=parties.account(transfer.destination),
        amount_cents=transfer.amount_cents,
        reference=transfer.memo[:200],
    )
