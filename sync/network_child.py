"""The network helper the tray app starts (:class:`sync.http_transport.HelperTransport`):
it sends the requests framed on its stdin through ``requests`` and frames each answer,
or the transport error that came instead, on its stdout, tagged with the request's id.

Each request runs on a thread of its own pool, so a slow shot upload does not hold the
slot batch beside it. At the end of its input it finishes what it holds, then exits.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any

from sync.errors import TransportError
from sync.http_transport import error_name, read_frame, write_frame
from sync.requests_transport import POOL_SIZE, RequestsTransport


def serve(requests_in: IO[bytes], answers: IO[bytes]) -> None:
    transport = RequestsTransport()
    write_lock = threading.Lock()

    def answer(header: dict[str, Any], body: bytes) -> None:
        request_id = header.get("id")
        try:
            connect, read = header["timeout"]
            got = transport.request(str(header["method"]), str(header["url"]),
                                    headers=dict(header.get("headers", {})),
                                    timeout=(float(connect), float(read)),
                                    body=body if header.get("length") else None)
        except TransportError as error:
            reply: tuple[dict[str, Any], bytes] = (
                {"id": request_id, "error": error_name(error), "message": str(error)}, b"")
        except Exception as error:  # a malformed frame: say so, keep serving the others
            reply = ({"id": request_id, "error": "transport",
                      "message": f"{type(error).__name__}: {error}"}, b"")
        else:
            reply = ({"id": request_id, "status": got.status, "reason": got.reason,
                      "headers": dict(got.headers)}, got.content)
        with write_lock:
            write_frame(answers, *reply)

    with ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="request") as pool:
        while (frame := read_frame(requests_in)) is not None:
            pool.submit(answer, *frame)
    transport.close()


def run() -> int:
    answers, sys.stdout = sys.stdout.buffer, sys.stderr  # a stray print must not break a frame
    serve(sys.stdin.buffer, answers)
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
