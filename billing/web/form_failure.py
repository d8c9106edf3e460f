"""A refused form is shown again on the page it came from, with what was typed.

When a form post is refused (a 4xx: an amount "abc", a dispute with no slot ticked, a
rule that says no), :class:`~billing.web.route.WebRoute` asks :func:`page_again` to
render the page the form was on — a GET of the ``Referer`` through the same app — with a
:class:`FormFailure` in the request scope. The templates read it through
:class:`FormState`: the failed form shows the message beside its button and keeps every
field as typed. The answer keeps the refusal's 4xx status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from markupsafe import Markup
from starlette.types import Message

from billing.api.deps import OPEN_SESSIONS

SCOPE_KEY = "workdiary.form_failure"
# fields never echoed back into a page (the token is rendered fresh; passwords never)
_NOT_KEPT = frozenset({"csrf_token", "password", "confirmed"})
_DROPPED_HEADERS = frozenset({b"content-type", b"content-length", b"transfer-encoding"})


@dataclass(frozen=True)
class FormFailure:
    """The form that was refused: its action path, why, and the values it carried."""

    action: str
    message: str
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


class FormState:
    """What the templates ask of a page's forms: ``form.error(action)`` (the message, on
    the form that failed), ``form.value(action, name, default)`` and
    ``form.checked(action, name, value, default)`` (what was typed, else the default)."""

    def __init__(self, failure: FormFailure | None) -> None:
        self.failure = failure

    def failed(self, action: str) -> bool:
        return self.failure is not None and self.failure.action == action

    def error(self, action: str) -> Markup:
        if self.failure is None or not self.failed(action):
            return Markup("")
        return Markup('<p class="form-error" role="alert" data-testid="form-error">{}</p>').format(
            self.failure.message
        )

    def value(self, action: str, name: str, default: Any = "") -> Any:
        if self.failure is None or not self.failed(action):
            return default
        typed = self.failure.values.get(name)
        return typed[0] if typed else ""

    def checked(self, action: str, name: str, value: Any, default: bool = False) -> bool:
        if self.failure is None or not self.failed(action):
            return default
        return str(value) in self.failure.values.get(name, ())


def form_state(request: Request) -> FormState:
    failure = request.scope.get(SCOPE_KEY)
    return FormState(failure if isinstance(failure, FormFailure) else None)


def _referer_path(request: Request) -> str | None:
    """The page the form was on, if it is one of ours (same host, under /web/)."""
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.headers.get("host"):
        return None
    if not parts.path.startswith("/web/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _typed_values(request: Request) -> dict[str, tuple[str, ...]]:
    form = await request.form()
    values: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if name not in _NOT_KEPT and isinstance(value, str):
            values.setdefault(name, []).append(value)
    return {name: tuple(items) for name, items in values.items()}


async def page_again(request: Request, status_code: int, message: str) -> Response | None:
    """The referring page rendered with the failure, or ``None`` when there is none to
    show (no usable Referer, not a form post, or that page did not render)."""
    if request.method != "POST":
        return None
    target = _referer_path(request)
    if target is None:
        return None
    failure = FormFailure(request.url.path, message, await _typed_values(request))
    # the refused unit of work may hold row (SQLite: database) locks until this request
    # ends; the page rendered below must not wait on them
    for session in request.scope.get(OPEN_SESSIONS, ()):
        await run_in_threadpool(session.rollback)
    path, _, query = target.partition("?")
    scope: dict[str, Any] = {
        key: request.scope[key]
        for key in ("type", "asgi", "http_version", "scheme", "server", "client", "root_path")
        if key in request.scope
    }
    if "state" in request.scope:
        scope["state"] = dict(request.scope["state"])
    scope.update(
        method="GET",
        path=path,
        raw_path=path.encode(),
        query_string=query.encode(),
        headers=[(k, v) for k, v in request.scope["headers"] if k not in _DROPPED_HEADERS],
    )
    scope[SCOPE_KEY] = failure
    return await _call(request.scope["app"], scope, status_code)


async def _call(app: Any, scope: dict[str, Any], status_code: int) -> Response | None:
    sent: list[Message] = []
    finished = anyio.Event()
    asked = False

    async def receive() -> Message:
        # the empty body once; after that, as a server does, "disconnected" only once the
        # response is complete (a listener must not spin on an endless stream of requests)
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            finished.set()

    await app(scope, receive, send)
    start = next((m for m in sent if m["type"] == "http.response.start"), None)
    if start is None or start["status"] != 200:
        return None
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response = Response(body, status_code=status_code)
    response.raw_headers = [
        (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
    ]
    response.headers["content-length"] = str(len(body))
    return response
