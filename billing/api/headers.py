"""Response headers every API answer carries unless its route chose its own.

``Cache-Control: no-store`` on everything under ``/api/``: answers hold contract data,
balances and tokens, and a shared or browser cache must not keep them (RFC 9111 §5.2.2.5).
A route that means something else (a shot is ``private, no-store`` too, by its own
header) sets ``Cache-Control`` itself and is left alone.

A plain ASGI middleware, not ``BaseHTTPMiddleware``: it only edits the start message, so
streamed bodies (shots, attachments) pass through untouched.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CACHE_CONTROL = "no-store"


class ApiCacheControl:
    """Adds ``Cache-Control: no-store`` to responses under ``prefix`` that set none."""

    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = API_CACHE_CONTROL
            await send(message)

        await self.app(scope, receive, send_with_header)
