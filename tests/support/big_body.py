"""Raw-socket HTTP for bodies no ordinary client sends: huge, chunked, or stalled.

- ``send_body(base_url, method, path, headers, total_bytes, chunked=…)`` streams
  ``total_bytes`` of zeros (with ``Content-Length`` or chunked) and stops as soon as the
  server answers, as a client that reads early responses does; returns the status, the
  body and how many body bytes went out.
- ``stalled_body(base_url, method, path, headers, declared, sent)`` sends the headers and
  ``sent`` of ``declared`` bytes, then nothing: a slow or stalled client.
- ``read_response(sock)`` reads one response (status, body) from a socket.
- ``peak_rss_bytes(pid)`` is the process's high-water resident set (``VmHWM``).
"""

from __future__ import annotations

import select
import socket
from urllib.parse import urlsplit

PIECE = 64 * 1024
_ZEROS = bytes(PIECE)


def _connect(base_url: str, timeout: float) -> socket.socket:
    parts = urlsplit(base_url)
    assert parts.hostname is not None and parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def _head(method: str, path: str, host: str, headers: dict[str, str]) -> bytes:
    fields = [f"{name}: {value}" for name, value in headers.items()]
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a ``Content-Length`` body: (status, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"connection closed before a response: {data!r}")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    fields = dict(line.split(":", 1) for line in lines[1:])
    length = int(next((v for k, v in fields.items() if k.lower() == "content-length"), 0))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, body


def _answered(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def send_body(
    base_url: str,
    method: str,
    path: str,
    headers: dict[str, str],
    total_bytes: int,
    *,
    chunked: bool,
    timeout: float = 60.0,
) -> tuple[int, bytes, int]:
    """Stream ``total_bytes``; returns (status, response body, body bytes sent)."""
    host = urlsplit(base_url).netloc
    framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(total_bytes)}
    with _connect(base_url, timeout) as sock:
        sock.sendall(_head(method, path, host, {**headers, **framing}))
        sent = 0
        try:
            while sent < total_bytes and not _answered(sock):
                piece = _ZEROS[: min(PIECE, total_bytes - sent)]
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
            if chunked and sent >= total_bytes:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while we were still sending
        status, body = read_response(sock)
        return status, body, sent


def stalled_body(
    base_url: str, method: str, path: str, headers: dict[str, str], declared: int, sent: int
) -> socket.socket:
    """A connection that announced ``declared`` bytes and sent ``sent``; the caller
    reads the server's answer from it later (and closes it)."""
    sock = _connect(base_url, 60.0)
    host = urlsplit(base_url).netloc
    sock.sendall(_head(method, path, host, {**headers, "Content-Length": str(declared)}))
    sock.sendall(bytes(sent))
    return sock


def peak_rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmHWM for process {pid}")
