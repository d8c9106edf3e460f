"""CSRF in the companion view, against the real server: once signed in, a form must
carry the token bound to *this* session (the pre-session token of the sign-in form no
longer does), and an unsafe request whose Origin — or, without one, Referer — is
another site is refused, token or not."""

from __future__ import annotations

import pytest
import requests

from tests.billing.support import Backend
from tests.billing.web_session import PASSWORD, csrf_of

EVIL = "http://evil.example"


def _signed_in_with_the_pre_session_token(backend: Backend) -> tuple[requests.Session, str, str]:
    """A signed-in browser, the token its sign-in form carried, and its pre-session cookie."""
    user = backend.user("client")
    http = requests.Session()
    base = backend.client.base_url
    form = http.get(f"{base}/web/sign-in", timeout=30)
    pre_token, pre_cookie = csrf_of(form.text), http.cookies["wd_pre"]
    signed_in = http.post(
        f"{base}/web/sign-in",
        data={"csrf_token": pre_token, "email": user.email, "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 303, signed_in.text
    return http, pre_token, pre_cookie


def _sign_out(
    backend: Backend, http: requests.Session, token: str, **headers: str
) -> requests.Response:
    return http.post(
        f"{backend.client.base_url}/web/sign-out",
        data={"csrf_token": token},
        headers=headers,
        allow_redirects=False,
        timeout=30,
    )


def test_the_pre_session_token_does_not_pass_a_signed_in_form(module_backend: Backend) -> None:
    backend = module_backend
    http, pre_token, pre_cookie = _signed_in_with_the_pre_session_token(backend)
    # even with its pre-session cookie sent back alongside the session
    http.cookies.set("wd_pre", pre_cookie, path="/web")
    refused = _sign_out(backend, http, pre_token)
    assert refused.status_code == 403 and "CSRF" in refused.text
    home = http.get(f"{backend.client.base_url}/web/", timeout=30)
    assert home.status_code == 200 and "Sign out" in home.text  # still signed in
    assert _sign_out(backend, http, csrf_of(home.text)).status_code == 303


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": EVIL},
        {"Origin": "null"},
        {"Referer": EVIL + "/page"},
        {"Origin": EVIL, "Referer": "{base}/web/"},  # Origin wins over a same-site Referer
    ],
    ids=["origin", "null-origin", "referer", "origin-over-referer"],
)
def test_an_unsafe_request_from_another_origin_is_refused(
    module_backend: Backend, headers: dict[str, str]
) -> None:
    backend = module_backend
    base = backend.client.base_url
    http, _pre_token, _pre_cookie = _signed_in_with_the_pre_session_token(backend)
    token = csrf_of(http.get(f"{base}/web/", timeout=30).text)
    sent = {name: value.format(base=base) for name, value in headers.items()}
    refused = _sign_out(backend, http, token, **sent)
    assert refused.status_code == 403 and "another site" in refused.text
    assert "Sign out" in http.get(f"{base}/web/", timeout=30).text
    # the same form from this origin passes
    assert _sign_out(backend, http, token, Origin=base, Referer=f"{base}/web/").status_code == 303


def test_the_sign_in_form_checks_the_origin_too(module_backend: Backend) -> None:
    backend = module_backend
    user = backend.user("client")
    http = requests.Session()
    base = backend.client.base_url
    form = http.get(f"{base}/web/sign-in", timeout=30)
    attempt = http.post(
        f"{base}/web/sign-in",
        data={"csrf_token": csrf_of(form.text), "email": user.email, "password": PASSWORD},
        headers={"Origin": EVIL},
        allow_redirects=False,
        timeout=30,
    )
    assert attempt.status_code == 403
    assert "wd_session" not in http.cookies
