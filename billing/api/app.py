"""The composition root of the backend: ``create_app(settings, clock)``.

It wires the engine and session factory, the blob store, the password hasher and the
clock onto ``app.state`` (read by :mod:`billing.api.deps`), mounts the ``/api/v1``
routers it imports and the companion view (:func:`billing.web.install`). Everything it
mounts is imported here by name, so the import graph is the whole wiring.

With ``run_scheduler=True`` (``workdiary-server serve``) a background thread runs the
jobs every ``settings.jobs_interval_seconds`` by the injected clock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from billing import web
from billing.api import (
    admin,
    auth,
    contracts,
    devices,
    disputes,
    escrow_messages,
    evidence,
    invoices,
    milestones,
    slots,
)
from billing.api.body_limits import BodyLimitMiddleware, limits_from
from billing.api.errors import install_error_handlers
from billing.api.headers import ApiCacheControl
from billing.api.uploads import remove_stale_spools
from billing.blob_config import blob_store_for
from billing.blobs import BlobStore
from billing.clock import Clock, SystemClock
from billing.config import Settings
from billing.db.migrate import upgrade
from billing.db.session import (
    is_sqlite,
    make_engine,
    make_read_sessions,
    make_session_factory,
    tighten,
)
from billing.jobs import Scheduler
from billing.passwords import Passwords
from billing.services.accounts import AuthPolicy
from billing.services.slot_ingest import SlotPuts

if TYPE_CHECKING:  # types only: the sessions come from billing.db.session
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings,
    clock: Clock | None = None,
    *,
    blobs: BlobStore | None = None,
    migrate: bool = False,
    run_scheduler: bool = False,
) -> FastAPI:
    """Build the FastAPI app for ``settings``; ``clock`` defaults to the system clock."""
    clock = clock or SystemClock()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    tighten(settings.data_dir, 0o700)
    remove_stale_spools(settings.upload_dir)
    engine = make_engine(settings.url, sqlite_synchronous=settings.sqlite_synchronous)
    if migrate:
        upgrade(engine)
    session_factory = make_session_factory(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = None
        if run_scheduler and settings.jobs_interval_seconds > 0:
            scheduler = Scheduler(session_factory, clock, settings, blobs=app.state.blobs)
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
        # no OpenTelemetry providers are set up here; with its telemetry on, FastAPI looks
        # for them (reading the environment) on every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    _attach_state(app, settings, clock, engine, session_factory, blobs)
    install_error_handlers(app)
    # bounded bodies: 413 over the route's limit, 408 when a body stalls (body_limits.py)
    app.add_middleware(BodyLimitMiddleware, limits=limits_from(settings, API_PREFIX))
    app.add_middleware(ApiCacheControl, prefix=f"{API_PREFIX}/")

    routers = (auth, devices, contracts, slots, evidence, invoices, disputes, admin,
               milestones, escrow_messages)
    for module in routers:
        # on the app itself, not through an /api/v1 router: every level of included
        # routers is walked again on each request (27 % of a PUT's calls on the loop)
        app.include_router(module.router, prefix=API_PREFIX)
    web.install(app)
    return app


def _attach_state(
    app: FastAPI,
    settings: Settings,
    clock: Clock,
    engine: Engine,
    session_factory: sessionmaker[Session],
    blobs: BlobStore | None,
) -> None:
    """What the request dependencies read from ``app.state``."""
    app.state.settings = settings
    app.state.clock = clock
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.read_sessions = make_read_sessions(engine)  # the hot routes' authorization
    # SQLite's writers take turns: the PUTs waiting for one are stored together
    app.state.slot_puts = SlotPuts(
        session_factory, AuthPolicy.from_settings(settings), settings.future_skew,
        together=is_sqlite(settings.url),
    )
    app.state.blobs = blobs or blob_store_for(settings)
    app.state.passwords = Passwords.with_cost(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism
    )
