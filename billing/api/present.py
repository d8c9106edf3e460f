"""Turn stored rows into the public response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from billing.access import author_role
from billing.api import schemas
from billing.db.models import Contract, Dispute, Invoice, InvoiceLine, Role, Slot, User
from billing.services.hourly_reads import ContractView

Public = TypeVar("Public", bound=BaseModel)


def from_row(model: type[Public], row: object, **given: Any) -> Public:
    """``model`` with each field not ``given`` copied from the row's attribute of that name
    (a str column holding an enum's value is checked against the field's Literal here)."""
    copied = {name: getattr(row, name) for name in model.model_fields if name not in given}
    return model(**copied, **given)


def user(row: User) -> schemas.UserPublic:
    return from_row(schemas.UserPublic, row)


def party(row: User) -> schemas.PartyPublic:
    return from_row(schemas.PartyPublic, row)


def contract(view: ContractView, role: Role) -> schemas.ContractPublic:
    return from_row(
        schemas.ContractPublic,
        view.contract,
        your_role=role.value,
        client=party(view.client),
        freelancer=party(view.freelancer),
        weekly_cap_minutes=view.cap_minutes,
        next_week_cap_minutes=view.next_week_cap_minutes,
        week_start=view.week_start,
        week_logged_minutes=view.logged_minutes,
        week_billable_minutes=view.billable_minutes,
        week_over_limit_minutes=view.logged_minutes - view.billable_minutes,
    )


def shot_url(slot: Slot) -> str:
    return f"/api/v1/contracts/{slot.contract_id}/slots/{slot.slot_start:%Y-%m-%dT%H:%M:%SZ}/shot"


def slot(row: Slot, dispute_id: int | None) -> schemas.SlotPublic:
    shot = None
    if row.shot_sha256 is not None and row.shot_taken_at is not None:
        uploaded = row.shot_blob_key is not None
        shot = schemas.ShotPublic(
            taken_at=row.shot_taken_at,
            sha256=row.shot_sha256,
            uploaded=uploaded,
            url=shot_url(row) if uploaded else None,
        )
    return from_row(
        schemas.SlotPublic,
        row,
        activity_percent=round(100 * row.active_minutes / row.minutes) if row.minutes else 0,
        activity=[schemas.ActivityMinute(keyboard=k, mouse=m) for k, m in row.activity],
        shot=shot,
        dispute_id=dispute_id,
    )


def invoice(row: Invoice, lines: list[InvoiceLine]) -> schemas.InvoicePublic:
    shown = [from_row(schemas.InvoiceLinePublic, line) for line in lines]
    return from_row(schemas.InvoicePublic, row, lines=shown)


def dispute_summary(row: Dispute) -> schemas.DisputeSummary:
    return from_row(schemas.DisputeSummary, row)


def dispute(
    row: Dispute,
    contract_row: Contract,
    slot_starts: list[datetime],
    messages: list[tuple[Any, User]],
) -> schemas.DisputePublic:
    shown = [
        from_row(
            schemas.MessagePublic,
            message,
            author=party(author),
            author_role=author_role(contract_row, author),
        )
        for message, author in messages
    ]
    return from_row(schemas.DisputePublic, row, slot_starts=slot_starts, messages=shown)
