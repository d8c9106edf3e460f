"""Sign-in, sign-out and the time-zone preference."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from billing.api.auth import client_address
from billing.api.deps import AuthPolicyDep, ClockDep, PasswordsDep, SessionDep
from billing.db.errors import TooManyAttempts, Unauthorized
from billing.db.models import TokenKind
from billing.services import accounts
from billing.web.deps import (
    PRE_SESSION_COOKIE,
    ZONE_COOKIE,
    CsrfChecked,
    MaybeViewer,
    PreSessionCsrfChecked,
    SecretDep,
    ViewerDep,
    ZoneDep,
)
from billing.web.formatting import zone_names, zone_or_default
from billing.web.render import redirect, render, safe_next
from billing.web.route import WebRoute
from billing.web.security import SESSION_COOKIE, csrf_token, sign_session

router = APIRouter(route_class=WebRoute)

EXPIRED_NOTICE = "Signed out: session expired. Please sign in again."


def _sign_in_page(
    request: Request,
    secret: bytes,
    zone: ZoneDep,
    *,
    next_url: str,
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    # login CSRF: the form's token is bound to a random pre-session cookie
    pre_session = request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "signin.html",
        secret=secret,
        zone=zone.zone,
        zone_chosen=zone.chosen,
        status_code=status_code,
        csrf_token=csrf_token(secret, "pre:" + pre_session),
        next_url=next_url,
        email=email,
        error=error,
    )
    response.set_cookie(PRE_SESSION_COOKIE, pre_session, httponly=True, samesite="lax", path="/web")
    response.headers.update(headers or {})
    return response


@router.get("/sign-in", include_in_schema=False)
def sign_in_form(
    request: Request,
    viewer: MaybeViewer,
    secret: SecretDep,
    zone: ZoneDep,
    next: str | None = None,
    expired: bool = False,
) -> Response:
    if viewer is not None:
        return redirect(safe_next(next), secret=secret)
    return _sign_in_page(
        request, secret, zone, next_url=safe_next(next), error=EXPIRED_NOTICE if expired else None
    )


@router.post("/sign-in", include_in_schema=False, dependencies=[PreSessionCsrfChecked])
def sign_in(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    passwords: PasswordsDep,
    policy: AuthPolicyDep,
    secret: SecretDep,
    zone: ZoneDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form(max_length=2000)] = "/web/",
) -> Response:
    attempt = accounts.SignIn(email, password, client_address(request), TokenKind.WEB)
    try:
        token, _user = accounts.sign_in(session, passwords, policy, attempt, now=clock.now())
    except (Unauthorized, TooManyAttempts) as error:
        retry_after = error.retry_after if isinstance(error, TooManyAttempts) else None
        return _sign_in_page(
            request,
            secret,
            zone,
            next_url=safe_next(next),
            email=email,
            error=error.message.capitalize() + ".",
            status_code=401 if retry_after is None else 429,
            headers=None if retry_after is None else {"Retry-After": str(retry_after)},
        )
    response = redirect(safe_next(next), secret=secret)
    response.set_cookie(
        SESSION_COOKIE,
        sign_session(secret, token),
        # the server ends the session at this lifetime whatever the browser keeps
        max_age=int(policy.web_session_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(PRE_SESSION_COOKIE, path="/web")
    return response


@router.post("/sign-out", include_in_schema=False, dependencies=[CsrfChecked])
def sign_out(
    session: SessionDep, clock: ClockDep, viewer: ViewerDep, secret: SecretDep
) -> Response:
    accounts.sign_out(session, viewer.token_row, now=clock.now())
    response = redirect("/web/sign-in", flash="You are signed out.", secret=secret)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/time-zone", include_in_schema=False, dependencies=[CsrfChecked])
def choose_time_zone(
    _viewer: ViewerDep,
    secret: SecretDep,
    tz: Annotated[str, Form(max_length=64)],
    next: Annotated[str, Form(max_length=2000)] = "/web/",
) -> Response:
    zone = zone_or_default(tz if tz in zone_names() else None)
    response = redirect(safe_next(next), secret=secret)
    response.set_cookie(ZONE_COOKIE, zone.key, max_age=365 * 24 * 3600, samesite="lax", path="/")
    return response
