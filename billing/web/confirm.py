"""The confirm step of actions that move money or change what is billed.

A form for such an action posts without ``confirmed``; the handler answers with
``confirm.html``: what will happen, with the amount named, and one button that posts
the same fields again with ``confirmed=yes``. It is a page of its own, so it works the
same with or without JavaScript, and nothing happens until that second post.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Form, Response

from billing.web.deps import Page

Confirmed = Annotated[str, Form(max_length=3)]


@dataclass(frozen=True)
class Confirmation:
    """What the confirm page says: a question, the consequences, and the button."""

    title: str
    lines: tuple[str, ...]
    button: str
    danger: bool = False


def is_confirmed(confirmed: str) -> bool:
    return confirmed == "yes"


def confirm_page(
    page: Page, confirmation: Confirmation, *, back: str, fields: dict[str, str] | None = None
) -> Response:
    """The confirm step: ``fields`` are posted again, with ``confirmed=yes``, to this URL."""
    return page.render(
        "confirm.html",
        nav="contracts",
        confirmation=confirmation,
        action=page.request.url.path,
        fields=sorted((fields or {}).items()),
        back=back,
    )
