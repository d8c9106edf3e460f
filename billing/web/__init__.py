"""The companion view: server-rendered pages under ``/web`` for clients, freelancers and
admins. ``billing.api.app.create_app`` calls :func:`install`."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from billing.web import (
    auth,
    contracts,
    diary,
    disputes,
    earnings,
    evidence,
    invoices,
    milestones,
    shots,
)
from billing.web.render import STATIC_DIR


def build_router() -> APIRouter:
    router = APIRouter(prefix="/web")
    for module in (auth, contracts, diary, shots, evidence, invoices, disputes, earnings,
                   milestones):
        router.include_router(module.router)
    return router


def install(app: FastAPI) -> None:
    """Mount the pages under ``/web`` and their stylesheet and script under ``/web/static``."""
    app.mount("/web/static", StaticFiles(directory=STATIC_DIR), name="web-static")
    app.include_router(build_router())
    taken = {getattr(route, "path", None) for route in app.routes}
    if "/" not in taken:

        @app.get("/", include_in_schema=False)
        def _home() -> RedirectResponse:
            return RedirectResponse("/web/", status_code=307)
