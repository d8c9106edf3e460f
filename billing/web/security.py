"""Signed session cookies and per-session CSRF tokens for the companion view.

The session cookie carries a bearer token issued by the backend's own token machinery
(so signing out revokes it server-side), wrapped in an HMAC signature with the server's
web secret so a tampered or forged cookie is rejected before any database lookup.
The CSRF token is an HMAC of the session token: one per session, nothing extra stored,
and useless to anyone who cannot read the session cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SESSION_COOKIE = "wd_session"
_SEPARATOR = "."


def _mac(secret: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_session(secret: bytes, token: str) -> str:
    """The cookie value for ``token``: the token and its signature."""
    return f"{token}{_SEPARATOR}{_mac(secret, 'session', token)}"


def unsign_session(secret: bytes, cookie_value: str | None) -> str | None:
    """The token inside a signed cookie value, or ``None`` if it is missing or forged."""
    if not cookie_value or _SEPARATOR not in cookie_value:
        return None
    token, signature = cookie_value.rsplit(_SEPARATOR, 1)
    expected = _mac(secret, "session", token)
    if not token or not hmac.compare_digest(signature, expected):
        return None
    return token


def csrf_token(secret: bytes, session_token: str) -> str:
    """The CSRF token every form of this session must carry in its hidden field."""
    return _mac(secret, "csrf", session_token)


def csrf_ok(secret: bytes, session_token: str, submitted: str | None) -> bool:
    """True if ``submitted`` is this session's CSRF token (constant-time comparison)."""
    if not submitted:
        return False
    return hmac.compare_digest(submitted, csrf_token(secret, session_token))
