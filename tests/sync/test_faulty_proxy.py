"""The fault-injecting proxy does what the sync tests rely on it doing."""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.support.faulty_proxy import Fault, FaultPlan, FaultyProxy


class _Counting(BaseHTTPRequestHandler):
    handled: list[str] = []  # noqa: RUF012 - one list per server class below

    def do_GET(self) -> None:
        type(self).handled.append(self.path)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _address(server: ThreadingHTTPServer) -> tuple[str, int]:
    host, port = server.server_address[:2]
    return str(host), int(port)


@pytest.fixture
def origin() -> Iterator[tuple[ThreadingHTTPServer, list[str]]]:
    handler = type("Handler", (_Counting,), {"handled": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler.handled
    server.shutdown()
    server.server_close()


def test_drop_after_reaches_the_server_but_not_the_client(
    origin: tuple[ThreadingHTTPServer, list[str]],
) -> None:
    server, handled = origin
    plan = FaultPlan(drop_before=0, drop_after=1.0, delay=0)
    with (
        FaultyProxy(_address(server), random.Random(1), plan) as proxy,
        pytest.raises(requests.ConnectionError),
    ):
        requests.get(f"{proxy.url}/a", timeout=5)
    assert handled == ["/a"]


def test_drop_before_never_reaches_the_server(
    origin: tuple[ThreadingHTTPServer, list[str]],
) -> None:
    server, handled = origin
    plan = FaultPlan(drop_before=1.0, drop_after=0, delay=0)
    with (
        FaultyProxy(_address(server), random.Random(1), plan) as proxy,
        pytest.raises(requests.ConnectionError),
    ):
        requests.get(f"{proxy.url}/b", timeout=5)
    assert handled == []


def test_mixed_plan_draws_per_request_on_a_keep_alive_session(
    origin: tuple[ThreadingHTTPServer, list[str]],
) -> None:
    server, handled = origin
    with FaultyProxy(_address(server), random.Random(7)) as proxy, requests.Session() as s:
        answered = 0
        for n in range(60):
            with contextlib.suppress(requests.ConnectionError):
                answered += s.get(f"{proxy.url}/{n}", timeout=5).status_code == 200
        stats = proxy.stats
    assert stats.total == 60
    assert stats.dropped >= 12
    assert answered == stats.exchanges[Fault.PASS] + stats.exchanges[Fault.DELAY]
    assert len(handled) == 60 - stats.exchanges[Fault.DROP_BEFORE]


def test_down_refuses_and_up_serves_again(origin: tuple[ThreadingHTTPServer, list[str]]) -> None:
    server, handled = origin
    plan = FaultPlan(drop_before=0, drop_after=0, delay=0)
    with FaultyProxy(_address(server), random.Random(1), plan) as proxy:
        proxy.down()
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{proxy.url}/down", timeout=5)
        proxy.up()
        assert requests.get(f"{proxy.url}/up", timeout=5).text == "ok"
    assert handled == ["/up"]
