"""Every refusal becomes a 4xx JSON body ``{"detail": "<what is wrong>"}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.requests import ClientDisconnect

from billing.blobs import BlobStoreUnavailable
from billing.db.errors import ServiceError

log = logging.getLogger(__name__)


def _plain_errors(error: RequestValidationError) -> list[dict[str, object]]:
    # FastAPI's default handler echoes the offending input, which fails on undecodable
    # bytes (a 500 for a bad body); say where and what, without the input.
    return [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in item.get("loc", ())],
            "msg": str(item.get("msg", "invalid")),
            "type": str(item.get("type", "value_error")),
        }
        for item in error.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _plain_errors(error)}, status_code=422)

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

    @app.exception_handler(OverflowError)
    async def _overflow(_request: Request, error: OverflowError) -> JSONResponse:
        # date arithmetic at the edge of the calendar: the input was out of range
        return JSONResponse({"detail": "a date or number is out of range"}, status_code=422)

    @app.exception_handler(BlobStoreUnavailable)
    async def _blobs_down(_request: Request, error: BlobStoreUnavailable) -> JSONResponse:
        log.warning("blob store unavailable: %s", error)
        return JSONResponse(
            {"detail": "file storage unavailable, retry shortly"},
            status_code=503,
            headers={"Retry-After": "5"},
        )

    @app.exception_handler(ClientDisconnect)
    async def _cut_off(request: Request, _error: ClientDisconnect) -> JSONResponse:
        # a lid closed or Wi-Fi lost mid-upload: nothing was kept (the spool file goes
        # with the request), the client sends it again; one line, not a stack trace
        log.warning("%s %s: the client went away before its body ended (upload cut off)",
                    request.method, request.url.path)
        return JSONResponse({"detail": "the request body was cut off; send it again"},
                            status_code=400)

    @app.exception_handler(OperationalError)
    async def _busy(_request: Request, error: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", error.orig)
        return JSONResponse(
            {"detail": "database busy, retry shortly"},
            status_code=503,
            headers={"Retry-After": "1"},
        )
