"""Signing in to the companion view over real HTTP, as a browser would (with requests)."""

from __future__ import annotations

import re

import requests

from tests.billing.support import Backend

PASSWORD = "secret"  # every Backend.user's password


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def web_sign_in(backend: Backend, email: str, password: str = PASSWORD) -> requests.Session:
    """A browser-like session signed in through the sign-in form (redirects not followed)."""
    http = requests.Session()
    base = backend.client.base_url
    form = http.get(f"{base}/web/sign-in", timeout=30)
    assert form.status_code == 200, form.text
    signed_in = http.post(
        f"{base}/web/sign-in",
        data={"csrf_token": csrf_of(form.text), "email": email, "password": password},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 303, signed_in.text
    assert "wd_session" in http.cookies
    return http

