"""The companion view: server-rendered pages under ``/web`` for clients, freelancers and
admins. ``billing.api.app.create_app`` calls :func:`install`."""

from __future__ import annotations

import importlib.util

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from billing.web.render import STATIC_DIR


def build_router() -> APIRouter:
    from billing.web import auth, contracts, diary, disputes, earnings, invoices, shots

    router = APIRouter(prefix="/web")
    for module in (auth, contracts, diary, shots, invoices, disputes, earnings):
        router.include_router(module.router)
    # the fixed-price pages need the fixed-price package (issue 7) to be present
    if importlib.util.find_spec("billing.db.milestones") is not None:
        from billing.web import milestones

        router.include_router(milestones.router)
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
