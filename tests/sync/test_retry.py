"""The retry rules, row by row, and the backoff's growth and jitter. ``requests``'
failures are given as the transport hands them on (translated), as the uploader sees
them."""

from __future__ import annotations

import random

import pytest
import requests

from sync.errors import ApiError, RequestRefusedHere, TransportError
from sync.requests_transport import translated_errors
from sync.retry import Backoff, Decision, Operation, Verdict, decide

PUT, SHOT, DELETE = Operation.PUT_SLOT, Operation.PUT_SHOT, Operation.DELETE_SLOT


def _sent(error: requests.RequestException) -> TransportError:
    """``error`` as the transport raises it to the uploader."""
    with pytest.raises(TransportError) as raised, translated_errors():
        raise error
    return raised.value


# (outcome, operation, expected verdict)
TABLE: list[tuple[BaseException | None, Operation, Verdict]] = [
    (None, PUT, Verdict.DONE),
    (_sent(requests.ConnectionError("refused")), PUT, Verdict.RETRY),
    (_sent(requests.exceptions.ConnectTimeout("connect timeout")), PUT, Verdict.RETRY),
    (_sent(requests.exceptions.ReadTimeout("read timeout")), SHOT, Verdict.RETRY),
    (_sent(requests.exceptions.ChunkedEncodingError("cut")), SHOT, Verdict.RETRY),
    (_sent(requests.exceptions.ContentDecodingError("gzip")), SHOT, Verdict.RETRY),
    (_sent(requests.exceptions.SSLError("bad certificate")), PUT, Verdict.RETRY),
    (_sent(requests.exceptions.ProxyError("proxy refused")), PUT, Verdict.RETRY),
    (ApiError(500, "internal"), PUT, Verdict.RETRY),
    (ApiError(502, "bad gateway"), SHOT, Verdict.RETRY),
    (ApiError(503, "unavailable", retry_after=7), DELETE, Verdict.RETRY),
    (ApiError(408, "request timeout"), PUT, Verdict.RETRY),
    (ApiError(429, "slow down"), PUT, Verdict.RETRY),
    (ApiError(401, "token revoked"), PUT, Verdict.SIGN_IN),
    (ApiError(401, "token revoked"), DELETE, Verdict.SIGN_IN),
    (ApiError(409, "week locked"), PUT, Verdict.CONFIRM),
    (ApiError(409, "week locked"), SHOT, Verdict.REJECTED),
    (ApiError(409, "week finalized"), DELETE, Verdict.REJECTED),
    (ApiError(409, "a different slot is held"), PUT, Verdict.CONFIRM),
    (ApiError(403, "contract ended"), PUT, Verdict.REJECTED),
    (ApiError(404, "no such contract"), PUT, Verdict.REJECTED),
    (ApiError(404, "no such slot"), DELETE, Verdict.DONE),  # already gone: goal reached
    (ApiError(422, "slot is in the future"), PUT, Verdict.REJECTED),
    (ApiError(400, "sha256 mismatch"), SHOT, Verdict.REJECTED),
    (ApiError(413, "too large"), SHOT, Verdict.REJECTED),
]


@pytest.mark.parametrize(("outcome", "operation", "verdict"), TABLE, ids=repr)
def test_retry_table(outcome: BaseException | None, operation: Operation, verdict: Verdict) -> None:
    assert decide(outcome, operation).verdict is verdict


def test_a_4xx_keeps_the_servers_reason_and_retry_after_passes_through() -> None:
    assert decide(ApiError(409, "week locked"), DELETE) == Decision(Verdict.REJECTED, "week locked")
    assert decide(ApiError(503, "busy", retry_after=7.0), PUT).retry_after == 7.0


def test_the_reason_says_which_transport_failure_it_was() -> None:
    assert decide(_sent(requests.exceptions.ConnectTimeout("x")), PUT).reason == (
        "the server did not answer in time")  # a connect timeout is a timeout first
    assert decide(_sent(requests.ConnectionError("x")), PUT).reason == "cannot reach the server"


def test_a_client_bug_is_not_swallowed_as_a_network_error() -> None:
    refused = _sent(requests.exceptions.InvalidURL("no host"))
    assert isinstance(refused, RequestRefusedHere)
    with pytest.raises(RequestRefusedHere):
        decide(refused, PUT)


def test_backoff_grows_exponentially_within_jitter_bounds_up_to_the_cap() -> None:
    backoff = Backoff(random.Random(4), base_seconds=1.0, cap_seconds=60.0)
    for attempt in range(12):
        ceiling = min(60.0, 2.0**attempt)
        delays = [backoff.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 150  # jittered, not a fixed step
    assert backoff.delay(10_000) <= 60.0


def test_backoff_is_reproducible_with_a_seed_and_honours_retry_after() -> None:
    first = [Backoff(random.Random(9)).delay(n) for n in range(8)]
    second = [Backoff(random.Random(9)).delay(n) for n in range(8)]
    assert first == second
    backoff = Backoff(random.Random(1), base_seconds=1.0, cap_seconds=30.0)
    assert backoff.delay(0, retry_after=12.0) == 12.0
    assert backoff.delay(0, retry_after=3600.0) == 30.0  # never beyond our cap
    with pytest.raises(ValueError):
        backoff.delay(-1)
