"""The refusals each kind of API route can answer, for the OpenAPI document.

Every refusal has the JSON body :class:`Problem` (:mod:`billing.api.errors` makes them).
A route names its kind in its decorator, ``responses=CONTRACT_WRITE``; one with more to
say adds to it: ``responses={**CONTRACT_WRITE, 201: {...}}``. The schemathesis test
checks that no operation answers a status its kind does not list.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ValidationProblem(BaseModel):
    loc: list[str | int] = Field(description="where: body, path, query, then the field")
    msg: str
    type: str


class Problem(BaseModel):
    """A refusal: what is wrong, as text, or per field for a 422 of a malformed request."""

    detail: str | list[ValidationProblem]


_WHY = {
    400: "the request body could not be parsed at all (not JSON, not UTF-8)",
    401: "not signed in, or the token is unknown, revoked or expired",
    403: "signed in, but this role may not do this",
    404: "no such contract (or not yours), or no such item on it",
    409: "refused by the contract's state: ended, week locked or finalized, before the "
    "contract started, a different body already held …",
    413: "request body larger than this route accepts",
    422: "malformed request or a value out of range",
    429: "too many failed sign-ins; retry after the Retry-After header's seconds",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these refusal statuses, each with the :class:`Problem` body."""
    return {status: {"model": Problem, "description": _WHY[status]} for status in statuses}


# sign-in: wrong password, bad body, too big, too many tries
SIGN_IN = errors(400, 401, 413, 422, 429)
# any signed-in route without a contract (/me …)
SIGNED_IN = errors(401)
# admin routes over the disputes queue
ADMIN_READ = errors(401, 403, 422)
ADMIN_WRITE = errors(400, 401, 403, 404, 409, 413, 422)
# a contract's reads: the contract dependency answers 401/403/404, a bad id 422
CONTRACT_READ = errors(401, 403, 404, 422)
# a contract's changes, with a body (or none): all of the above, the state's 409, 413
CONTRACT_WRITE = errors(400, 401, 403, 404, 409, 413, 422)
