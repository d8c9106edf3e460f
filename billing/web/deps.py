"""Dependencies of the companion view: who is looking, in which zone, and CSRF.

The viewer comes from the signed session cookie, whose token is a backend *web session*
(``billing.services.accounts``): signing out revokes it, it ends at its absolute
lifetime, and it is no API bearer token. A signed-in form must carry the CSRF token
bound to that session (the pre-session token is for the sign-in form only), and no
unsafe request may come from another origin. Contract access is
decided by :mod:`billing.access`, as for the API: a stranger gets 404, a viewer whose
role may not act gets 403. ``ViewedContract`` is the dependency form;
:func:`load_contract` the call form for handlers that load the contract themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fastapi import Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse

from billing.access import ContractAccess, authorize, contract_dependency
from billing.api.deps import AuthPolicyDep, ClockDep, SessionDep, get_session
from billing.db.errors import Unauthorized
from billing.db.models import ApiToken, Contract, Role, TokenKind, User
from billing.services.accounts import SESSION_EXPIRED, authenticate
from billing.web.formatting import zone_or_default
from billing.web.render import render
from billing.web.route import ForeignRequest
from billing.web.secret import web_secret
from billing.web.security import (
    SESSION_COOKIE,
    cross_origin,
    csrf_ok,
    csrf_token,
    unsign_session,
)

ZONE_COOKIE = "wd_tz"
PRE_SESSION_COOKIE = "wd_pre"
CSRF_FIELD = "csrf_token"

SecretDep = Annotated[bytes, Depends(web_secret)]


@dataclass(frozen=True)
class Zone:
    zone: ZoneInfo
    chosen: bool  # False until the browser (or the viewer) told us


def get_zone(request: Request) -> Zone:
    # the browser script percent-encodes the slash (Europe%2FBerlin)
    name = unquote(request.cookies.get(ZONE_COOKIE) or "")
    return Zone(zone_or_default(name), chosen=bool(name))


ZoneDep = Annotated[Zone, Depends(get_zone)]


@dataclass(frozen=True)
class Viewer:
    """The signed-in person and the session token behind their cookie."""

    user: User
    token_row: ApiToken
    session_token: str
    csrf: str
    # what this request asks for: an admin whose dispute closed may only read its record
    method: str = "GET"
    path: str = ""

    @property
    def role(self) -> str:
        return self.user.role

    @property
    def display_name(self) -> str:
        return self.user.display_name


class SignInRequired(HTTPException):
    def __init__(self, next_url: str, *, expired: bool = False) -> None:
        location = f"/web/sign-in?next={quote(next_url, safe='')}" + (
            "&expired=1" if expired else ""
        )
        super().__init__(
            status.HTTP_303_SEE_OTHER, detail="sign in first", headers={"Location": location}
        )


def viewer_or_none(
    request: Request,
    session: SessionDep,
    secret: SecretDep,
    clock: ClockDep,
    policy: AuthPolicyDep,
) -> Viewer | None:
    token = unsign_session(secret, request.cookies.get(SESSION_COOKIE))
    if token is None:
        return None
    try:
        user, token_row = authenticate(session, policy, token, TokenKind.WEB, now=clock.now())
    except Unauthorized as refused:
        # the sign-in page says why, once asked for it
        request.state.session_expired = refused.message == SESSION_EXPIRED
        return None
    return Viewer(
        user, token_row, token, csrf_token(secret, token), request.method, request.url.path
    )


def get_viewer(
    request: Request, viewer: Annotated[Viewer | None, Depends(viewer_or_none)]
) -> Viewer:
    if viewer is None:
        query = request.url.query
        next_url = request.url.path + (f"?{query}" if query else "")
        raise SignInRequired(next_url, expired=getattr(request.state, "session_expired", False))
    return viewer


ViewerDep = Annotated[Viewer, Depends(get_viewer)]
MaybeViewer = Annotated[Viewer | None, Depends(viewer_or_none)]

_CSRF_FAILED = (
    "This form has expired or did not come from this site (CSRF check failed). "
    "Reload the page and try again."
)


def refuse_cross_origin(request: Request) -> None:
    """403 for an unsafe request whose Origin (or Referer) is another site."""
    own = request.app.state.settings.web_origin or str(request.base_url)
    if cross_origin(own, request.headers.get("origin"), request.headers.get("referer")):
        raise ForeignRequest(
            status.HTTP_403_FORBIDDEN,
            detail="This request came from another site and was refused.",
        )


async def _submitted_csrf(request: Request) -> str | None:
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    return submitted if isinstance(submitted, str) else None


async def check_csrf(request: Request, secret: SecretDep) -> None:
    """Refuse (403) a signed-in form from another origin, or whose hidden CSRF field is
    not the token bound to this session. The pre-session token is never enough here."""
    refuse_cross_origin(request)
    session_token = unsign_session(secret, request.cookies.get(SESSION_COOKIE))
    submitted = await _submitted_csrf(request)
    if session_token is None or not csrf_ok(secret, session_token, submitted):
        raise ForeignRequest(status.HTTP_403_FORBIDDEN, detail=_CSRF_FAILED)


async def check_pre_session_csrf(request: Request, secret: SecretDep) -> None:
    """The sign-in form's check (login CSRF): its token is bound to a random
    pre-session cookie, since there is no session yet."""
    refuse_cross_origin(request)
    pre_session = request.cookies.get(PRE_SESSION_COOKIE)
    submitted = await _submitted_csrf(request)
    if not pre_session or not csrf_ok(secret, "pre:" + pre_session, submitted):
        raise ForeignRequest(status.HTTP_403_FORBIDDEN, detail=_CSRF_FAILED)


CsrfChecked = Depends(check_csrf)
PreSessionCsrfChecked = Depends(check_pre_session_csrf)


@dataclass(frozen=True)
class WebContract:
    """A contract and the viewer's role on it."""

    contract: Contract
    viewer: Viewer
    role: Role


def load_contract(
    session: SessionDep, viewer: Viewer, contract_id: int, *allowed: Role
) -> WebContract:
    """The contract if the viewer holds one of ``allowed`` (any role when none is given)."""
    roles = frozenset(allowed or Role)
    access = authorize(
        session, viewer.user, contract_id, roles, method=viewer.method, path=viewer.path
    )
    return WebContract(access.contract, viewer, access.role)


def get_viewer_user(viewer: ViewerDep) -> User:
    return viewer.user


# a party, or an admin through a dispute assigned to them; the rules decide the rest
ViewedContract = Annotated[
    ContractAccess, Depends(contract_dependency(get_session, get_viewer_user, *Role))
]


def render_page(
    request: Request,
    template: str,
    *,
    viewer: Viewer,
    zone: Zone,
    secret: bytes,
    show_nav: bool = True,
    **context: Any,
) -> HTMLResponse:
    """A signed-in page: the viewer, their session's CSRF token and zone, and ``context``."""
    return render(
        request,
        template,
        secret=secret,
        zone=zone.zone,
        zone_chosen=zone.chosen,
        viewer=viewer if show_nav else None,
        session_token=viewer.session_token,
        **context,
    )


@dataclass(frozen=True)
class Page:
    """What every signed-in page is rendered with: the request, the viewer, their zone
    and the site secret, so a page handler asks for one thing instead of four."""

    request: Request
    viewer: Viewer
    zone: Zone
    secret: bytes

    def render(self, template: str, *, show_nav: bool = True, **context: Any) -> HTMLResponse:
        return render_page(
            self.request,
            template,
            viewer=self.viewer,
            zone=self.zone,
            secret=self.secret,
            show_nav=show_nav,
            **context,
        )


def get_page(request: Request, viewer: ViewerDep, zone: ZoneDep, secret: SecretDep) -> Page:
    return Page(request, viewer, zone, secret)


PageDep = Annotated[Page, Depends(get_page)]
