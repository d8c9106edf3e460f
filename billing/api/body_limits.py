"""Bounded request bodies: a size limit per route and a read timeout, as ASGI middleware.

The limit is checked against ``Content-Length`` before the app sees the request (413 at
once, nothing read) and counted while the body streams in when there is none (chunked):
the receive that crosses the limit raises :class:`BodyTooLarge`. A body that sends
nothing for ``read_timeout`` seconds, or is not complete after ``total_timeout``,
raises :class:`BodyTimeout` (408). Both are ``HTTPException``s, so the app's handlers
answer ``{"detail": …}``; they carry ``Connection: close`` so the server stops reading
the rest. Which route gets which limit is :func:`limits_from`'s table.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from billing.config import Settings

_CLOSE = {"Connection": "close"}


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            413, detail=f"request body too large: this route takes at most {limit} bytes",
            headers=_CLOSE,
        )


class BodyTimeout(HTTPException):
    def __init__(self) -> None:
        super().__init__(
            408, detail="request body not received in time; send it again", headers=_CLOSE
        )


@dataclass(frozen=True)
class Rule:
    method: str
    path: re.Pattern[str]
    max_bytes: int


@dataclass(frozen=True)
class BodyLimits:
    """``default_bytes`` for every route no rule names; timeouts in seconds."""

    default_bytes: int
    rules: Sequence[Rule]
    read_timeout: float
    total_timeout: float

    def limit_for(self, method: str, path: str) -> int:
        for rule in self.rules:
            if rule.method == method and rule.path.fullmatch(path):
                return rule.max_bytes
        return self.default_bytes


_ID = r"[^/]+"


def limits_from(settings: Settings, api_prefix: str = "/api/v1") -> BodyLimits:
    """The per-route table: JSON and forms get ``max_body_bytes`` unless named here."""
    contract = f"{re.escape(api_prefix)}/contracts/{_ID}"
    return BodyLimits(
        default_bytes=settings.max_body_bytes,
        rules=(
            Rule("PUT", re.compile(f"{contract}/slots/{_ID}/shot"), settings.max_shot_bytes),
            Rule("POST", re.compile(f"{contract}/slots"), settings.max_batch_bytes),
            Rule(
                "POST",
                re.compile(f"{contract}/milestones/{_ID}/attachments"),
                settings.max_attachment_bytes,
            ),
        ),
        read_timeout=settings.body_read_timeout_seconds,
        total_timeout=settings.body_total_timeout_seconds,
    )


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class _BoundedReceive:
    """``receive`` that counts body bytes and times each wait for the next chunk."""

    def __init__(self, receive: Receive, limit: int, limits: BodyLimits) -> None:
        self._receive = receive
        self._limit = limit
        self._limits = limits
        self._seen = 0
        self._done = False
        self._deadline = time.monotonic() + limits.total_timeout

    async def __call__(self) -> Message:
        if self._done:  # the body is in: what follows is a disconnect, wait as long as it takes
            return await self._receive()
        wait = min(self._limits.read_timeout, self._deadline - time.monotonic())
        if wait <= 0:
            raise BodyTimeout()
        try:
            # a deadline on this task's own wait: ``wait_for`` would run the receive as a
            # task of its own, on every request with a body
            async with asyncio.timeout(wait):
                message = await self._receive()
        except TimeoutError:
            raise BodyTimeout() from None
        if message["type"] != "http.request":
            self._done = True
            return message
        self._seen += len(message.get("body", b""))
        if self._seen > self._limit:
            raise BodyTooLarge(self._limit)
        self._done = not message.get("more_body", False)
        return message


async def _refuse(send: Send, error: HTTPException) -> None:
    body = json.dumps({"detail": error.detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Refuses oversized or stalled request bodies (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.limit_for(scope["method"], scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(send, BodyTooLarge(limit))
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, _BoundedReceive(receive, limit, self.limits), tracking_send)
        except (BodyTooLarge, BodyTimeout) as error:
            # raised where no handler turned it into a response (e.g. a mounted app)
            if started:
                raise
            await _refuse(send, error)
