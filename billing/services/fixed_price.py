"""Fixed-price actions (DOMAIN.md "Fixed-price milestones"), one function per action.

Each action is one unit of work: lock the contract's escrow book and load it, let the
pure rule of :mod:`billing.domain.milestones` decide as the caller's role, save the new
state, post the ledger transfers it caused, audit, commit — once. The caller has already
been authorized by :mod:`billing.access`; the rule still checks what its role may do. A
domain refusal becomes a :class:`~billing.db.errors.ServiceError` with its message.

A contract ended by the contract's own action is caught up first: its escrow is refunded
the next time its book is touched, or by :func:`run_due`, whichever comes first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.orm import Session

from billing.access import ContractAccess
from billing.blobs import BlobStore, Upload
from billing.db import audit, ledger
from billing.db import milestones as rows
from billing.db import milestones_attachments as attachments
from billing.db.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from billing.db.milestones import LoadedBook
from billing.db.milestones_tables import FixedAttachment, FixedEscrowDispute
from billing.db.models import Contract, Role, User
from billing.domain import milestones as rules
from billing.domain.milestones import PendingAction
from billing.domain.milestones_ledger import ContractParties, to_ledger
from billing.domain.milestones_model import (
    FUNDED_STATES,
    Actor,
    DisputeState,
    EscrowBook,
    MilestoneConflict,
    MilestoneError,
    MilestoneForbidden,
    MilestoneNotFound,
    ProposalChange,
)
from billing.domain.milestones_rules import Outcome

MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENTS_PER_MILESTONE = 20


@dataclass(frozen=True)
class Change:
    """What one action did: the book after it, and the rule's outcome (its transfers and
    the sequence number of what it created)."""

    book: EscrowBook
    outcome: Outcome


# --- the unit of work ----------------------------------------------------------------------


def _service_error(error: MilestoneError) -> ServiceError:
    if isinstance(error, MilestoneNotFound):
        return NotFound(error.message)
    if isinstance(error, MilestoneForbidden):
        return Forbidden(error.message)
    if isinstance(error, MilestoneConflict):
        return Conflict(error.message)
    return Invalid(error.message)  # MilestoneInvalid and any other refusal


@contextmanager
def _as_service_errors() -> Iterator[None]:
    try:
        yield
    except MilestoneError as error:
        raise _service_error(error) from error


service_errors = _as_service_errors  # the sibling services map refusals the same way


def _post(session: Session, loaded: LoadedBook, outcomes: list[Outcome], now: datetime) -> None:
    """Save the book and post the transfers its outcomes caused."""
    rows.save_book(session, loaded)
    contract = loaded.contract
    parties = ContractParties(
        contract_id=contract.id,
        client_id=contract.client_id,
        freelancer_id=contract.freelancer_id,
        currency=contract.currency,
    )
    ledger.post(session, [to_ledger(parties, t) for o in outcomes for t in o.transfers], now)
    if loaded.book.ended_at is not None and contract.ended_at is None:
        contract.ended_at = loaded.book.ended_at  # ended by a fixed-price rule


def _catch_up(loaded: LoadedBook) -> Outcome:
    """Refund the escrow of a contract ended by the contract's own action."""
    ended_at = loaded.contract.ended_at
    if ended_at is None or loaded.book.ended_at is not None:
        return Outcome()
    return rules.settle_external_end(loaded.book, ended_at=ended_at)


def _apply(
    session: Session,
    on: ContractAccess,
    now: datetime,
    action: str,
    rule: Callable[..., Outcome],
    *args: object,
    **kwargs: object,
) -> Change:
    """The one way a book changes: lock and load it, let ``rule`` decide as the caller's
    role (``rule(book, actor, *args, now=now, **kwargs)``), save, post, audit, commit."""
    loaded = rows.load_book(session, on.contract)
    caught_up = _catch_up(loaded)
    with _as_service_errors():
        outcome = rule(loaded.book, on.actor, *args, now=now, **kwargs)
    _post(session, loaded, [caught_up, outcome], now)
    created = "" if outcome.created_seq is None else f" #{outcome.created_seq}"
    audit.record_by_id(
        session,
        now,
        on.user.id,
        action,
        on.contract.id,
        f"contract {on.contract.id}{created}",
        {"transfers": [t.key for t in outcome.transfers]},
    )
    session.commit()
    return Change(loaded.book, outcome)


class SeqAction(Protocol):
    """An action on one milestone, proposal or request, named by its ``seq``."""

    __name__: str

    def __call__(
        self, session: Session, on: ContractAccess, seq: int, *, now: datetime
    ) -> Change: ...


def _on_seq(action: str, rule: Callable[..., Outcome], doc: str) -> SeqAction:
    def act(session: Session, on: ContractAccess, seq: int, *, now: datetime) -> Change:
        return _apply(session, on, now, action, rule, seq)

    act.__name__ = act.__qualname__ = rule.__name__
    act.__doc__ = doc
    return act


class TextAction(Protocol):
    """An action on one milestone that carries a text (a message, a reason)."""

    def __call__(
        self, session: Session, on: ContractAccess, seq: int, text: str, *, now: datetime
    ) -> Change: ...


def _on_seq_with_text(
    action: str, rule: Callable[..., Outcome], text_name: str, doc: str
) -> TextAction:
    def act(session: Session, on: ContractAccess, seq: int, text: str, *, now: datetime) -> Change:
        return _apply(session, on, now, action, rule, seq, **{text_name: text})

    act.__name__ = act.__qualname__ = rule.__name__
    act.__doc__ = doc
    return act


# --- the plan (client) ---------------------------------------------------------------------


def add_milestone(
    session: Session,
    on: ContractAccess,
    *,
    title: str,
    description: str,
    due_date: date | None,
    amount_cents: int,
    now: datetime,
) -> Change:
    """Client: a new unfunded milestone at the end of the plan."""
    fields = {"title": title, "description": description, "due_date": due_date}
    action = "fixed_milestone_added"
    return _apply(
        session, on, now, action, rules.add_milestone, **fields, amount_cents=amount_cents
    )


def edit_milestone(
    session: Session,
    on: ContractAccess,
    seq: int,
    *,
    title: str | None,
    description: str | None,
    due_date: date | None,
    amount_cents: int | None,
    clear_due_date: bool = False,
    now: datetime,
) -> Change:
    """Client: change a future milestone (not while a proposal is pending)."""
    fields = {"title": title, "description": description, "due_date": due_date}
    action = "fixed_milestone_edited"
    rule = rules.edit_milestone
    return _apply(
        session,
        on,
        now,
        action,
        rule,
        seq,
        **fields,
        amount_cents=amount_cents,
        clear_due_date=clear_due_date,
    )


delete_milestone = _on_seq(
    "fixed_milestone_deleted", rules.delete_milestone, "Client: delete a future milestone."
)
activate = _on_seq(
    "fixed_milestone_activated",
    rules.activate,
    "Client: fund the next milestone into escrow (in order; a carried remainder first).",
)


# --- the work ------------------------------------------------------------------------------


submit = _on_seq_with_text(
    "fixed_milestone_submitted",
    rules.submit,
    "message",
    "Freelancer: hand in the work of the active milestone, with a message.",
)
request_changes = _on_seq_with_text(
    "fixed_milestone_changes_requested",
    rules.request_changes,
    "message",
    "Client: send submitted work back with a message; the milestone is active again.",
)


def approve(
    session: Session,
    on: ContractAccess,
    seq: int,
    *,
    release_cents: int | None,
    bonus_cents: int,
    end_contract: bool,
    now: datetime,
) -> Change:
    """Client: approve & pay, with an optional bonus and an optional smaller release (the
    remainder funds the next milestone, or is refunded with ``end_contract``)."""
    amounts = {"release_cents": release_cents, "bonus_cents": bonus_cents}
    action = "fixed_milestone_approved"
    return _apply(
        session, on, now, action, rules.approve, seq, **amounts, end_contract=end_contract
    )


def end_contract(session: Session, on: ContractAccess, *, now: datetime) -> Change:
    """Either party ends the contract, hourly or fixed-price (DOMAIN.md "Ending"): refused
    while a milestone is submitted and awaiting the client; whatever escrow is left goes
    back to the client; the contract takes no more time and funds nothing more."""
    return _apply(session, on, now, "contract_ended", rules.end_contract)


# --- proposals -----------------------------------------------------------------------------


def propose(
    session: Session,
    on: ContractAccess,
    *,
    message: str,
    changes: tuple[ProposalChange, ...],
    now: datetime,
) -> Change:
    """Freelancer: propose added, edited or deleted milestones (one pending at a time)."""
    action = "fixed_proposal_made"
    return _apply(session, on, now, action, rules.propose, message=message, changes=changes)


accept_proposal = _on_seq(
    "fixed_proposal_accepted",
    rules.accept_proposal,
    "Client: accept the whole proposal; a raise on the funded milestone is funded now.",
)
reject_proposal = _on_seq(
    "fixed_proposal_rejected", rules.reject_proposal, "Client: reject the whole proposal."
)
withdraw_proposal = _on_seq(
    "fixed_proposal_withdrawn", rules.withdraw_proposal, "Freelancer: take back a proposal."
)


# --- milestone requests (hourly contracts) ------------------------------------------------


def request_milestone(
    session: Session,
    on: ContractAccess,
    *,
    amount_cents: int,
    description: str,
    currency: str | None,
    now: datetime,
) -> Change:
    """Freelancer on an hourly contract: ask for a milestone payment (moves no money)."""
    asked = {"amount_cents": amount_cents, "description": description, "currency": currency}
    return _apply(session, on, now, "fixed_milestone_requested", rules.request_milestone, **asked)


accept_request = _on_seq(
    "fixed_milestone_request_accepted",
    rules.accept_request,
    "Client: accept; it becomes a funded milestone payment (``created_seq``).",
)
decline_request = _on_seq(
    "fixed_milestone_request_declined", rules.decline_request, "Client: decline; nothing moves."
)
withdraw_request = _on_seq(
    "fixed_milestone_request_withdrawn",
    rules.withdraw_request,
    "Freelancer: take back a request still pending; nothing moves.",
)


# --- escrow disputes -----------------------------------------------------------------------


open_escrow_dispute = _on_seq_with_text(
    "fixed_escrow_dispute_opened",
    rules.open_escrow_dispute,
    "reason",
    "Either side: dispute a funded milestone's escrow, with a reason; it waits for an admin.",
)


def take_escrow_dispute(
    session: Session, admin: User, dispute_id: int, *, now: datetime
) -> FixedEscrowDispute:
    """An admin takes an open escrow dispute; one held by another admin is a 409."""
    if admin.role != Role.ADMIN:
        raise Forbidden("only an admin takes disputes")
    row = rows.lock_escrow_dispute(session, dispute_id)
    if row is None or row.state != DisputeState.OPEN.value:
        raise NotFound("no such open escrow dispute")
    if row.assigned_admin_id not in (None, admin.id):
        raise Conflict("another admin handles this escrow dispute")
    row.assigned_admin_id = admin.id
    audit.record_by_id(
        session,
        now,
        admin.id,
        "fixed_escrow_dispute_assigned",
        row.contract_id,
        f"escrow dispute {row.seq}",
        {},
    )
    session.commit()
    return row


def resolve_escrow_dispute(
    session: Session,
    on: ContractAccess,
    seq: int,
    *,
    to_freelancer_cents: int,
    to_client_cents: int,
    now: datetime,
) -> Change:
    """The assigned admin: split the escrow held between freelancer and client."""
    row = rows.escrow_dispute_row(session, on.contract, seq)
    if row is None:
        raise NotFound(f"escrow dispute {seq} does not exist on this contract")
    if on.role != Role.ADMIN or row.assigned_admin_id != on.user.id:
        raise Forbidden("only the admin assigned to this escrow dispute may settle it")

    split = {"to_freelancer_cents": to_freelancer_cents, "to_client_cents": to_client_cents}
    action = "fixed_escrow_dispute_resolved"
    return _apply(session, on, now, action, rules.resolve_escrow_dispute, seq, **split)


def escrow_dispute_queue(
    session: Session, admin: User
) -> list[tuple[FixedEscrowDispute, Contract]]:
    """Open escrow disputes an admin may take or already holds, with their contracts."""
    if admin.role != Role.ADMIN:
        return []
    queue = []
    for row in rows.escrow_dispute_queue(session, admin):
        contract = session.get(Contract, row.contract_id)
        assert contract is not None  # a foreign key
        queue.append((row, contract))
    return queue


# --- files handed in with the work --------------------------------------------------------


def _clean_filename(filename: str) -> str:
    """The name as stored and served: its last path part, NFC, without control or
    format characters (CR/LF/NUL would break the download's header, a bidi override
    disguises the extension), spaces collapsed."""
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if char.isspace() else char
        for char in name
        if char.isspace() or unicodedata.category(char) not in _UNPRINTABLE
    )
    name = " ".join(name.split())
    if not name or name in {".", ".."}:
        raise Invalid("an attachment needs a file name")
    return name[:200]


_UNPRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _check_attachment(
    session: Session, on: ContractAccess, seq: int, size: int, max_bytes: int
) -> None:
    if on.role != Role.FREELANCER:
        raise Forbidden("only the freelancer hands in files")
    if not size:
        raise Invalid("the attachment is empty")
    if size > max_bytes:
        raise Invalid(f"an attachment is at most {max_bytes} bytes")
    book = rows.load_book(session, on.contract).book  # under the book's lock, like any change
    milestone = next((m for m in book.milestones if m.seq == seq), None)
    if milestone is None:
        raise NotFound(f"milestone {seq} does not exist on this contract")
    if milestone.state not in FUNDED_STATES:
        raise Conflict(
            f"milestone {seq} is {milestone.state.value}; files go with the work of "
            "a funded milestone"
        )
    if len(attachments.attachments_of(session, on.contract, seq)) >= MAX_ATTACHMENTS_PER_MILESTONE:
        raise Conflict(f"a milestone holds at most {MAX_ATTACHMENTS_PER_MILESTONE} files")


def add_attachment(
    session: Session,
    blobs: BlobStore,
    on: ContractAccess,
    seq: int,
    *,
    filename: str,
    content_type: str,
    upload: Upload,
    now: datetime,
    max_bytes: int = MAX_ATTACHMENT_BYTES,
) -> FixedAttachment:
    """Freelancer: store a spooled file with the work of a funded milestone.

    One short transaction: the checks under the book's lock, the blob moved in (a
    rename on the local store), the row. A crash before the commit leaves an orphan
    blob for ``billing.blob_sweep``.
    """
    name = _clean_filename(filename)
    _check_attachment(session, on, seq, upload.size, max_bytes)
    key = f"milestones/{on.contract.id}/{seq}/{upload.sha256}"
    blobs.put_file(key, upload)  # content-addressed: a retried upload rewrites the same bytes
    row = attachments.add_attachment(
        session,
        on.contract,
        seq,
        filename=name,
        content_type=(content_type or "application/octet-stream")[:100],
        size_bytes=upload.size,
        sha256=upload.sha256,
        blob_key=key,
        uploaded_at=now,
    )
    audit.record_by_id(
        session,
        now,
        on.user.id,
        "fixed_attachment_added",
        on.contract.id,
        f"milestone {seq}",
        {"filename": name, "sha256": upload.sha256},
    )
    session.commit()
    return row


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookView:
    """A contract's book for display, with its escrow dispute rows by ``seq`` (their
    global id and assigned admin) and the two parties."""

    book: EscrowBook
    dispute_rows: dict[int, FixedEscrowDispute]
    client: User | None
    freelancer: User | None


def read_book(session: Session, contract: Contract) -> EscrowBook:
    """The book as stored, for display (no lock, no catch-up)."""
    return rows.read_book(session, contract)


def view_book(session: Session, contract: Contract) -> BookView:
    """The book as stored, with what its pages show beside it."""
    return BookView(
        book=rows.read_book(session, contract),
        dispute_rows=rows.escrow_dispute_rows(session, contract),
        client=session.get(User, contract.client_id),
        freelancer=session.get(User, contract.freelancer_id),
    )


def waiting_on(session: Session, contract: Contract, role: Role) -> list[PendingAction]:
    """What waits on ``role`` on this contract's fixed-price side."""
    return rules.waiting_on(rows.read_book(session, contract), Actor(role.value))


# --- ending elsewhere and the jobs step ----------------------------------------------------


def settle_contract_end(session: Session, contract: Contract, now: datetime) -> int:
    """In the transaction that ends ``contract`` by other means (after setting
    ``ended_at``): refund its escrow at once — but a disputed milestone's, which waits for
    the admin's split. Returns the amount refunded. Does not commit: the caller does."""
    loaded = rows.load_book(session, contract)
    ended_before = loaded.book.ended_at
    refunded_before = loaded.book.refunded_cents
    outcome = _catch_up(loaded)
    if outcome.transfers or loaded.book.ended_at != ended_before:
        _post(session, loaded, [outcome], now)
    return loaded.book.refunded_cents - refunded_before


def _run_due_on(session: Session, contract: Contract, now: datetime) -> tuple[int, int]:
    """One book's due transitions; returns (milestones auto-approved, earnings available)."""
    loaded = rows.load_book(session, contract)
    book = loaded.book
    approved_before = sum(m.auto_approved for m in book.milestones)
    available_before = sum(e.made_available for e in book.earnings)
    ended_before = book.ended_at
    outcomes = [_catch_up(loaded), rules.run_due(book, now=now)]
    if not any(o.transfers for o in outcomes) and book.ended_at == ended_before:
        return 0, 0
    _post(session, loaded, outcomes, now)
    audit.record_by_id(
        session,
        now,
        None,
        "fixed_jobs",
        contract.id,
        f"contract {contract.id}",
        {"transfers": [t.key for o in outcomes for t in o.transfers]},
    )
    return (
        sum(m.auto_approved for m in book.milestones) - approved_before,
        sum(e.made_available for e in book.earnings) - available_before,
    )


def run_due(session: Session, now: datetime) -> dict[str, int]:
    """The jobs step: auto-approve milestones submitted 14 days ago with no client action,
    make released money available after the security period, refund the escrow of
    contracts ended elsewhere — in one transaction. Idempotent: a second run at the same
    instant finds nothing due. Reports only the counts that are not zero."""
    approved = available = 0
    for contract_id in rows.books_with_something_due(session, now):
        contract = session.get(Contract, contract_id)
        if contract is None:
            continue
        counts = _run_due_on(session, contract, now)
        approved += counts[0]
        available += counts[1]
    session.commit()
    report = {"milestones_auto_approved": approved, "milestone_earnings_available": available}
    return {name: count for name, count in report.items() if count}


def attachments_of(session: Session, contract: Contract, seq: int) -> list[FixedAttachment]:
    """The freelancer's files on milestone ``seq``, oldest first."""
    return attachments.attachments_of(session, contract, seq)


def attachment_bytes(
    session: Session, blobs: BlobStore, contract: Contract, attachment_id: int
) -> tuple[FixedAttachment, bytes]:
    """One attachment of this contract with its bytes (``NotFound`` otherwise)."""
    return attachments.attachment_bytes(session, blobs, contract, attachment_id)


def attachment_of(session: Session, contract: Contract, attachment_id: int) -> FixedAttachment:
    """One attachment's row on this contract (``NotFound`` otherwise); stream its blob."""
    return attachments.attachment_of(session, contract, attachment_id)
