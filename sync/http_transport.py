"""How the sync client's requests reach the network: the port, its answer, and the tray
app's transport, which sends them through a helper process.

Why a helper: ``requests`` with urllib3, charset_normalizer, idna, ssl and email cost
the tray app ~10 MiB it would hold all day to send one slot and one shot every ten
minutes (issue 13). The helper (:mod:`sync.network_child`) is started by the first
request and told to leave once no request has been in flight for ``IDLE_S``, so between
slots neither process holds it. Requests travel as frames over its stdin and stdout
(a JSON header line, then the body's bytes), several at once: the helper answers each
from its own thread, in any order, by id.

If the helper dies, every request in flight fails as :class:`Unreachable`: its answer
is lost, which the uploader already survives (each slot is sent again and the server
keeps one). A request the helper never answers fails after its timeouts plus a margin.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, Protocol

from sync.errors import (
    RequestRefusedHere,
    SecureConnectionFailed,
    TimedOut,
    TransferCut,
    TransportError,
    Unreachable,
)
from sync.helper_process import NETWORK_FLAG, helper_command, let_go, start_helper

log = logging.getLogger(__name__)

USER_AGENT = "workdiary-tracker/1"
IDLE_S = 30.0  # longer than the offline probe's interval: a probing app keeps one helper
# beyond the request's own timeouts, for a helper that is alive but never answers
ANSWER_MARGIN_S = 60.0

# the transport errors by the name a frame carries them under
ERRORS_BY_NAME: dict[str, type[TransportError]] = {
    "unreachable": Unreachable,
    "secure": SecureConnectionFailed,
    "timeout": TimedOut,
    "cut": TransferCut,
    "refused-here": RequestRefusedHere,
    "transport": TransportError,
}


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, reason phrase, headers (names lower-cased), body."""

    status: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        """The body as JSON; raises ``ValueError`` when it is not."""
        return json.loads(self.content)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class Transport(Protocol):
    """Sends one request; raises :class:`sync.errors.TransportError` when no answer came."""

    def request(self, method: str, url: str, *, headers: Mapping[str, str],
                timeout: tuple[float, float], body: bytes | None = None) -> Answer: ...

    def close(self) -> None: ...


def error_name(error: TransportError) -> str:
    for name, kind in ERRORS_BY_NAME.items():
        if type(error) is kind:
            return name
    return "transport"


# --- frames -----------------------------------------------------------------------


def write_frame(out: IO[bytes], header: dict[str, Any], body: bytes = b"") -> None:
    out.write(json.dumps({**header, "length": len(body)}).encode() + b"\n" + body)
    out.flush()


def read_frame(source: IO[bytes]) -> tuple[dict[str, Any], bytes] | None:
    """The next frame, or None at the end of the stream (or a broken one)."""
    line = source.readline()
    if not line:
        return None
    try:
        header = json.loads(line)
        length = int(header["length"])
    except (ValueError, KeyError, TypeError):
        return None
    body = source.read(length) if length else b""
    if len(body) != length or not isinstance(header, dict):
        return None
    return header, body


# --- the tray app's transport -------------------------------------------------------


@dataclass
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    answer: Answer | None = None
    error: TransportError | None = None


class HelperTransport:
    """Requests sent through the network helper; safe to share between threads."""

    def __init__(self, command: Sequence[str] | None = None, idle_s: float = IDLE_S,
                 answer_margin_s: float = ANSWER_MARGIN_S) -> None:
        self._command = (list(command) if command is not None
                         else helper_command("sync.network_child", NETWORK_FLAG))
        self._idle_s = idle_s
        self._answer_margin_s = answer_margin_s
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        # each request in flight, with the helper it was sent to
        self._pending: dict[int, tuple[_Pending, subprocess.Popen[bytes]]] = {}
        self._next_id = 0
        self._idle_timer: threading.Timer | None = None
        self.started = 0  # helpers started so far (the tests count them)

    def request(self, method: str, url: str, *, headers: Mapping[str, str],
                timeout: tuple[float, float], body: bytes | None = None) -> Answer:
        pending = _Pending()
        with self._lock:
            process = self._running()
            self._next_id += 1
            request_id = self._next_id
            self._pending[request_id] = (pending, process)
            try:
                assert process.stdin is not None  # PIPE
                write_frame(process.stdin, {"id": request_id, "method": method, "url": url,
                                            "headers": dict(headers),
                                            "timeout": list(timeout)}, body or b"")
            except OSError:
                pass  # it died: its reader fails what was in flight, this request too
        try:
            if not pending.done.wait(sum(timeout) + self._answer_margin_s):
                self._kill(process, "the network helper did not answer in time")
                pending.done.wait()
        finally:
            self._forget(request_id)
        if pending.error is not None:
            raise pending.error
        assert pending.answer is not None
        return pending.answer

    def close(self) -> None:
        """Let the helper go now (it would after ``idle_s`` without requests)."""
        with self._lock:
            process, self._process = self._process, None
            if self._idle_timer is not None:
                self._idle_timer.cancel()
        if process is not None:
            let_go(process)

    def _running(self) -> subprocess.Popen[bytes]:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        if self._process is not None and self._process.poll() is None:
            return self._process
        try:
            process = start_helper(self._command)
        except OSError as error:
            raise Unreachable(f"the network helper could not start: {error}") from error
        self._process = process
        self.started += 1
        threading.Thread(target=self._read_answers, args=(process,), daemon=True,
                         name="network-helper-answers").start()
        return process

    def _read_answers(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None  # PIPE
        while (frame := read_frame(process.stdout)) is not None:
            header, body = frame
            with self._lock:
                pending, _sent_to = self._pending.get(header.get("id", -1), (None, None))
            if pending is None:
                continue  # the caller gave up on it
            error = header.get("error")
            if error is not None:
                kind = ERRORS_BY_NAME.get(str(error), TransportError)
                pending.error = kind(str(header.get("message", "")))
            else:
                pending.answer = Answer(int(header["status"]), str(header.get("reason", "")),
                                        dict(header.get("headers", {})), body)
            pending.done.set()
        self._lost(process)
        process.stdout.close()  # here only: this thread may still be reading it

    def _lost(self, process: subprocess.Popen[bytes]) -> None:
        """The helper's answers ended: what was in flight through it gets no answer."""
        with self._lock:
            if self._process is process:
                self._process = None
            unanswered = [pending for pending, sent_to in self._pending.values()
                          if sent_to is process and not pending.done.is_set()]
        for pending in unanswered:
            pending.error = Unreachable("the network helper stopped; the answer was lost")
            pending.done.set()
        let_go(process)

    def _kill(self, process: subprocess.Popen[bytes], reason: str) -> None:
        log.warning("%s; stopping it", reason)
        with self._lock:
            if self._process is process:
                self._process = None
        process.kill()  # its reader sees the end and fails what was in flight

    def _forget(self, request_id: int) -> None:
        with self._lock:
            self._pending.pop(request_id, None)
            if self._pending or self._process is None:
                return
            if self._idle_timer is not None:
                self._idle_timer.cancel()
            self._idle_timer = threading.Timer(self._idle_s, self._leave_if_idle)
            self._idle_timer.daemon = True
            self._idle_timer.start()

    def _leave_if_idle(self) -> None:
        with self._lock:
            if self._pending or self._process is None:
                return
            process, self._process = self._process, None
        let_go(process)
