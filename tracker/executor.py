"""Where capture work runs. The UI passes a thread pool so grab + encode + file write
never block the GUI thread; tests pass :class:`SynchronousExecutor`."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class SynchronousExecutor(Executor):
    """Runs each job at once on the caller's thread; the future is already done."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # the future carries it, as a pool's would
            future.set_exception(error)
        return future
