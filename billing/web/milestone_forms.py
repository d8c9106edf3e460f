"""The fixed-price forms, read into the JSON API's validated bodies.

A form sends text; the API's schemas (:mod:`billing.api.milestones_schemas`) hold the
rules for what is valid. Here money text becomes minor units and blanks become "not
sent"; the schema then decides, and its refusal becomes a 422 naming the field as the
page labels it.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from fastapi import HTTPException
from pydantic import BaseModel, ValidationError

T = TypeVar("T", bound=BaseModel)

# Two minor digits, as every amount on these pages is shown (formatting.money_text).
_AMOUNT = re.compile(r"^\s*(\d{1,12})(?:[.,](\d{1,2}))?\s*$")
_LABELS = {
    "amount_cents": "Amount",
    "release_cents": "Release",
    "bonus_cents": "Bonus",
    "to_freelancer_cents": "To the freelancer",
    "to_client_cents": "Back to the client",
    "due_date": "Due date",
    "milestone_seq": "Milestone",
}


def parse_amount(text: str, what: str, *, allow_zero: bool = False) -> int:
    """``"12.50"`` → 1250 minor units; a clear 422 for anything else."""
    match = _AMOUNT.match(text or "")
    if match is None:
        raise HTTPException(422, detail=f"{what}: enter an amount like 250 or 250.00.")
    cents = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if cents == 0 and not allow_zero:
        raise HTTPException(422, detail=f"{what} must be more than zero.")
    return cents


def minor_units(text: str, what: str) -> int | None:
    """An optional amount field: blank → ``None`` (not sent); the schema judges the rest."""
    return parse_amount(text, what, allow_zero=True) if text.strip() else None


def blank_as_none(text: str) -> str | None:
    return text.strip() or None


def _problem(error: dict[str, Any]) -> str:
    field = str(error["loc"][-1]) if error.get("loc") else "input"
    label = _LABELS.get(field, field.replace("_", " ").capitalize())
    return f"{label}: {error.get('msg', 'invalid')}"


def validated(schema: type[T], **fields: Any) -> T:
    """``schema`` built from the form's ``fields``, or a 422 saying what to correct."""
    try:
        return schema.model_validate(fields)
    except ValidationError as error:
        detail = "; ".join(_problem(dict(e)) for e in error.errors())
        raise HTTPException(422, detail=detail) from error
