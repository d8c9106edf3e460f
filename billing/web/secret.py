"""The key that signs the companion view's cookies.

The ``web_secret`` setting (``WORKDIARY_WEB_SECRET``) wins: several servers behind one
load balancer must share it. Without it — the embedded, single-server default — a
random key is created once in the server's data directory (0600) and kept, so sessions
survive a restart.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import Request

from billing.config import Settings

FILE_NAME = "web-secret"


def load_or_create_secret(data_dir: Path) -> bytes:
    """The secret kept in (or newly written to) ``data_dir``."""
    path = data_dir / FILE_NAME
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48).encode("ascii")
    # O_EXCL: if two workers race, one writes and the other reads the winner's key
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
        handle.flush()
        os.fsync(handle.fileno())
    return value


def secret_for(settings: Settings) -> bytes:
    """The configured ``web_secret``, else the data directory's own key."""
    if settings.web_secret is not None:
        return settings.web_secret.get_secret_value().encode("utf-8")
    return load_or_create_secret(settings.data_dir)


def web_secret(request: Request) -> bytes:
    """The app's cookie-signing key, loaded on first use and kept on ``app.state``."""
    state = request.app.state
    secret: bytes | None = getattr(state, "web_secret", None)
    if secret is None:
        secret = secret_for(state.settings)
        state.web_secret = secret
    return secret
