"""Workers for blocking work off the GUI thread.

The app runs two: the store's worker (grab, encode, shot files, slot writes — the
session's executor) and the network worker (sign-in, contract refresh, uploader start
and stop), so a capture never waits behind a slow server.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal


class BackgroundTasks(QObject):
    """Runs callables on one worker thread, in submission order.

    The outcome comes back to the GUI thread through a queued signal, where ``on_done``
    or ``on_error`` is called; the worker never touches a widget. A failure with no
    ``on_error`` is re-raised on the GUI thread so it is seen, not swallowed.

    Signals: ``task_finished(name)`` after a task's GUI-side handler ran (tests wait on it),
    ``task_failed(name, exception)``.
    """

    task_finished = Signal(str)
    task_failed = Signal(str, object)
    # worker -> GUI thread hop: (name, result, error, on_done, on_error)
    _completed = Signal(str, object, object, object, object)

    def __init__(
        self, parent: QObject | None = None, thread_name: str = "workdiary-worker"
    ) -> None:
        super().__init__(parent)
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=thread_name
        )
        self._pending = 0
        self._completed.connect(self._on_worker_completed)

    @property
    def executor(self) -> concurrent.futures.Executor:
        """The same single worker, for the session's capture and write jobs (polled at
        each tick)."""
        return self._executor

    @property
    def pending(self) -> int:
        return self._pending

    def submit(
        self,
        name: str,
        work: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self._pending += 1

        def run() -> None:
            try:
                result = work()
            except Exception as error:  # handed to the GUI thread below
                self._completed.emit(name, None, error, on_done, on_error)
            else:
                self._completed.emit(name, result, None, on_done, on_error)

        self._executor.submit(run)

    def shutdown(self) -> None:
        """Let queued work (a slot being written) finish; called once at quit."""
        self._executor.shutdown(wait=True)

    def _on_worker_completed(
        self,
        name: str,
        result: object,
        error: BaseException | None,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        self._pending -= 1
        if error is not None:
            self.task_failed.emit(name, error)
            if on_error is None:
                raise error
            on_error(error)
        elif on_done is not None:
            on_done(result)
        self.task_finished.emit(name)
