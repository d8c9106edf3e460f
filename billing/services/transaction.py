"""The one place a service's work is committed (or rolled back)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

_Params = ParamSpec("_Params")
_Result = TypeVar("_Result")


@contextmanager
def committed(session: Session) -> Iterator[Session]:
    """Run the block as one transaction on ``session``: commit if it ends normally,
    roll back if it raises (so the caller's session is clean for the next request)."""
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    session.commit()


def in_transaction(
    write: Callable[Concatenate[Session, _Params], _Result],
) -> Callable[Concatenate[Session, _Params], _Result]:
    """``write`` (a row-level function of ``billing.db``) as a service: the same
    arguments, run as one committed unit of work."""

    @functools.wraps(write)
    def service(session: Session, /, *args: _Params.args, **kwargs: _Params.kwargs) -> _Result:
        with committed(session):
            return write(session, *args, **kwargs)

    return service
