"""The companion view's route class: every refusal becomes a readable HTML page.

FastAPI answers an ``HTTPException`` (or a form that fails validation) with JSON; a
person in a browser should see a page saying what went wrong, with the same 4xx status.
Wrapping the route handler keeps this inside the web router — the JSON API's error
handling is untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import unquote

from fastapi import HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute

from billing.db.errors import ServiceError
from billing.domain.milestones_model import (
    MilestoneConflict,
    MilestoneError,
    MilestoneForbidden,
    MilestoneInvalid,
    MilestoneNotFound,
)
from billing.web.form_failure import page_again
from billing.web.formatting import zone_or_default
from billing.web.render import add_page_headers, templates

_TITLES = {
    400: "That request was not understood",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    409: "Not possible right now",
    422: "Please check what you entered",
}


def _milestone_status(error: MilestoneError) -> int:
    if isinstance(error, MilestoneNotFound):
        return 404
    if isinstance(error, MilestoneForbidden):
        return 403
    if isinstance(error, MilestoneInvalid):
        return 422
    if isinstance(error, MilestoneConflict):
        return 409
    return 400


def _validation_text(error: RequestValidationError) -> str:
    parts = []
    for problem in error.errors():
        field = ".".join(str(part) for part in problem.get("loc", ())[1:]) or "input"
        parts.append(f"{field}: {problem.get('msg', 'invalid')}")
    return "; ".join(parts) or "The form was incomplete."


def error_page(request: Request, status_code: int, message: str) -> Response:
    zone = zone_or_default(unquote(request.cookies.get("wd_tz") or ""))
    response = templates.TemplateResponse(
        request,
        "error.html",
        {
            "viewer": None,
            "tz_name": zone.key,
            "tz_chosen": True,
            "flash": None,
            "status_code": status_code,
            "title": _TITLES.get(status_code, "Something went wrong"),
            "message": message,
        },
        status_code=status_code,
    )
    add_page_headers(response)
    return response


# Refusals a person can correct on the form itself; the others get the error page.
_SHOWN_ON_THE_FORM = frozenset({400, 403, 409, 422})


class ForeignRequest(HTTPException):
    """A refusal because the request did not come from this site's own form (CSRF token,
    Origin): shown on the error page, never by re-rendering the page it names."""


async def refusal_page(request: Request, status_code: int, message: str) -> Response:
    """A refused form post: its page again, the message on the form and what was typed
    kept; anything else (or a page that cannot be shown again) gets ``error.html``."""
    if status_code in _SHOWN_ON_THE_FORM:
        again = await page_again(request, status_code, message)
        if again is not None:
            return again
    return error_page(request, status_code, message)


class WebRoute(APIRoute):
    """An ``APIRoute`` whose refusals render on the form's page or ``error.html``
    (redirects pass through)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def web_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException as error:
                location = (error.headers or {}).get("Location")
                if 300 <= error.status_code < 400 and location:
                    return RedirectResponse(location, status_code=error.status_code)
                if isinstance(error, ForeignRequest):
                    return error_page(request, error.status_code, str(error.detail))
                return await refusal_page(request, error.status_code, str(error.detail))
            except RequestValidationError as error:
                return await refusal_page(request, 422, _validation_text(error))
            except ServiceError as error:
                return await refusal_page(request, error.status, error.message)
            except MilestoneError as error:
                return await refusal_page(request, _milestone_status(error), error.message)

        return web_handler
