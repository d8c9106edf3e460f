"""Signed session cookies, per-session CSRF tokens and the Origin check of the
companion view.

The session cookie carries a *web session* token issued by the backend's own token
machinery (so signing out revokes it server-side, and it expires there; it is not an
API bearer token), wrapped in an HMAC signature with the server's web secret so a
tampered or forged cookie is rejected before any database lookup.
The CSRF token is an HMAC of the session token: one per session, nothing extra stored,
and useless to anyone who cannot read the session cookie. Before sign-in the sign-in
form's token is bound to a random pre-session cookie instead; that token is good for
the sign-in form only. Unsafe requests whose ``Origin`` (or ``Referer``) is another
site are refused as well (:func:`cross_origin`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlsplit

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


def _origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of ``url``, default ports dropped; ``None`` if unusable."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + ("" if port in (None, default) else f":{port}")


def cross_origin(own_url: str, origin: str | None, referer: str | None) -> bool:
    """Whether an unsafe request comes from another site: its ``Origin`` (or, failing
    that, its ``Referer``) names another origin than ``own_url``'s. ``Origin: null``
    (a sandboxed or privacy-stripped context) counts as another. With neither header
    there is nothing to compare (old browsers, privacy settings): the CSRF token stands.
    """
    own = _origin_of(own_url)
    claimed = origin if origin is not None else referer
    if claimed is None or not claimed.strip():
        return False
    return _origin_of(claimed) != own
