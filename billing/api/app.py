"""The composition root of the backend: ``create_app(settings, clock)``.

It wires the engine and session factory, the blob store, the password hasher and the
clock onto ``app.state`` (read by :mod:`billing.api.deps`), mounts the ``/api/v1``
routers and lets optional packages add themselves:

- a module ``billing.api.milestones`` exposing ``router`` (an ``APIRouter`` whose paths
  start after ``/api/v1``) is included under ``/api/v1``;
- a module ``billing.web`` exposing ``install(app)`` is called with the app.

With ``run_scheduler=True`` (``workdiary-server serve``) a background thread runs the
jobs every ``settings.jobs_interval_seconds`` by the injected clock.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from billing.blob_config import blob_store_for
from billing.blobs import BlobStore
from billing.clock import Clock, SystemClock
from billing.config import Settings
from billing.db.accounts import Passwords
from billing.db.migrate import upgrade
from billing.db.session import make_engine, make_session_factory

API_PREFIX = "/api/v1"
OPTIONAL_ROUTERS = ("billing.api.milestones",)
OPTIONAL_INSTALLERS = ("billing.web",)


def _optional_module(name: str) -> object | None:
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:
        return None
    return None if spec is None else importlib.import_module(name)


def create_app(
    settings: Settings,
    clock: Clock | None = None,
    *,
    blobs: BlobStore | None = None,
    migrate: bool = False,
    run_scheduler: bool = False,
) -> FastAPI:
    """Build the FastAPI app for ``settings``; ``clock`` defaults to the system clock."""
    from billing.api import admin, auth, contracts, disputes, invoices, slots
    from billing.jobs import Scheduler

    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    engine = make_engine(settings.url, sqlite_synchronous=settings.sqlite_synchronous)
    if migrate:
        upgrade(engine)
    session_factory = make_session_factory(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if run_scheduler and settings.jobs_interval_seconds > 0:
            scheduler = Scheduler(session_factory, clock, settings)
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            engine.dispose()

    app = FastAPI(
        title="Workdiary billing",
        version="1",
        description="Hourly contracts, slot ingest, weekly invoices, disputes and ledger.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.blobs = blobs or blob_store_for(settings)
    app.state.passwords = Passwords.with_cost(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )

    from billing.api.errors import install_error_handlers

    install_error_handlers(app)

    api = APIRouter(prefix=API_PREFIX)
    for module in (auth, contracts, slots, invoices, disputes, admin):
        api.include_router(module.router)
    for name in OPTIONAL_ROUTERS:
        module = _optional_module(name)
        router = getattr(module, "router", None)
        if router is not None:
            api.include_router(router)
    app.include_router(api)
    for name in OPTIONAL_INSTALLERS:
        install = getattr(_optional_module(name), "install", None)
        if install is not None:
            install(app)
    return app
