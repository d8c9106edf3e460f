"""Tokens expire on the server, and the two kinds never stand in for each other.

Through the real HTTP server with the injected clock: the desktop app's API token
expires after ``api_token_idle_lifetime`` *unused* (each use moves it forward); a web
session ends ``web_session_lifetime`` after sign-in however much it is used. Expired is
a 401 saying ``session expired``, and the sign-in page says so too.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from billing.config import Settings
from billing.web.secret import secret_for
from billing.web.security import sign_session, unsign_session
from tests.billing.support import Backend
from tests.billing.web_session import web_sign_in

DAY = timedelta(days=1)


def _me(backend: Backend, token: str) -> tuple[int, str, str]:
    response = backend.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    detail = response.json().get("detail", "") if response.status_code != 200 else ""
    return response.status_code, detail, response.headers.get("WWW-Authenticate", "")


def test_the_api_token_slides_while_used_and_expires_when_left(module_backend: Backend) -> None:
    backend = module_backend
    window = backend.settings.api_token_idle_lifetime
    assert window == timedelta(days=30)  # the documented default
    user = backend.user("freelancer")
    token = backend.tokens[user.id]
    start = backend.clock.now()
    # used every 20 days: alive 100 days on, far past one window from its issue
    for days in (20, 40, 60, 80, 100):
        backend.clock.set(start + days * DAY)
        assert _me(backend, token)[0] == 200, days
    backend.clock.set(start + 100 * DAY + window - timedelta(seconds=1))
    assert _me(backend, token)[0] == 200
    # unused for a whole window after its last use: gone, and it says why
    backend.clock.set(start + 100 * DAY + window - timedelta(seconds=1) + window)
    status, detail, challenge = _me(backend, token)
    assert (status, detail) == (401, "session expired")
    assert 'error="invalid_token"' in challenge


def test_a_web_session_ends_at_its_lifetime_however_used(module_backend: Backend) -> None:
    backend = module_backend
    lifetime = backend.settings.web_session_lifetime
    user = backend.user("client")
    http = web_sign_in(backend, user.email)
    home = f"{backend.client.base_url}/web/"
    signed_in_at = backend.clock.now()
    for step in range(1, 4):  # in use all along
        backend.clock.set(signed_in_at + lifetime * step / 4)
        assert http.get(home, allow_redirects=False, timeout=30).status_code == 200
    backend.clock.set(signed_in_at + lifetime)
    expired = http.get(home, allow_redirects=False, timeout=30)
    assert expired.status_code == 303
    assert "expired=1" in expired.headers["Location"]
    page = http.get(home, timeout=30)
    assert "Signed out: session expired" in page.text


def test_a_web_session_is_no_bearer_token_nor_an_api_token_a_session(
    module_backend: Backend,
) -> None:
    backend = module_backend
    user = backend.user("client")
    http = web_sign_in(backend, user.email)
    secret = secret_for(backend.settings)
    web_token = unsign_session(secret, http.cookies["wd_session"])
    assert web_token is not None
    assert _me(backend, web_token)[:2] == (401, "token unknown or revoked")
    # the API token, even correctly signed into a cookie, opens no page
    forged = sign_session(secret, backend.tokens[user.id])
    page = backend.client.get(
        "/web/", cookies={"wd_session": forged}, allow_redirects=False
    )
    assert page.status_code == 303 and "/web/sign-in" in page.headers["Location"]
    assert "expired" not in page.headers["Location"]
    # and both still work where they belong
    assert _me(backend, backend.tokens[user.id])[0] == 200
    assert http.get(f"{backend.client.base_url}/web/", timeout=30).status_code == 200


def test_lifetimes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKDIARY_API_TOKEN_IDLE_LIFETIME", "P7D")
    monkeypatch.setenv("WORKDIARY_WEB_SESSION_LIFETIME", "3600")
    settings = Settings.from_env()
    assert settings.api_token_idle_lifetime == timedelta(days=7)
    assert settings.web_session_lifetime == timedelta(hours=1)
