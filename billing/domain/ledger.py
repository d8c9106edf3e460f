"""The double-entry ledger (DOMAIN.md, "Ledger"), pure and in memory.

Every movement of money is a :class:`Transfer` from one account to another in one
currency, identified by an idempotency key: replaying a key with the same content changes
nothing, replaying it with different content is an error. Balances are derived from the
transfers, so per currency they always sum to zero. Only the *client funding* account is
external (it goes negative by what the client paid in); every other account must never
go negative.

The database layer (``billing.db.ledger``) stores the same transfers; the helpers here
(``invoice_charge``, ``release_pending`` …) build them so both sides agree on which
accounts a business event touches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from billing.domain.money import check_currency, fee_for


class AccountKind(StrEnum):
    CLIENT_FUNDING = "client_funding"  # external: money the client paid in (user-owned)
    ESCROW = "escrow"  # held for a contract (contract-owned)
    FREELANCER_PENDING = "freelancer_pending"  # earned, in the security period (user-owned)
    FREELANCER_AVAILABLE = "freelancer_available"  # earned and withdrawable (user-owned)
    PLATFORM_FEE = "platform_fee"  # the platform's cut (no owner)


EXTERNAL_KINDS = frozenset({AccountKind.CLIENT_FUNDING})


@dataclass(frozen=True, slots=True, order=True)
class AccountKey:
    """Names one account: its kind, its currency and its owner (user or contract)."""

    kind: AccountKind
    currency: str
    owner_id: int | None = None  # user id, contract id for escrow, None for the platform

    def __post_init__(self) -> None:
        check_currency(self.currency)
        needs_owner = self.kind is not AccountKind.PLATFORM_FEE
        if needs_owner != (self.owner_id is not None):
            raise ValueError(f"{self.kind} account {'needs' if needs_owner else 'has no'} owner")

    @property
    def code(self) -> str:
        """A stable text key, e.g. ``freelancer_pending:7:USD`` (unique in storage)."""
        owner = "-" if self.owner_id is None else str(self.owner_id)
        return f"{self.kind.value}:{owner}:{self.currency}"

    @property
    def may_go_negative(self) -> bool:
        return self.kind in EXTERNAL_KINDS


def client_funding(client_id: int, currency: str) -> AccountKey:
    return AccountKey(AccountKind.CLIENT_FUNDING, currency, client_id)


def escrow(contract_id: int, currency: str) -> AccountKey:
    return AccountKey(AccountKind.ESCROW, currency, contract_id)


def pending(freelancer_id: int, currency: str) -> AccountKey:
    return AccountKey(AccountKind.FREELANCER_PENDING, currency, freelancer_id)


def available(freelancer_id: int, currency: str) -> AccountKey:
    return AccountKey(AccountKind.FREELANCER_AVAILABLE, currency, freelancer_id)


def platform_fee(currency: str) -> AccountKey:
    return AccountKey(AccountKind.PLATFORM_FEE, currency)


@dataclass(frozen=True, slots=True)
class Transfer:
    """Moves ``amount_cents`` from ``source`` to ``destination`` (same currency).

    ``invoice_id`` / ``reference`` tie the transfer to what caused it (an invoice, a
    milestone …) so totals can be reconciled.
    """

    idempotency_key: str
    source: AccountKey
    destination: AccountKey
    amount_cents: int
    invoice_id: int | None = None
    reference: str | None = None

    def __post_init__(self) -> None:
        if not self.idempotency_key:
            raise ValueError("a transfer needs an idempotency key")
        if isinstance(self.amount_cents, bool) or not isinstance(self.amount_cents, int):
            raise TypeError("amount_cents must be an int")
        if self.amount_cents <= 0:
            raise ValueError("a transfer moves a positive amount")
        if self.source.currency != self.destination.currency:
            raise ValueError("a transfer stays in one currency")
        if self.source == self.destination:
            raise ValueError("a transfer needs two different accounts")

    @property
    def currency(self) -> str:
        return self.source.currency


class LedgerError(Exception):
    """A transfer the ledger refuses (insufficient funds, conflicting replay)."""


class InsufficientFunds(LedgerError):
    pass


class IdempotencyConflict(LedgerError):
    pass


class Ledger:
    """An in-memory ledger: the reference model of the stored one, used by pure tests."""

    def __init__(self) -> None:
        self._transfers: dict[str, Transfer] = {}
        self._balances: dict[AccountKey, int] = defaultdict(int)

    def post(self, transfer: Transfer) -> bool:
        """Apply ``transfer``; ``False`` if its key was already applied with this content."""
        seen = self._transfers.get(transfer.idempotency_key)
        if seen is not None:
            if seen != transfer:
                raise IdempotencyConflict(
                    f"idempotency key {transfer.idempotency_key!r} already used differently"
                )
            return False
        if (
            not transfer.source.may_go_negative
            and self._balances[transfer.source] < transfer.amount_cents
        ):
            raise InsufficientFunds(
                f"{transfer.source.code} holds {self._balances[transfer.source]}, "
                f"cannot move {transfer.amount_cents}"
            )
        self._transfers[transfer.idempotency_key] = transfer
        self._balances[transfer.source] -= transfer.amount_cents
        self._balances[transfer.destination] += transfer.amount_cents
        return True

    def post_all(self, transfers: Iterable[Transfer]) -> int:
        """Post several transfers; all or nothing. Returns how many were new."""
        snapshot_transfers = dict(self._transfers)
        snapshot_balances = dict(self._balances)
        try:
            return sum(1 for transfer in transfers if self.post(transfer))
        except LedgerError:
            self._transfers = snapshot_transfers
            self._balances = defaultdict(int, snapshot_balances)
            raise

    def balance(self, account: AccountKey) -> int:
        return self._balances.get(account, 0)

    @property
    def balances(self) -> Mapping[AccountKey, int]:
        return dict(self._balances)

    @property
    def transfers(self) -> list[Transfer]:
        return list(self._transfers.values())


def invariant_violations(
    balances: Mapping[AccountKey, int],
    transfers: Iterable[Transfer],
    invoice_totals: Mapping[int, int] | None = None,
) -> list[str]:
    """Every broken ledger invariant, in words (empty when the ledger is sound).

    - per currency, all balances sum to zero;
    - no account but client funding is negative;
    - each invoice's total equals the client-funding outflow of the transfers that
      reference it (its charge), and nothing references an unknown invoice.
    """
    problems: list[str] = []
    per_currency: dict[str, int] = defaultdict(int)
    for account, amount in balances.items():
        per_currency[account.currency] += amount
        if amount < 0 and not account.may_go_negative:
            problems.append(f"{account.code} is negative ({amount})")
    problems.extend(
        f"{currency} balances sum to {total}, not 0"
        for currency, total in sorted(per_currency.items())
        if total != 0
    )
    if invoice_totals is not None:
        charged: dict[int, int] = defaultdict(int)
        for transfer in transfers:
            if transfer.invoice_id is None:
                continue
            if transfer.source.kind is AccountKind.CLIENT_FUNDING:
                charged[transfer.invoice_id] += transfer.amount_cents
        for invoice_id, total in sorted(invoice_totals.items()):
            if charged.get(invoice_id, 0) != total:
                problems.append(
                    f"invoice {invoice_id} totals {total} but its transfers charge "
                    f"{charged.get(invoice_id, 0)}"
                )
        problems.extend(
            f"transfers reference unknown invoice {invoice_id}"
            for invoice_id in sorted(set(charged) - set(invoice_totals))
        )
    return problems


# --- the transfers each business event makes -------------------------------------------


def invoice_charge(
    *,
    invoice_id: int,
    client_id: int,
    freelancer_id: int,
    currency: str,
    amount_cents: int,
    fee_basis_points: int = 0,
) -> list[Transfer]:
    """Finalizing an invoice: charge the client, credit the freelancer's pending balance.

    With a platform fee, the fee goes from the freelancer's pending credit to the platform.
    A zero invoice makes no transfer.
    """
    if amount_cents <= 0:
        return []
    transfers = [
        Transfer(
            f"invoice:{invoice_id}:charge",
            client_funding(client_id, currency),
            pending(freelancer_id, currency),
            amount_cents,
            invoice_id=invoice_id,
        )
    ]
    fee = fee_for(amount_cents, fee_basis_points)
    if fee > 0:
        transfers.append(
            Transfer(
                f"invoice:{invoice_id}:fee",
                pending(freelancer_id, currency),
                platform_fee(currency),
                fee,
                invoice_id=invoice_id,
            )
        )
    return transfers


def _transfer_if_positive(
    key: str,
    source: AccountKey,
    destination: AccountKey,
    amount_cents: int,
    *,
    invoice_id: int | None = None,
    reference: str | None = None,
) -> list[Transfer]:
    """One transfer, or none when there is nothing to move."""
    if amount_cents <= 0:
        return []
    return [Transfer(key, source, destination, amount_cents, invoice_id, reference)]


def release_pending(
    *,
    key: str,
    freelancer_id: int,
    currency: str,
    amount_cents: int,
    invoice_id: int | None = None,
    reference: str | None = None,
) -> list[Transfer]:
    """Pending earnings become available (end of the security period)."""
    return _transfer_if_positive(
        key,
        pending(freelancer_id, currency),
        available(freelancer_id, currency),
        amount_cents,
        invoice_id=invoice_id,
        reference=reference,
    )


def fund_escrow(
    *,
    key: str,
    client_id: int,
    contract_id: int,
    currency: str,
    amount_cents: int,
    reference: str | None = None,
) -> list[Transfer]:
    """The client funds a contract's escrow (fixed-price milestones)."""
    return _transfer_if_positive(
        key,
        client_funding(client_id, currency),
        escrow(contract_id, currency),
        amount_cents,
        reference=reference,
    )


def release_escrow(
    *,
    key: str,
    contract_id: int,
    freelancer_id: int,
    currency: str,
    amount_cents: int,
    reference: str | None = None,
) -> list[Transfer]:
    """Escrow goes to the freelancer's pending balance (milestone approved)."""
    return _transfer_if_positive(
        key,
        escrow(contract_id, currency),
        pending(freelancer_id, currency),
        amount_cents,
        reference=reference,
    )


def refund_escrow(
    *,
    key: str,
    contract_id: int,
    client_id: int,
    currency: str,
    amount_cents: int,
    reference: str | None = None,
) -> list[Transfer]:
    """Escrow goes back to the client (contract ending, dispute split)."""
    return _transfer_if_positive(
        key,
        escrow(contract_id, currency),
        client_funding(client_id, currency),
        amount_cents,
        reference=reference,
    )
