"""The test suite's real server (tests/support/server.py) on a port another process took
between the suite asking for a free one and the server listening there: the suite
starts it on another port, and never takes the other process's answers for its own."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import server as test_server


class _Impostor(http.server.BaseHTTPRequestHandler):
    """Answers every GET 200, as a server's health check would: another test's server."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def taken_port() -> Iterator[int]:
    impostor = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Impostor)
    thread = threading.Thread(target=impostor.serve_forever, daemon=True)
    thread.start()
    yield impostor.server_address[1]
    impostor.shutdown()
    impostor.server_close()


def test_a_taken_port_is_passed_over_and_its_answers_not_taken_for_the_servers(
    taken_port: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = iter([taken_port])
    free = test_server.free_port
    monkeypatch.setattr(test_server, "free_port", lambda: next(ports, None) or free())
    with test_server.running_server(tmp_path / "server") as running:
        assert not running.base_url.endswith(f":{taken_port}")
        with urllib.request.urlopen(f"{running.base_url}/api/v1/health", timeout=5) as answer:
            assert json.loads(answer.read())  # the real server's health, not the impostor's
    assert "address already in use" in (tmp_path / "server" / "server.log").read_text().lower()
