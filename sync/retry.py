"""The retry rules of the uploader, as one table, and the backoff between attempts.

Every outcome of a request — a response status or a transport exception — maps to one
:class:`Verdict`. Transport failures, timeouts and 5xx are transient: back off and try
again. A definite 4xx is the server's last word on that request: stop and keep its
reason on the slot so the UI can show it. 401 means the token is gone: stop everything
until the user signs in again.

The table is data (``STATUS_TABLE``) so a test can walk it row by row.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from sync.errors import ApiError, TimedOut, TransferCut, Unreachable, WireError


class Verdict(Enum):
    DONE = "done"  # the server holds what we sent (or, for a DELETE, no longer holds it)
    RETRY = "retry"  # transient: back off and send the same request again
    REJECTED = "rejected"  # a definite no for this slot: keep it locally with the reason
    SIGN_IN = "sign_in"  # the token is no longer valid: pause all uploads until sign-in
    CONFIRM = "confirm"  # a conflict that a racing duplicate of our own request can cause:
    # send once more; the same answer again makes it REJECTED


class Operation(Enum):
    PUT_SLOT = "put_slot"
    PUT_SLOTS = "put_slots"  # the batch as a whole; each slot's own status is PUT_SLOT's
    PUT_SHOT = "put_shot"
    DELETE_SLOT = "delete_slot"
    READ = "read"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str  # what the UI shows; the server's own words for a 4xx
    retry_after: float | None = None  # the server's Retry-After, in seconds, if it sent one


# Status → verdict. Rows are looked up exactly first, then by class (4xx/5xx).
# (status, operation or None for any) → verdict
STATUS_TABLE: dict[tuple[int, Operation | None], Verdict] = {
    # a DELETE of a slot the server does not hold has reached its goal: a dropped
    # response to an earlier DELETE that did succeed ends here on the retry
    (404, Operation.DELETE_SLOT): Verdict.DONE,
    # Two copies of one PUT in flight (a timed-out request still running on the server
    # while we resend) make the loser see a 409; a replay of the same body then gets 200.
    # A real conflict answers 409 again.
    (409, Operation.PUT_SLOT): Verdict.CONFIRM,
    (401, None): Verdict.SIGN_IN,
    (408, None): Verdict.RETRY,  # request timeout: the server gave up reading, not judging
    (425, None): Verdict.RETRY,  # too early
    (429, None): Verdict.RETRY,  # rate limited
}
CLASS_TABLE: dict[int, Verdict] = {2: Verdict.DONE, 4: Verdict.REJECTED, 5: Verdict.RETRY}

# Transport failures that say nothing about the request itself. Any other error (the
# HTTP library refusing an invalid URL or header) is a bug in the client and is not
# swallowed.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    Unreachable,  # refused, reset, DNS, proxy, TLS; the network helper lost
    TimedOut,  # connect or read timeout
    TransferCut,  # connection cut mid-body, or an undecodable one
    WireError,  # an answer we cannot read: a proxy's error page, a half-deployed server
)


def verdict_for_status(status: int, operation: Operation) -> Verdict:
    """Look a response status up in the table."""
    exact = STATUS_TABLE.get((status, operation)) or STATUS_TABLE.get((status, None))
    if exact is not None:
        return exact
    by_class = CLASS_TABLE.get(status // 100)
    if by_class is None:
        # 1xx/3xx: redirects are not followed, so a 3xx is a proxy's doing: transient
        return Verdict.RETRY
    return by_class


def decide(error: BaseException | None, operation: Operation) -> Decision:
    """The verdict for the outcome of one request: ``None`` means it succeeded."""
    if error is None:
        return Decision(Verdict.DONE, "")
    if isinstance(error, ApiError):
        verdict = verdict_for_status(error.status, operation)
        return Decision(verdict, error.reason, error.retry_after)
    if isinstance(error, TRANSIENT_ERRORS):
        return Decision(Verdict.RETRY, _transport_reason(error))
    raise error


def _transport_reason(error: BaseException) -> str:
    if isinstance(error, TimedOut):
        return "the server did not answer in time"
    if isinstance(error, Unreachable):
        return "cannot reach the server"
    if isinstance(error, WireError):
        return f"the server's answer was not understood ({error})"
    return "the connection broke during the transfer"


@dataclass
class Backoff:
    """Exponential backoff with jitter: attempt n waits in [d/2, d], d = min(cap, base·2ⁿ).

    The jitter spreads many clients that lost the server at once; the lower half-bound
    keeps the growth exponential. The random generator is injected (seeded in tests).
    """

    rng: random.Random
    base_seconds: float = 1.0
    cap_seconds: float = 300.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 0)."""
        if attempt < 0:
            raise ValueError("attempt counts from 0")
        ceiling = min(self.cap_seconds, self.base_seconds * 2.0 ** min(attempt, 60))
        wait = ceiling / 2 + self.rng.uniform(0, ceiling / 2)
        if retry_after is not None:
            # honour the server's own figure, but never beyond our cap
            wait = max(wait, min(retry_after, self.cap_seconds))
        return wait
