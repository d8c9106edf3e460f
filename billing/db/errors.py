"""Errors services raise; the API turns each into its HTTP status with the message."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused request; ``status`` is the HTTP status the API answers with."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(ServiceError):
    status = 422


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class Unauthorized(ServiceError):
    status = 401


class TooManyAttempts(ServiceError):
    """Refused before any check: too many failures lately; retry after ``retry_after``
    seconds (the edges send it as ``Retry-After``)."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
