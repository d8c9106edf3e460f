"""The real ``workdiary-server serve`` in a subprocess, on a free loopback port.

``running_server(data_dir, database_url=None, now=None)`` is a context manager yielding
a :class:`RunningServer`: ``base_url`` (``http://127.0.0.1:<port>``), ``data_dir``,
``set_now(instant)`` to move the server's clock (it reads a clock file, so tests control
time), ``cli(*args)`` to run another ``workdiary-server`` command against the same data
(e.g. ``cli("run-jobs", "--now", iso)``), ``env`` for further subprocesses and ``pid``. The
scheduler is off (``jobs_interval=0``) unless asked for, so only the test runs jobs.
Passwords are hashed at a low argon2 cost to keep tests fast. The server is stopped
(SIGTERM, then SIGKILL) on exit and its log is attached to any start-up failure.
``live_server`` is the same as a pytest fixture (SQLite, real clock).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

SERVER = [sys.executable, "-m", "billing.cli"]
# a loaded CI machine may need longer to import and migrate: the variable raises it
START_TIMEOUT = float(os.environ.get("WORKDIARY_TEST_SERVER_START_TIMEOUT", "90"))
PORT_ATTEMPTS = 5  # a port taken between asking and listening: another is asked for


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningServer:
    base_url: str
    data_dir: Path
    clock_file: Path
    env: dict[str, str] = field(repr=False)
    pid: int = 0  # the server process (with one worker, the one that serves)

    def set_now(self, instant: datetime) -> None:
        """Move the server's clock (read on every request)."""
        tmp = self.clock_file.with_suffix(".tmp")
        tmp.write_text(instant.astimezone(UTC).isoformat(), encoding="utf-8")
        os.replace(tmp, self.clock_file)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run ``workdiary-server <args> --data-dir <same>`` against the same database."""
        return subprocess.run(
            [*SERVER, *args, "--data-dir", str(self.data_dir)],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    def run_jobs(self, now: datetime) -> dict[str, object]:
        """``run-jobs --now <now>``; returns its JSON report."""
        result = self.cli("run-jobs", "--now", now.astimezone(UTC).isoformat())
        report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
        return report


def server_env(database_url: str | None, clock_file: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    env["WORKDIARY_CLOCK_FILE"] = str(clock_file)
    env["WORKDIARY_ARGON2_TIME_COST"] = "1"
    env["WORKDIARY_ARGON2_MEMORY_KIB"] = "1024"
    env["WORKDIARY_SQLITE_SYNCHRONOUS"] = env.get("WORKDIARY_SQLITE_SYNCHRONOUS", "NORMAL")
    return env


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _listens_on(pid: int, port: int) -> bool:
    """Whether process ``pid`` holds the socket listening on loopback ``port``. A free
    port is only free when asked: another test's server may take it first, and its
    health answer must not pass for this server's (Linux: ``/proc``)."""
    listening = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
            listening.add(f"socket:[{fields[9]}]")
    try:
        held = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
    except OSError:  # it exited
        return False
    return bool(listening & held)


def _start(command: list[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:  # each attempt's lines, after the one before
        return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def stop_process(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL if ``process`` is still running after ``timeout`` s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _serving(process: subprocess.Popen[bytes], port: int, log_path: Path) -> bool:
    """Wait until ``process`` answers on ``port``: False if the port was taken before it
    could listen there (try another), an error if it failed otherwise."""
    deadline = time.monotonic() + START_TIMEOUT
    while not (_answers(f"http://127.0.0.1:{port}/api/v1/health")
               and _listens_on(process.pid, port)):
        if process.poll() is not None:
            log = log_path.read_text(errors="replace")
            if "address already in use" in log.lower():
                return False
            raise RuntimeError(f"workdiary-server did not start:\n{log}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"workdiary-server did not start:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.05)  # polling a subprocess with a deadline, not waiting on time
    return True


@contextmanager
def running_server(
    data_dir: Path,
    database_url: str | None = None,
    now: datetime | None = None,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
    jobs_interval: float = 0,
) -> Iterator[RunningServer]:
    """Start ``workdiary-server serve`` on a free port; yield once it answers; stop it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    clock_file = data_dir / "clock.txt"
    env = server_env(database_url, clock_file)
    env.update(extra_env or {})
    server = RunningServer("", data_dir, clock_file, env)
    server.set_now(now or datetime.now(UTC))
    log_path = data_dir / "server.log"
    log_path.write_bytes(b"")
    for _attempt in range(PORT_ATTEMPTS):
        port = free_port()
        process = _start(
            [*SERVER, "serve", "--host", "127.0.0.1", "--port", str(port),
             "--data-dir", str(data_dir), "--jobs-interval", str(jobs_interval),
             "--workers", str(workers)],
            env, log_path,
        )
        try:
            if _serving(process, port, log_path):
                break
        except BaseException:
            stop_process(process)
            raise
        stop_process(process)
    else:
        raise RuntimeError(f"workdiary-server found no free port in {PORT_ATTEMPTS} tries")
    server.base_url = f"http://127.0.0.1:{port}"
    server.pid = process.pid
    try:
        yield server
    finally:
        stop_process(process)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A running ``workdiary-server`` on SQLite in ``tmp_path`` (clock: the real time).

    Register in a conftest with ``from tests.support.server import live_server  # noqa``.
    Set ``DATABASE_URL`` yourself (``running_server(..., database_url=…)``) for PostgreSQL.
    """
    with running_server(tmp_path / "billing-server") as server:
        yield server
