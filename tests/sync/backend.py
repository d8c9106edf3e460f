"""A real ``workdiary-server serve`` for sync tests, on a free loopback port.

Same process, environment and clock file as ``tests.support.server.running_server``
(whose ``server_env`` and command it reuses), plus what sync tests need on top: the
server can be stopped and started again **on the same port** (a day offline), users
and contracts are seeded straight into its database with the billing services (what
``workdiary-server create-user`` does, minus a process start per row), and jobs run
in-process at the instants a test chooses (the scheduler is off).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import Engine, select

from billing.access import authorize
from billing.config import Settings
from billing.db.accounts import create_user
from billing.db.contracts import create_hourly_contract
from billing.db.migrate import upgrade
from billing.db.models import Contract, Role, User
from billing.db.session import make_engine, make_session_factory, unit_of_work
from billing.jobs import run_jobs
from billing.passwords import Passwords
from billing.services import fixed_price
from tests.support.server import SERVER, free_port, server_env

PASSWORD = "correct horse"


@dataclass(frozen=True)
class Seeded:
    freelancer_email: str
    client_email: str
    contract_id: int


class Backend:
    """One server process (restartable on the same port) and its data dir."""

    def __init__(self, data_dir: Path, now: datetime) -> None:
        self.data_dir = data_dir
        self.clock_file = data_dir.parent / f"{data_dir.name}.clock"
        self.set_time(now)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log_path = data_dir.parent / f"{data_dir.name}.log"
        self.settings = Settings(
            data_dir=data_dir, argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1
        )
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._engine: Engine = make_engine(self.settings.url)
        upgrade(self._engine)
        self._sessions = make_session_factory(self._engine)
        self._passwords = Passwords.with_cost(1, 8, 1)
        self._seq = 0
        self._reader = requests.Session()  # keep-alive for reading back many shots

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    # --- process ------------------------------------------------------------------

    def start(self, timeout: float = 90.0) -> None:  # a loaded 2-core machine starts slowly
        env = server_env(None, self.clock_file)  # SQLite in its own data dir, cheap argon2
        with self._log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *SERVER,
                    "serve",
                    "--data-dir",
                    str(self.data_dir),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--jobs-interval",
                    "0",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"workdiary-server exited with {self.process.returncode}:\n"
                    + self._log_path.read_text(errors="replace")[-3000:]
                )
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"workdiary-server did not answer within {timeout} s")
            time.sleep(0.05)  # polling a child process for readiness, with a deadline

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def close(self) -> None:
        self.stop()
        self._reader.close()
        self._engine.dispose()

    # --- time and jobs -------------------------------------------------------------

    def set_time(self, instant: datetime) -> None:
        temporary = self.clock_file.with_suffix(".tmp")
        temporary.write_text(instant.isoformat())
        os.replace(temporary, self.clock_file)

    def run_jobs(self, now: datetime) -> dict[str, int]:
        self.set_time(now)
        return run_jobs(self._sessions, now, self.settings)

    # --- seeding ------------------------------------------------------------------

    def seed_contract(
        self,
        now: datetime,
        *,
        cap_minutes: int | None = None,
        manual_time: bool = False,
        screenshots: bool = True,
    ) -> Seeded:
        """A fresh client + freelancer and an hourly contract between them."""
        self._seq += 1
        stamp = f"{os.getpid()}-{self._seq}"
        freelancer_email = f"freelancer-{stamp}@sync.test"
        client_email = f"client-{stamp}@sync.test"
        with unit_of_work(self._sessions) as session:
            client = create_user(
                session,
                self._passwords,
                email=client_email,
                password=PASSWORD,
                role=Role.CLIENT,
                now=now,
            )
            freelancer = create_user(
                session,
                self._passwords,
                email=freelancer_email,
                password=PASSWORD,
                role=Role.FREELANCER,
                now=now,
            )
            contract = create_hourly_contract(
                session,
                client=client,
                freelancer=freelancer,
                title=f"Sync test {stamp}",
                currency="EUR",
                rate_cents=4000,
                now=now,
                weekly_cap_minutes=cap_minutes,
                manual_time_allowed=manual_time,
                screenshots_enabled=screenshots,
            )
            contract_id = contract.id
        return Seeded(freelancer_email, client_email, contract_id)

    def end_contract(self, contract_id: int, now: datetime) -> None:
        with self._sessions() as session:
            contract = session.get(Contract, contract_id)
            assert contract is not None
            client = session.get(User, contract.client_id)
            assert client is not None
            access = authorize(
                session, client, contract_id, frozenset({Role.CLIENT}), method="POST", path="/end"
            )
            fixed_price.end_contract(session, access, now=now)

    # --- reading back what the server holds ------------------------------------------

    def token(self, email: str) -> str:
        answer = requests.post(
            f"{self.url}/api/v1/auth/token",
            json={"email": email, "password": PASSWORD},
            timeout=10,
        )
        answer.raise_for_status()
        token: str = answer.json()["access_token"]
        return token

    def diary_week(self, token: str, contract_id: int, day: date) -> list[dict[str, Any]]:
        answer = self._reader.get(
            f"{self.url}/api/v1/contracts/{contract_id}/diary",
            params={"week": day.isoformat()},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        answer.raise_for_status()
        slots: list[dict[str, Any]] = answer.json()["slots"]
        return slots

    def shot_sha256(self, token: str, url: str) -> str:
        answer = self._reader.get(
            self.url + url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        answer.raise_for_status()
        return hashlib.sha256(answer.content).hexdigest()

    def slot_rows(self, contract_id: int) -> list[tuple[datetime, bool]]:
        """Every slot row the server holds for the contract (deleted ones too), by start."""
        from billing.db.models import Slot

        with unit_of_work(self._sessions) as session:
            rows = session.execute(
                select(Slot.slot_start, Slot.deleted_at).where(Slot.contract_id == contract_id)
            ).all()
        return sorted((row[0], row[1] is not None) for row in rows)

    def chain_entries(self, contract_id: int) -> list[tuple[str, datetime, datetime, datetime]]:
        """The signed entries the server kept: (kind, slot_start, client clock, received)."""
        from billing.db.models import ChainEntryRow

        with unit_of_work(self._sessions) as session:
            rows = session.execute(
                select(ChainEntryRow.kind, ChainEntryRow.slot_start, ChainEntryRow.client_clock,
                       ChainEntryRow.received_at)
                .where(ChainEntryRow.contract_id == contract_id).order_by(ChainEntryRow.id)
            ).all()
        return [(row[0], row[1], row[2], row[3]) for row in rows]


@contextlib.contextmanager
def running_backend(data_dir: Path, now: datetime) -> Iterator[Backend]:
    backend = Backend(data_dir, now)
    try:
        backend.start()
        yield backend
    finally:
        backend.close()
