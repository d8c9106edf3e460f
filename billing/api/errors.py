"""Every refusal becomes a 4xx JSON body ``{"detail": "<what is wrong>"}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from billing.db.errors import ServiceError

log = logging.getLogger(__name__)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(_request: Request, error: ServiceError) -> JSONResponse:
        return JSONResponse({"detail": error.message}, status_code=error.status)

    @app.exception_handler(IntegrityError)
    async def _integrity(_request: Request, error: IntegrityError) -> JSONResponse:
        # Two requests raced for the same row (or a rule the service missed): the request
        # conflicts with what is stored, it is not a server fault.
        log.info("integrity error mapped to 409: %s", error.orig)
        return JSONResponse(
            {"detail": "the request conflicts with stored data; reload and retry"},
            status_code=409,
        )

    @app.exception_handler(DataError)
    async def _data(_request: Request, error: DataError) -> JSONResponse:
        log.info("data error mapped to 422: %s", error.orig)
        return JSONResponse({"detail": "a value is out of range"}, status_code=422)

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, error: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", error.orig)
        return JSONResponse(
            {"detail": "database busy, retry shortly"},
            status_code=503,
            headers={"Retry-After": "1"},
        )
