"""The fixed-price forms, read into the JSON API's validated bodies.

A form sends text; the API's schemas (:mod:`billing.api.milestones_schemas`) hold the
rules for what is valid. Here money text becomes minor units of the contract's
currency (as many decimals as it has: none for JPY, three for KWD) and blanks become "not
sent"; the schema then decides, and its refusal becomes a 422 naming the field as the
page labels it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import HTTPException
from pydantic import BaseModel, ValidationError

from billing.domain.money import parse_minor

T = TypeVar("T", bound=BaseModel)

_LABELS = {
    "amount_cents": "Amount",
    "release_cents": "Release",
    "bonus_cents": "Bonus",
    "to_freelancer_cents": "To the freelancer",
    "to_client_cents": "Back to the client",
    "due_date": "Due date",
    "milestone_seq": "Milestone",
}


def parse_amount(text: str, what: str, currency: str, *, allow_zero: bool = False) -> int:
    """``"12.50"`` USD → 1250, ``"1,000"`` JPY → 1000 minor units; a clear 422 otherwise."""
    try:
        minor = parse_minor(text, currency)
    except ValueError as error:
        raise HTTPException(422, detail=f"{what}: {error}.") from error
    if minor == 0 and not allow_zero:
        raise HTTPException(422, detail=f"{what} must be more than zero.")
    return minor


def minor_units(text: str, what: str, currency: str) -> int | None:
    """An optional amount field: blank → ``None`` (not sent); the schema judges the rest."""
    return parse_amount(text, what, currency, allow_zero=True) if text.strip() else None


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
