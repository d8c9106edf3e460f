"""The tray app's requests go through a network helper process, so ``requests`` never
loads in the app: a week of slots and shots through it against the real server, and
through a proxy that drops and delays; several requests at once; a helper that dies
mid-request, a server that refuses or never answers, and the helper leaving when idle."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import keyring.backends.fail
import pytest

from sync.api import ApiClient
from sync.credentials import CredentialStore
from sync.errors import ApiError, TimedOut, Unreachable
from sync.http_transport import HelperTransport, read_frame
from sync.retry import Backoff
from sync.service import SyncService
from sync.uploader import Uploader
from tests.support.faulty_proxy import FaultPlan, FaultyProxy
from tests.support.shot_keys import TEST_SHOT_KEYS
from tests.sync.backend import PASSWORD, Backend
from tests.sync.conftest import WEEK
from tests.sync.diary import write_workday
from tests.sync.test_against_server import assert_server_holds_exactly
from tracker.clock import ManualClock
from tracker.store import Store

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def helper() -> Iterator[HelperTransport]:
    transport = HelperTransport()
    yield transport
    transport.close()


def test_a_week_of_slots_and_shots_arrives_through_the_helper(
        backend: Backend, data_dir: Path, tmp_path: Path, helper: HelperTransport) -> None:
    seeded = backend.seed_contract(WEEK)
    friday_evening = WEEK + timedelta(days=4, hours=18)
    backend.set_time(friday_evening)
    clock = ManualClock(friday_evening)
    with Store(data_dir, TEST_SHOT_KEYS) as store:
        for day in range(5):
            write_workday(store, seeded.contract_id, WEEK + timedelta(days=day, hours=9), 3,
                          random.Random(day))
        service = SyncService(
            store, backend.url, clock=clock, rng=random.Random(5), timeout=(2.0, 5.0),
            credentials=CredentialStore(keyring.backends.fail.Keyring(), tmp_path / "config"),
            transport=helper)
        with pytest.raises(ApiError) as refused:
            service.sign_in(seeded.freelancer_email, "not the password")
        assert refused.value.status == 401 and refused.value.reason  # the server's words
        service.sign_in(seeded.freelancer_email, PASSWORD)
        assert service.uploader.drain() >= 1
        local = store.slots_between(WEEK, WEEK + timedelta(days=7))
        assert len(local) == 90 and all(s.sync_state == "synced" for s in local)
    assert_server_holds_exactly(backend, backend.token(seeded.freelancer_email),
                                seeded.contract_id, local)
    assert helper.started == 1  # one helper carried the sign-in, the slots and the shots


def test_through_the_helper_and_a_dropping_proxy_every_slot_arrives_once(
        backend: Backend, data_dir: Path, helper: HelperTransport) -> None:
    seeded = backend.seed_contract(WEEK)
    tuesday_evening = WEEK + timedelta(days=1, hours=19)
    backend.set_time(tuesday_evening)
    clock = ManualClock(tuesday_evening)
    token = backend.token(seeded.freelancer_email)
    plan = FaultPlan(drop_before=0.15, drop_after=0.15, delay=0.2, stall=0.03,
                     stall_seconds=0.6)
    with (Store(data_dir, TEST_SHOT_KEYS) as store,
          FaultyProxy(backend.address, random.Random(11), plan) as proxy):
        write_workday(store, seeded.contract_id, WEEK + timedelta(hours=9), 4, random.Random(3))
        api = ApiClient(proxy.url, token, timeout=(1.0, 0.4), transport=helper)
        uploader = Uploader(store, api, clock, Backoff(random.Random(3), 0.5, 60.0),
                            batch_size=10)
        uploader.drain(sleep=clock.advance)
        assert proxy.stats.dropped > 0
        local = store.slots_between(WEEK, WEEK + timedelta(days=7))
        assert len(local) == 24 and all(s.sync_state == "synced" for s in local)
    assert_server_holds_exactly(backend, token, seeded.contract_id, local)


class _Origin(BaseHTTPRequestHandler):
    """Echoes a body back; ``/slow`` answers after 3 s; ``/n/<k>`` answers k."""

    def do_GET(self) -> None:
        if self.path == "/api/v1/slow":
            time.sleep(3)
        self._answer(self.path.rsplit("/", 1)[-1].encode())

    def do_PUT(self) -> None:
        self._answer(self.rfile.read(int(self.headers["Content-Length"])))

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Retry-After", "7")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_several_requests_at_once_each_get_their_own_answer(
        origin: str, helper: HelperTransport) -> None:
    picture = bytes(range(256)) * 400  # every byte value, 100 KiB
    answers: dict[int, bytes] = {}

    def ask(n: int) -> None:
        if n % 2:
            got = helper.request("PUT", f"{origin}/api/v1/echo", headers={},
                                 timeout=(2, 10), body=picture + bytes([n]))
        else:
            got = helper.request("GET", f"{origin}/api/v1/n/{n}", headers={}, timeout=(2, 10))
        assert got.status == 200 and got.headers["retry-after"] == "7"
        answers[n] = got.content

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == {n: picture + bytes([n]) if n % 2 else str(n).encode()
                       for n in range(16)}
    assert helper.started == 1


def test_a_helper_that_dies_mid_request_loses_that_answer_and_the_next_is_served(
        origin: str, helper: HelperTransport) -> None:
    killer = threading.Timer(0.5, lambda: helper._process and helper._process.kill())
    killer.start()
    with pytest.raises(Unreachable, match="answer was lost"):
        helper.request("GET", f"{origin}/api/v1/slow", headers={}, timeout=(2, 10))
    assert helper.request("GET", f"{origin}/api/v1/n/1", headers={},
                          timeout=(2, 10)).content == b"1"
    assert helper.started == 2


def test_a_refused_connection_and_a_silent_server_are_told_apart(
        helper: HelperTransport) -> None:
    with pytest.raises(Unreachable):
        helper.request("GET", "http://127.0.0.1:9/api/v1/health", headers={}, timeout=(2, 2))
    silent = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)  # listens, never accepts
    try:
        with pytest.raises(TimedOut):
            helper.request("GET", f"http://127.0.0.1:{silent.server_address[1]}/x",
                           headers={}, timeout=(0.5, 0.5))
    finally:
        silent.server_close()


def test_the_helper_leaves_once_no_request_was_in_flight_for_a_while(origin: str) -> None:
    transport = HelperTransport(idle_s=0.3)
    transport.request("GET", f"{origin}/api/v1/n/1", headers={}, timeout=(2, 5))
    process = transport._process
    assert process is not None
    assert process.wait(timeout=20) == 0  # it left at the end of its input
    assert transport.request("GET", f"{origin}/api/v1/n/2", headers={},
                             timeout=(2, 5)).content == b"2"
    assert transport.started == 2
    transport.close()


def test_the_frozen_entry_point_runs_the_helper(origin: str) -> None:
    frame = json.dumps({"id": 7, "method": "GET", "url": f"{origin}/api/v1/n/42",
                        "headers": {}, "timeout": [2, 5], "length": 0}).encode() + b"\n"
    done = subprocess.run([sys.executable, "-m", "ui", "--network-helper"], cwd=ROOT,
                          input=frame + b"not a frame\n", capture_output=True, timeout=60,
                          check=True)
    answer = read_frame(io.BytesIO(done.stdout))
    assert answer is not None
    header, body = answer
    assert (header["id"], header["status"], body) == (7, 200, b"42")
