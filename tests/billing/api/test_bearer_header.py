"""The single PUT reads its bearer token off the header (``header_token``) as the other
routes read it through ``HTTPBearer``: the same token, or the same 401."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import HTTPException
from starlette.requests import Request

from billing.api.deps import _bearer, _presented_token, header_token

HEADERS = [
    None, "", " ", "Bearer", "Bearer ", "Bearer  ", "Bearer abc", "bearer abc", "BEARER abc",
    "Bearer  abc  ", "Bearer a b", " Bearer abc", "Basic abc", "Bearerabc", "Bearer\tabc",
    "Bearer abc\t", "Token abc", "Bearer é",
]


def _request(authorization: str | None) -> Request:
    headers = [] if authorization is None else [(b"authorization", authorization.encode())]
    return Request({"type": "http", "method": "PUT", "path": "/", "headers": headers})


def _through_the_dependency(request: Request) -> str | HTTPException:
    # on a thread of its own: a test before this one on the same worker may have left an
    # event loop running on this thread (asyncio.run refuses to start inside one)
    with ThreadPoolExecutor(1) as thread:
        try:
            return _presented_token(thread.submit(asyncio.run, _bearer(request)).result())
        except HTTPException as refused:
            return refused


def _read_off_the_header(request: Request) -> str | HTTPException:
    try:
        return header_token(request.headers.get("Authorization"))
    except HTTPException as refused:
        return refused


def _same(answer: str | HTTPException) -> object:
    if isinstance(answer, HTTPException):
        return (answer.status_code, answer.detail, answer.headers)
    return answer


@pytest.mark.parametrize("authorization", HEADERS)
def test_the_header_gives_the_dependencys_token_or_refusal(authorization: str | None) -> None:
    request = _request(authorization)
    assert _same(_read_off_the_header(request)) == _same(_through_the_dependency(request))
