"""Errors the sync client raises to its callers."""

from __future__ import annotations


class ApiError(Exception):
    """An HTTP answer with status >= 400, with the server's reason (its ``detail``)."""

    def __init__(self, status: int, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason
        self.retry_after = retry_after


class NotSignedIn(Exception):
    """No token is stored, or the server revoked it: the user must sign in."""


class AnotherUploaderRunning(Exception):
    """A second Workdiary process tried to upload the same store."""


class TransportError(Exception):
    """The request got no HTTP answer. Raised by every transport (in this process, or
    the network helper's), so nothing outside the transports depends on ``requests``."""


class Unreachable(TransportError):
    """Refused, reset, no route, DNS, a proxy's refusal: the server was not reached."""


class SecureConnectionFailed(Unreachable):
    """The TLS handshake or the server's certificate failed."""


class TimedOut(TransportError):
    """No connection, or no answer, within the timeout."""


class TransferCut(TransportError):
    """The connection broke mid-answer, or the answer's encoding could not be undone."""


class RequestRefusedHere(TransportError):
    """The HTTP library refused to send the request (an invalid URL or header): a fault
    of the client or of what the user typed, never worth repeating."""


class WireError(Exception):
    """The server sent a body this client does not understand (treated as transient)."""


# the server's 401 reason for a token past its lifetime (billing.services.accounts)
SESSION_EXPIRED = "session expired"


def signed_out_message(reason: str) -> str:
    """What the app shows when the server stopped accepting its token: "Signed out:
    session expired", or the server's other reason (revoked elsewhere, unknown)."""
    reason = reason.strip().rstrip(".") or "the server no longer accepts this sign-in"
    return f"Signed out: {reason}"
