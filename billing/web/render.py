"""Templates, one-shot flash messages and the error page of the companion view."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from billing.web import formatting
from billing.web.form_failure import form_state
from billing.web.security import csrf_token, sign_session, unsign_session

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
FLASH_COOKIE = "wd_flash"

templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))
_env = templates.env
_env.globals["money"] = formatting.money_html
_env.globals["money_text"] = formatting.money_text
_env.globals["money_input"] = formatting.money_input
_env.filters["hours"] = formatting.hours_text
_env.filters["cap"] = formatting.cap_text
_env.globals["week_text"] = formatting.week_text
_env.filters["count"] = lambda count, noun: formatting.count_text(count, noun)
_env.filters["plural"] = lambda noun, count: formatting.plural(count, noun)
_env.filters["duration"] = formatting.duration_text
_env.filters["calendar_date"] = formatting.calendar_date_text
_env.filters["long_date"] = formatting.long_date_text
_env.globals["common_zones"] = formatting.common_zones
_env.globals["zone_names"] = formatting.zone_names
_env.globals["zone_label"] = formatting.zone_label


def static_url(name: str) -> str:
    """``/web/static/<name>?v=<mtime>`` so a changed stylesheet is never served stale."""
    path = STATIC_DIR / name
    version = int(path.stat().st_mtime) if path.is_file() else 0
    return f"/web/static/{name}?v={version}"


_env.globals["static_url"] = static_url


def safe_next(url: str | None, default: str = "/web/") -> str:
    """Only a local path under /web/ may be a redirect target (no open redirects)."""
    if not url:
        return default
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/web/") or "\\" in url:
        return default
    return url


def redirect(
    url: str, *, flash: str | None = None, kind: str = "ok", secret: bytes
) -> RedirectResponse:
    """A 303 to ``url``; ``flash`` is shown once on the next page."""
    response = RedirectResponse(url, status_code=303)
    if flash:
        payload = base64.urlsafe_b64encode(json.dumps([kind, flash]).encode()).decode()
        response.set_cookie(
            FLASH_COOKIE,
            sign_session(secret, payload),
            httponly=True,
            samesite="lax",
            path="/web",
            max_age=60,
        )
    return response


def _read_flash(request: Request, secret: bytes) -> dict[str, str] | None:
    payload = unsign_session(secret, request.cookies.get(FLASH_COOKIE))
    if payload is None:
        return None
    try:
        kind, text = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, TypeError):
        return None
    return {"kind": "error" if kind == "error" else "ok", "text": str(text)}


def render(
    request: Request,
    template: str,
    *,
    secret: bytes,
    zone: ZoneInfo,
    zone_chosen: bool,
    viewer: Any = None,
    session_token: str | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` with what every page needs: viewer, CSRF token, zone, flash."""
    flash = _read_flash(request, secret)
    context.setdefault("csrf_token", csrf_token(secret, session_token) if session_token else "")
    response = templates.TemplateResponse(
        request,
        template,
        {
            "viewer": viewer,
            "tz_name": zone.key,
            "tz_chosen": zone_chosen,
            "zone": zone,
            "flash": flash,
            "dt": lambda instant: formatting.datetime_text(instant, zone),
            "day": lambda instant: formatting.date_text(instant, zone),
            "clock": lambda instant: formatting.time_text(instant, zone),
            "form": form_state(request),
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            **context,
        },
        status_code=status_code,
    )
    if flash is not None:
        response.delete_cookie(FLASH_COOKIE, path="/web")
    add_page_headers(response)
    return response


# Scripts only from our own static files (no inline script); style attributes are allowed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def add_page_headers(response: Response) -> None:
    """Pages show money and shots: no shared caching, no framing, no inline script."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
