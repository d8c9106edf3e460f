"""Turn stored rows into the public response bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from billing.access import author_role
from billing.api import schemas
from billing.db.models import Contract, Dispute, Invoice, InvoiceLine, Role, Slot, User
from billing.services.hourly_reads import ContractView


def user(row: User) -> schemas.UserPublic:
    return schemas.UserPublic(
        id=row.id,
        email=row.email,
        role=row.role,  # type: ignore[arg-type]  # a str column holding a Role value
        display_name=row.display_name,
    )


def party(row: User) -> schemas.PartyPublic:
    return schemas.PartyPublic(id=row.id, display_name=row.display_name)


def contract(view: ContractView, role: Role) -> schemas.ContractPublic:
    row = view.contract
    return schemas.ContractPublic(
        id=row.id,
        kind=row.kind,  # type: ignore[arg-type]
        title=row.title,
        your_role=role.value,
        client=party(view.client),
        freelancer=party(view.freelancer),
        currency=row.currency,
        rate_cents=row.rate_cents,
        weekly_cap_minutes=view.cap_minutes,
        next_week_cap_minutes=view.next_week_cap_minutes,
        screenshots_enabled=row.screenshots_enabled,
        blur_screenshots=row.blur_screenshots,
        manual_time_allowed=row.manual_time_allowed,
        created_at=row.created_at,
        ended_at=row.ended_at,
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
    return schemas.SlotPublic(
        slot_start=row.slot_start,
        minutes=row.minutes,
        active_minutes=row.active_minutes,
        activity_percent=round(100 * row.active_minutes / row.minutes) if row.minutes else 0,
        activity=[schemas.ActivityMinute(keyboard=k, mouse=m) for k, m in row.activity],
        memo=row.memo,
        manual=row.manual,
        shot=shot,
        shot_note=row.shot_note,
        clock_jump=row.clock_jump,
        capture_source=row.capture_source,
        activity_source=row.activity_source,
        verified=row.verified,
        over_limit_minutes=row.over_limit_minutes,
        dispute_id=dispute_id,
    )


def invoice(row: Invoice, lines: list[InvoiceLine]) -> schemas.InvoicePublic:
    return schemas.InvoicePublic(
        id=row.id,
        contract_id=row.contract_id,
        kind=row.kind,  # type: ignore[arg-type]
        week_start=row.week_start,
        status=row.status,  # type: ignore[arg-type]
        number=row.number,
        currency=row.currency,
        total_cents=row.total_cents,
        created_at=row.created_at,
        issued_at=row.issued_at,
        finalized_at=row.finalized_at,
        available_at=row.available_at,
        released_at=row.released_at,
        lines=[
            schemas.InvoiceLinePublic(
                kind=line.kind,  # type: ignore[arg-type]
                description=line.description,
                week_start=line.week_start,
                logged_minutes=line.logged_minutes,
                billable_minutes=line.billable_minutes,
                rate_cents=line.rate_cents,
                amount_cents=line.amount_cents,
                dispute_id=line.dispute_id,
            )
            for line in lines
        ],
    )


def dispute_summary(row: Dispute) -> schemas.DisputeSummary:
    return schemas.DisputeSummary(
        id=row.id,
        contract_id=row.contract_id,
        week_start=row.week_start,
        status=row.status,  # type: ignore[arg-type]
        disputed_minutes=row.disputed_minutes,
        opened_at=row.opened_at,
        answer_due_at=row.answer_due_at,
        assigned_admin_id=row.assigned_admin_id,
    )


def dispute(
    row: Dispute,
    contract_row: Contract,
    slot_starts: list[datetime],
    messages: list[tuple[Any, User]],
) -> schemas.DisputePublic:
    return schemas.DisputePublic(
        id=row.id,
        contract_id=row.contract_id,
        invoice_id=row.invoice_id,
        week_start=row.week_start,
        status=row.status,  # type: ignore[arg-type]
        reason=row.reason,
        slot_starts=slot_starts,
        disputed_minutes=row.disputed_minutes,
        opened_at=row.opened_at,
        answer_due_at=row.answer_due_at,
        assigned_admin_id=row.assigned_admin_id,
        resolved_at=row.resolved_at,
        resolution_note=row.resolution_note,
        settled_invoice_id=row.settled_invoice_id,
        messages=[
            schemas.MessagePublic(
                id=message.id,
                author=party(author),
                author_role=author_role(contract_row, author),  # type: ignore[arg-type]
                body=message.body,
                created_at=message.created_at,
            )
            for message, author in messages
        ],
    )
